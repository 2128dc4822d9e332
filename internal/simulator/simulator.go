package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ErrInvalidOptions is wrapped by every error [Start] returns for options
// that cannot work.
var ErrInvalidOptions = errors.New("simulator: invalid options")

// defaultSeed seeds the throttling PRNG when [Options.Seed] is 0.
const defaultSeed = 0x5eed_a115

// closeTimeout bounds how long [Proxy.Close] waits for requests in flight.
const closeTimeout = 10 * time.Second

// Limit is one token bucket: requests of Service whose operation is one of
// Operations (or any operation, if Operations is empty) share PerSecond
// requests per second with bursts of up to Burst.
type Limit struct {
	// Service is the SigV4 signing name, lower case: "ssm",
	// "secretsmanager", "ec2", "kms", "iam", "sts".
	Service string
	// Operations are the operation names sharing this bucket, e.g.
	// "GetParameters"; empty means every operation of the service.
	Operations []string
	// PerSecond is the refill rate in requests per second; it must be > 0.
	PerSecond float64
	// Burst is the bucket's capacity (and its content at Start); 0 means
	// ceil(PerSecond).
	Burst int
}

// Options configures [Start].
type Options struct {
	// Upstream is the server requests are forwarded to, e.g. a moto server
	// "http://127.0.0.1:PORT".
	Upstream string
	// Latency is added to every request's round trip: the proxy sleeps
	// this long before forwarding or answering with a throttling error.
	Latency time.Duration
	// Limits are token buckets; a request that finds no token in a bucket
	// it counts against is answered with the service's throttling error
	// and not forwarded.
	Limits []Limit
	// ThrottleFraction, in [0, 1), is the fraction of AWS requests,
	// chosen pseudo-randomly, answered with the throttling error (and not
	// forwarded) whatever the Limits say.
	ThrottleFraction float64
	// Seed seeds the PRNG behind ThrottleFraction; 0 means a fixed default,
	// so runs are reproducible unless a seed is chosen.
	Seed int64
}

// Stats counts requests by "service:Operation", e.g. "ssm:GetParameters".
// Requests that are not signed with SigV4 (moto's /moto-api/ calls, say)
// are counted under ":".
type Stats struct {
	// Forwarded counts requests forwarded upstream.
	Forwarded map[string]int64
	// Throttled counts requests answered with a throttling error.
	Throttled map[string]int64
}

// TotalForwarded returns the number of requests forwarded upstream.
func (s Stats) TotalForwarded() int64 { return sum(s.Forwarded) }

// TotalThrottled returns the number of requests answered with a throttling
// error.
func (s Stats) TotalThrottled() int64 { return sum(s.Throttled) }

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Proxy is a running simulator. Its methods are safe for concurrent use.
type Proxy struct {
	url      string
	latency  time.Duration
	fraction float64
	now      func() time.Time

	srv       *http.Server
	transport *http.Transport
	proxy     *httputil.ReverseProxy
	served    chan struct{} // closed when srv.Serve has returned

	mu      sync.Mutex // guards buckets and rng, so decisions are atomic
	buckets []*bucket
	rng     *rand.Rand

	statsMu   sync.Mutex
	forwarded map[string]int64
	throttled map[string]int64

	closeOnce sync.Once
	closeErr  error
}

// Start validates opts, listens on a free port of 127.0.0.1 and serves the
// proxy until [Proxy.Close].
func Start(opts Options) (*Proxy, error) {
	upstream, err := validate(&opts)
	if err != nil {
		return nil, err
	}
	seed := uint64(opts.Seed)
	if seed == 0 {
		seed = defaultSeed
	}
	p := &Proxy{
		latency:   opts.Latency,
		fraction:  opts.ThrottleFraction,
		now:       time.Now,
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		forwarded: map[string]int64{},
		throttled: map[string]int64{},
		served:    make(chan struct{}),
	}
	for _, l := range opts.Limits {
		p.buckets = append(p.buckets, newBucket(l))
	}

	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil               // always straight to the upstream
	t.DisableCompression = true // do not add Accept-Encoding: forward as sent
	t.MaxIdleConnsPerHost = 256
	p.transport = t
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Host = pr.In.Host // keep the Host the client signed
			// Rewrite drops these; put back whatever the client sent.
			for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[h]; ok {
					pr.Out.Header[h] = v
				}
			}
		},
		Transport:    t,
		ErrorLog:     log.New(io.Discard, "", 0),
		ErrorHandler: upstreamError,
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simulator: listening on 127.0.0.1: %w", err)
	}
	p.url = "http://" + ln.Addr().String()
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return p, nil
}

// validate checks opts, fills in default bursts and normalises service
// names, and returns the parsed upstream URL.
func validate(opts *Options) (*url.URL, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	if opts.Upstream == "" {
		return nil, bad("Upstream is empty")
	}
	u, err := url.Parse(opts.Upstream)
	if err != nil {
		return nil, bad("Upstream %q: %v", opts.Upstream, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, bad("Upstream %q is not an http(s)://host[:port] URL", opts.Upstream)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, bad("Upstream %q must not have user info, a query or a fragment", opts.Upstream)
	}
	if opts.Latency < 0 {
		return nil, bad("Latency %v is negative", opts.Latency)
	}
	if !(opts.ThrottleFraction >= 0 && opts.ThrottleFraction < 1) { // also rejects NaN
		return nil, bad("ThrottleFraction %v is not in [0, 1)", opts.ThrottleFraction)
	}
	limits := make([]Limit, len(opts.Limits))
	for i, l := range opts.Limits {
		l.Service = strings.ToLower(strings.TrimSpace(l.Service))
		if l.Service == "" {
			return nil, bad("Limits[%d]: Service is empty", i)
		}
		if !(l.PerSecond > 0) || math.IsInf(l.PerSecond, 0) {
			return nil, bad("Limits[%d] (%s): PerSecond %v must be a positive number", i, l.Service, l.PerSecond)
		}
		if l.Burst < 0 {
			return nil, bad("Limits[%d] (%s): Burst %d is negative", i, l.Service, l.Burst)
		}
		if l.Burst == 0 {
			l.Burst = int(math.Min(math.Ceil(l.PerSecond), math.MaxInt32))
		}
		for _, op := range l.Operations {
			if op == "" {
				return nil, bad("Limits[%d] (%s): Operations has an empty name", i, l.Service)
			}
		}
		l.Operations = append([]string(nil), l.Operations...)
		limits[i] = l
	}
	opts.Limits = limits
	return u, nil
}

// URL returns the proxy's base URL, "http://127.0.0.1:PORT": the endpoint
// clients use (aws.Config.BaseEndpoint).
func (p *Proxy) URL() string { return p.url }

// Stats returns a snapshot of the counters.
func (p *Proxy) Stats() Stats {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	s := Stats{
		Forwarded: make(map[string]int64, len(p.forwarded)),
		Throttled: make(map[string]int64, len(p.throttled)),
	}
	for k, v := range p.forwarded {
		s.Forwarded[k] = v
	}
	for k, v := range p.throttled {
		s.Throttled[k] = v
	}
	return s
}

// ResetStats sets all counters to zero. The Limits' buckets are untouched.
func (p *Proxy) ResetStats() {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	clear(p.forwarded)
	clear(p.throttled)
}

// Close stops accepting requests, waits (up to 10s) for requests in flight
// to be answered, then closes all connections. Later calls return the first
// call's result.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := p.srv.Shutdown(ctx); err != nil {
			p.closeErr = fmt.Errorf("simulator: closing the proxy: %w", err)
			_ = p.srv.Close()
		}
		<-p.served
		p.transport.CloseIdleConnections()
	})
	return p.closeErr
}

// serveHTTP handles one request: identify, wait, decide, then forward or
// throttle.
func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := identify(r)
	if err != nil {
		http.Error(w, "simulator: reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if p.latency > 0 {
		t := time.NewTimer(p.latency)
		select {
		case <-t.C:
		case <-r.Context().Done(): // the client gave up: nothing to answer
			t.Stop()
			return
		}
	}
	if p.throttle(c, p.now()) {
		p.count(p.throttled, c.key())
		writeThrottle(w, c)
		return
	}
	p.count(p.forwarded, c.key())
	p.proxy.ServeHTTP(w, r)
}

// throttle decides whether c, arriving at now, is refused. Only AWS calls
// (signed requests) can be refused. Every AWS call draws one number from the
// PRNG, so with a given seed the k-th call's random decision is fixed. A call
// not refused at random must find a token in every bucket it matches; it
// then takes one from each (all or nothing, under one lock).
func (p *Proxy) throttle(c call, now time.Time) bool {
	if c.service == "" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fraction > 0 && p.rng.Float64() < p.fraction {
		return true
	}
	var matched []*bucket
	for _, b := range p.buckets {
		if !b.matches(c.service, c.op) {
			continue
		}
		if !b.available(now) {
			return true
		}
		matched = append(matched, b)
	}
	for _, b := range matched {
		b.take(now)
	}
	return false
}

func (p *Proxy) count(m map[string]int64, key string) {
	p.statsMu.Lock()
	m[key]++
	p.statsMu.Unlock()
}

// upstreamError answers 502 when the upstream cannot be reached, with the
// cause in the body (the SDK shows it in its error).
func upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	http.Error(w, "simulator: upstream: "+err.Error(), http.StatusBadGateway)
}
