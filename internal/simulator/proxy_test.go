package simulator

// Tests of the proxy that need no moto server: an httptest upstream records
// what arrives.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	authSSM = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/eu-central-1/ssm/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc"
	authEC2 = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/eu-central-1/ec2/aws4_request, SignedHeaders=host, Signature=abc"
	authSTS = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=abc"
	authIAM = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=abc"
	authKMS = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/eu-central-1/kms/aws4_request, SignedHeaders=host, Signature=abc"
)

// recorded is one request as the upstream saw it.
type recorded struct {
	method, uri, host string
	header            http.Header
	body              []byte
	contentLength     int64
	transferEncoding  []string
}

// recorder is an upstream that records requests and answers 200 "ok".
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	srv  *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{r.Method, r.RequestURI, r.Host, r.Header.Clone(), body, r.ContentLength, r.TransferEncoding})
		rec.mu.Unlock()
		w.Header().Set("X-Upstream", "yes")
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func startProxy(t *testing.T, opts Options) *Proxy {
	t.Helper()
	p, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// do sends a request to the proxy and returns status, headers and body.
func do(t *testing.T, method, u string, header http.Header, body string) (int, http.Header, string) {
	t.Helper()
	st, h, b, err := send(method, u, header, body)
	if err != nil {
		t.Fatal(err)
	}
	return st, h, b
}

// send is do for goroutines other than the test's: it returns the error.
func send(method, u string, header http.Header, body string) (int, http.Header, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return 0, nil, "", err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

func TestStartValidation(t *testing.T) {
	ok := "http://127.0.0.1:1"
	for _, c := range []struct {
		name string
		opts Options
		want string
	}{
		{"empty upstream", Options{}, "Upstream is empty"},
		{"unparsable upstream", Options{Upstream: "http://[::1"}, "Upstream"},
		{"no scheme", Options{Upstream: "127.0.0.1:5000"}, "Upstream"},
		{"host without scheme", Options{Upstream: "localhost:5000"}, "not an http(s)"},
		{"ftp", Options{Upstream: "ftp://127.0.0.1"}, "not an http(s)"},
		{"no host", Options{Upstream: "http://"}, "not an http(s)"},
		{"query", Options{Upstream: ok + "/?a=1"}, "query"},
		{"negative latency", Options{Upstream: ok, Latency: -time.Millisecond}, "Latency -1ms is negative"},
		{"fraction 1", Options{Upstream: ok, ThrottleFraction: 1}, "ThrottleFraction 1 is not in [0, 1)"},
		{"fraction negative", Options{Upstream: ok, ThrottleFraction: -0.1}, "ThrottleFraction"},
		{"empty service", Options{Upstream: ok, Limits: []Limit{{PerSecond: 1}}}, "Limits[0]: Service is empty"},
		{"zero rate", Options{Upstream: ok, Limits: []Limit{{Service: "ssm", PerSecond: 1}, {Service: "ec2"}}}, "Limits[1] (ec2): PerSecond 0 must be a positive number"},
		{"negative rate", Options{Upstream: ok, Limits: []Limit{{Service: "ssm", PerSecond: -5}}}, "PerSecond -5"},
		{"negative burst", Options{Upstream: ok, Limits: []Limit{{Service: "ssm", PerSecond: 5, Burst: -1}}}, "Burst -1 is negative"},
		{"empty operation", Options{Upstream: ok, Limits: []Limit{{Service: "ssm", PerSecond: 5, Operations: []string{""}}}}, "empty name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Start(c.opts)
			if err == nil {
				_ = p.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want ErrInvalidOptions and %q", err, c.want)
			}
		})
	}
}

func TestDefaultBurst(t *testing.T) {
	opts := Options{Upstream: "http://127.0.0.1:1", Limits: []Limit{
		{Service: " SSM ", PerSecond: 2.5},
		{Service: "ec2", PerSecond: 0.1},
		{Service: "sts", PerSecond: 3, Burst: 7},
	}}
	if _, err := validate(&opts); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{3, 1, 7} {
		if got := opts.Limits[i].Burst; got != want {
			t.Errorf("Limits[%d].Burst = %d, want %d", i, got, want)
		}
	}
	if opts.Limits[0].Service != "ssm" {
		t.Errorf("service not normalised: %q", opts.Limits[0].Service)
	}
}

func TestIdentify(t *testing.T) {
	form := "application/x-www-form-urlencoded; charset=utf-8"
	for _, c := range []struct {
		name        string
		method, url string
		header      map[string]string
		body        string
		service, op string
		json        bool
	}{
		{"ssm json", "POST", "/", map[string]string{"Authorization": authSSM, "X-Amz-Target": "AmazonSSM.GetParameters", "Content-Type": "application/x-amz-json-1.1"}, `{}`, "ssm", "GetParameters", true},
		{"secretsmanager", "POST", "/", map[string]string{"Authorization": strings.Replace(authSSM, "/ssm/", "/secretsmanager/", 1), "X-Amz-Target": "secretsmanager.ListSecrets"}, `{}`, "secretsmanager", "ListSecrets", true},
		{"kms", "POST", "/", map[string]string{"Authorization": authKMS, "X-Amz-Target": "TrentService.DescribeKey"}, `{}`, "kms", "DescribeKey", true},
		{"ec2 form", "POST", "/", map[string]string{"Authorization": authEC2, "Content-Type": form}, "Action=DescribeVpcs&Version=2016-11-15", "ec2", "DescribeVpcs", false},
		{"sts form", "POST", "/", map[string]string{"Authorization": authSTS, "Content-Type": form}, "Action=GetCallerIdentity&Version=2011-06-15", "sts", "GetCallerIdentity", false},
		{"iam query string", "GET", "/?Action=ListRoles&Version=2010-05-08", map[string]string{"Authorization": authIAM}, "", "iam", "ListRoles", false},
		{"presigned", "GET", "/?Action=GetCallerIdentity&X-Amz-Credential=" + url.QueryEscape("AKID/20260101/us-east-1/sts/aws4_request"), nil, "", "sts", "GetCallerIdentity", false},
		{"sigv4a", "POST", "/", map[string]string{"Authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/ssm/aws4_request, SignedHeaders=host, Signature=x", "X-Amz-Target": "AmazonSSM.GetParameter"}, "{}", "ssm", "GetParameter", true},
		{"form not form-typed", "POST", "/", map[string]string{"Authorization": authEC2, "Content-Type": "text/plain"}, "Action=DescribeVpcs", "ec2", "", false},
		{"unsigned", "POST", "/moto-api/reset", nil, "", "", "", false},
		{"garbage auth", "POST", "/", map[string]string{"Authorization": "Bearer xyz", "X-Amz-Target": "A.B"}, "", "", "B", true},
		{"target without dot", "POST", "/", map[string]string{"Authorization": authSSM, "X-Amz-Target": "GetParameters"}, "", "ssm", "GetParameters", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rd io.Reader = http.NoBody
			if c.body != "" {
				rd = strings.NewReader(c.body)
			}
			r := httptest.NewRequest(c.method, c.url, rd)
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			got, err := identify(r)
			if err != nil {
				t.Fatal(err)
			}
			if got.service != c.service || got.op != c.op || got.json != c.json {
				t.Errorf("identify = %+v, want service %q op %q json %v", got, c.service, c.op, c.json)
			}
			rest, _ := io.ReadAll(r.Body)
			if string(rest) != c.body {
				t.Errorf("body after identify = %q, want %q", rest, c.body)
			}
		})
	}
}

// TestForwardsUnchanged checks that a request arrives upstream as the client
// sent it (method, URI, Host, every header and no other, body) and that the
// response comes back unchanged.
func TestForwardsUnchanged(t *testing.T) {
	rec := newRecorder(t)
	p := startProxy(t, Options{Upstream: rec.srv.URL})
	body := "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1%2B2"
	req, _ := http.NewRequest("POST", p.URL()+"/some/path?x=1&y=%2F", strings.NewReader(body))
	req.Header.Set("Authorization", authEC2)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0")
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "ok" || resp.Header.Get("X-Upstream") != "yes" {
		t.Fatalf("response %d %q %v", resp.StatusCode, got, resp.Header)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests upstream", len(reqs))
	}
	r := reqs[0]
	wantHost := strings.TrimPrefix(p.URL(), "http://")
	if r.method != "POST" || r.uri != "/some/path?x=1&y=%2F" || r.host != wantHost {
		t.Errorf("upstream saw %s %s Host %s; want POST /some/path?x=1&y=%%2F Host %s", r.method, r.uri, r.host, wantHost)
	}
	if string(r.body) != body || r.contentLength != int64(len(body)) {
		t.Errorf("upstream body %q (Content-Length %d), want %q", r.body, r.contentLength, body)
	}
	sent := req.Header.Clone()
	sent.Set("Content-Length", r.header.Get("Content-Length")) // set by the transport
	sent.Set("Accept-Encoding", "gzip")                        // added by the client's transport
	for k, v := range sent {
		if strings.Join(r.header[k], "|") != strings.Join(v, "|") {
			t.Errorf("header %s: upstream got %q, client sent %q", k, r.header[k], v)
		}
	}
	for k := range r.header {
		if _, ok := sent[k]; !ok {
			t.Errorf("upstream got header %s: %q that the client did not send", k, r.header[k])
		}
	}
	if s := p.Stats(); s.Forwarded["ec2:DescribeVpcs"] != 1 || s.TotalForwarded() != 1 || s.TotalThrottled() != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestChunkedBodyKeepsFraming checks a form body of unknown length.
func TestChunkedBodyKeepsFraming(t *testing.T) {
	rec := newRecorder(t)
	p := startProxy(t, Options{Upstream: rec.srv.URL, Limits: []Limit{{Service: "sts", Operations: []string{"GetCallerIdentity"}, PerSecond: 1e-3, Burst: 1}}})
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	for range 2 {
		req, _ := http.NewRequest("POST", p.URL(), io.MultiReader(strings.NewReader(body))) // unknown length: chunked
		req.Header.Set("Authorization", authSTS)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	reqs := rec.requests()
	if len(reqs) != 1 || string(reqs[0].body) != body || len(reqs[0].transferEncoding) != 1 || reqs[0].transferEncoding[0] != "chunked" {
		t.Fatalf("upstream saw %+v", reqs)
	}
	if s := p.Stats(); s.Forwarded["sts:GetCallerIdentity"] != 1 || s.Throttled["sts:GetCallerIdentity"] != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestThrottleResponses(t *testing.T) {
	rec := newRecorder(t)
	limits := []Limit{}
	for _, s := range []string{"ssm", "kms", "ec2", "sts", "iam", "dynamodb"} {
		limits = append(limits, Limit{Service: s, PerSecond: 1e-6, Burst: 1})
	}
	p := startProxy(t, Options{Upstream: rec.srv.URL, Limits: limits})
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name     string
		header   map[string]string
		body     string
		status   int
		ct       string
		wantBody string // with REQID for the request id
	}{
		{"ssm", map[string]string{"Authorization": authSSM, "X-Amz-Target": "AmazonSSM.GetParameters", "Content-Type": "application/x-amz-json-1.1"}, "{}",
			400, "application/x-amz-json-1.1", `{"__type":"ThrottlingException","message":"Rate exceeded"}`},
		{"kms", map[string]string{"Authorization": authKMS, "X-Amz-Target": "TrentService.DescribeKey", "Content-Type": "application/x-amz-json-1.1"}, "{}",
			400, "application/x-amz-json-1.1", `{"__type":"ThrottlingException","message":"Rate exceeded"}`},
		{"json 1.0", map[string]string{"Authorization": strings.Replace(authSSM, "/ssm/", "/dynamodb/", 1), "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}, "{}",
			400, "application/x-amz-json-1.0", `{"__type":"ThrottlingException","message":"Rate exceeded"}`},
		{"ec2", map[string]string{"Authorization": authEC2, "Content-Type": form}, "Action=DescribeVpcs&Version=2016-11-15",
			503, "text/xml;charset=UTF-8", `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>REQID</RequestID></Response>`},
		{"sts", map[string]string{"Authorization": authSTS, "Content-Type": form}, "Action=GetCallerIdentity&Version=2011-06-15",
			400, "text/xml", `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>REQID</RequestId></ErrorResponse>`},
		{"iam", map[string]string{"Authorization": authIAM, "Content-Type": form}, "Action=ListRoles&Version=2010-05-08",
			400, "text/xml", `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>REQID</RequestId></ErrorResponse>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range c.header {
				h.Set(k, v)
			}
			if st, _, _ := do(t, "POST", p.URL(), h, c.body); st != 200 {
				t.Fatalf("first request (the burst) got %d", st)
			}
			st, hdr, body := do(t, "POST", p.URL(), h, c.body)
			id := hdr.Get("X-Amzn-Requestid")
			if len(id) != 36 {
				t.Errorf("request id %q", id)
			}
			want := strings.ReplaceAll(c.wantBody, "REQID", id)
			if st != c.status || hdr.Get("Content-Type") != c.ct || body != want {
				t.Errorf("got %d %q %s\nwant %d %q %s", st, hdr.Get("Content-Type"), body, c.status, c.ct, want)
			}
		})
	}
	if n := len(rec.requests()); n != 6 {
		t.Errorf("%d requests forwarded, want 6 (one per service)", n)
	}
}

// TestAllOrNothingAcrossLimits: a request matched by two limits needs a
// token in both and takes none when one is empty.
func TestAllOrNothingAcrossLimits(t *testing.T) {
	rec := newRecorder(t)
	p := startProxy(t, Options{Upstream: rec.srv.URL, Limits: []Limit{
		{Service: "ssm", PerSecond: 1e-6, Burst: 3},                                        // whole service
		{Service: "ssm", Operations: []string{"GetParameters"}, PerSecond: 1e-6, Burst: 1}, // one operation
	}})
	call := func(op string) int {
		h := http.Header{"Authorization": {authSSM}, "X-Amz-Target": {"AmazonSSM." + op}}
		st, _, _ := do(t, "POST", p.URL(), h, "{}")
		return st
	}
	got := []int{call("GetParameters"), call("GetParameters"), call("DescribeParameters"), call("DescribeParameters"), call("DescribeParameters")}
	want := []int{200, 400, 200, 200, 400}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v (the refused GetParameters must not use a service token)", got, want)
		}
	}
	s := p.Stats()
	if s.Forwarded["ssm:GetParameters"] != 1 || s.Throttled["ssm:GetParameters"] != 1 ||
		s.Forwarded["ssm:DescribeParameters"] != 2 || s.Throttled["ssm:DescribeParameters"] != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestLimiterExactUnderConcurrency: with a negligible refill, exactly Burst
// of many concurrent requests pass.
func TestLimiterExactUnderConcurrency(t *testing.T) {
	rec := newRecorder(t)
	const burst, n = 37, 400
	p := startProxy(t, Options{Upstream: rec.srv.URL, Limits: []Limit{{Service: "ssm", PerSecond: 1e-6, Burst: burst}}})
	var ok, throttled atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range n / 16 {
				h := http.Header{"Authorization": {authSSM}, "X-Amz-Target": {"AmazonSSM.GetParameter"}}
				st, _, _, err := send("POST", p.URL(), h, "{}")
				if err != nil {
					t.Error(err)
					return
				}
				switch st {
				case 200:
					ok.Add(1)
				case 400:
					throttled.Add(1)
				default:
					t.Errorf("status %d", st)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != burst || throttled.Load() != n-burst {
		t.Fatalf("%d ok, %d throttled; want %d, %d", ok.Load(), throttled.Load(), burst, n-burst)
	}
	if s := p.Stats(); s.TotalForwarded() != burst || s.TotalThrottled() != n-burst || int64(len(rec.requests())) != burst {
		t.Fatalf("stats %+v, upstream saw %d", s, len(rec.requests()))
	}
}

// TestFractionDeterministic: with a seed, the number refused among N
// requests is the same however they interleave; different seeds differ.
func TestFractionDeterministic(t *testing.T) {
	rec := newRecorder(t)
	run := func(seed int64, workers int) int64 {
		p := startProxy(t, Options{Upstream: rec.srv.URL, ThrottleFraction: 0.3, Seed: seed})
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range 240 / workers {
					h := http.Header{"Authorization": {authSSM}, "X-Amz-Target": {"AmazonSSM.GetParameter"}}
					if _, _, _, err := send("POST", p.URL(), h, "{}"); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		s := p.Stats()
		if s.TotalForwarded()+s.TotalThrottled() != 240 {
			t.Fatalf("stats %+v", s)
		}
		return s.TotalThrottled()
	}
	a, b := run(0, 1), run(0, 8)
	if a != b {
		t.Errorf("seed 0: %d throttled sequentially, %d with 8 workers", a, b)
	}
	if a < 40 || a > 104 {
		t.Errorf("%d of 240 throttled at 0.3", a)
	}
	seen := map[int64]bool{}
	for seed := int64(1); seed <= 5; seed++ {
		seen[run(seed, 4)] = true
	}
	if len(seen) < 2 {
		t.Errorf("5 seeds gave the same count: %v", seen)
	}
}

// TestUnsignedNeverThrottled: moto-api calls and the like pass even at a
// high ThrottleFraction.
func TestUnsignedNeverThrottled(t *testing.T) {
	rec := newRecorder(t)
	p := startProxy(t, Options{Upstream: rec.srv.URL, ThrottleFraction: 0.99})
	for range 20 {
		if st, _, _ := do(t, "POST", p.URL()+"/moto-api/reset", nil, ""); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	if s := p.Stats(); s.Forwarded[":"] != 20 {
		t.Fatalf("stats %+v", s)
	}
}

func TestLatencyAppliesToThrottled(t *testing.T) {
	rec := newRecorder(t)
	const lat = 40 * time.Millisecond
	p := startProxy(t, Options{Upstream: rec.srv.URL, Latency: lat, Limits: []Limit{{Service: "ssm", PerSecond: 1e-6, Burst: 1}}})
	h := http.Header{"Authorization": {authSSM}, "X-Amz-Target": {"AmazonSSM.GetParameter"}}
	for i, want := range []int{200, 400} {
		start := time.Now()
		st, _, _ := do(t, "POST", p.URL(), h, "{}")
		if d := time.Since(start); st != want || d < lat {
			t.Errorf("call %d: status %d after %v; want %d after at least %v", i, st, d, want, lat)
		}
	}
}

func TestUpstreamDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	p := startProxy(t, Options{Upstream: u})
	st, _, body := do(t, "GET", p.URL(), nil, "")
	if st != http.StatusBadGateway || !strings.Contains(body, "simulator: upstream") {
		t.Fatalf("got %d %q", st, body)
	}
}

func TestStatsSnapshotAndReset(t *testing.T) {
	rec := newRecorder(t)
	p := startProxy(t, Options{Upstream: rec.srv.URL})
	h := http.Header{"Authorization": {authSSM}, "X-Amz-Target": {"AmazonSSM.GetParameter"}}
	do(t, "POST", p.URL(), h, "{}")
	snap := p.Stats()
	snap.Forwarded["ssm:GetParameter"] = 99 // a snapshot is a copy
	if got := p.Stats().Forwarded["ssm:GetParameter"]; got != 1 {
		t.Fatalf("count %d after modifying a snapshot", got)
	}
	p.ResetStats()
	s := p.Stats()
	if s.Forwarded == nil || s.Throttled == nil || s.TotalForwarded() != 0 || s.TotalThrottled() != 0 {
		t.Fatalf("after reset: %+v", s)
	}
	do(t, "POST", p.URL(), h, "{}")
	if got := p.Stats().TotalForwarded(); got != 1 {
		t.Fatalf("after reset and one call: %d", got)
	}
}

// TestCloseGraceful: Close lets a request in flight (sleeping its latency)
// finish, then refuses connections; a second Close is harmless.
func TestCloseGraceful(t *testing.T) {
	rec := newRecorder(t)
	p, err := Start(Options{Upstream: rec.srv.URL, Latency: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		resp, err := http.Post(p.URL(), "text/plain", bytes.NewReader(nil))
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond) // the request is in its latency wait
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if st := <-done; st != 200 {
		t.Fatalf("request in flight during Close: status %d", st)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("Close returned after %v, before the request in flight finished", d)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.URL(), nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("request after Close succeeded")
	}
}
