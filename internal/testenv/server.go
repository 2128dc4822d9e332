package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultStartTimeout is used when Options.StartTimeout is zero.
	DefaultStartTimeout = 30 * time.Second

	// ReadyPath is the endpoint polled to decide that a moto server is
	// ready. On moto 5.2.1 GET /moto-api/data.json answers 200 with a JSON
	// dump of the (at startup empty) model registry in about a millisecond;
	// unlike GET / it does not route to (and import) the S3 backend, and
	// unlike GET /moto-api/config it answers 200 rather than 201.
	ReadyPath = "/moto-api/data.json"

	// ResetPath is the moto endpoint that clears all server state (POST).
	ResetPath = "/moto-api/reset"

	pollInterval     = 50 * time.Millisecond
	probeTimeout     = 2 * time.Second
	stopGracePeriod  = 5 * time.Second
	pipeWaitDelay    = 2 * time.Second
	maxStartAttempts = 3
)

// errPortInUse marks a start attempt that failed because the picked port was
// taken by someone else between FreePort and the server's bind.
var errPortInUse = errors.New("port already in use")

// errStartTimeout is the context cause when Options.StartTimeout expires.
var errStartTimeout = errors.New("start timeout exceeded")

// pickPort chooses the port for a start attempt; tests replace it.
var pickPort = FreePort

// httpClient talks to local moto servers. It never uses a proxy, and does
// not keep connections alive: moto servers come and go, and a POST on a
// stale kept-alive connection would not be retried.
var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	},
	Timeout: 60 * time.Second,
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago: it
// listens on 127.0.0.1:0, notes the port the kernel picked and closes the
// listener. Another process may grab the port before the caller binds it,
// so callers should retry on "address already in use" (StartMoto does).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testenv: finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("testenv: finding a free port: %w", err)
	}
	return port, nil
}

// Options configures [StartMoto].
type Options struct {
	// Env adds environment variables ("KEY=value") for the server process,
	// e.g. "INITIAL_NO_AUTH_ACTION_COUNT=5". They override inherited ones.
	// MOTO_ACCOUNT_ID is removed from the inherited environment (it would
	// override the per-request account selection) but may be set here.
	Env []string

	// StartTimeout bounds the whole start, including retries; zero means
	// DefaultStartTimeout (30s).
	StartTimeout time.Duration

	// Name identifies the server in errors and logs, e.g. "source" or
	// "target". Defaults to "moto".
	Name string
}

// Server is a running moto server process listening on 127.0.0.1.
// Its methods are safe for concurrent use.
type Server struct {
	*proc

	closeOnce sync.Once
	closeErr  error
}

// StartMoto starts a moto server on a free port of 127.0.0.1 and waits until
// it answers HTTP requests.
//
// The server runs as `PYTHON -m moto.server -H 127.0.0.1 -p PORT`, with
// PYTHON from [Python], in its own process group, with its combined stdout
// and stderr kept in memory (the last 256 KiB; see [Server.Logs]). The server
// is ready once it has logged that it listens on the port (which proves that
// this process, not someone else, owns the port) and GET ReadyPath answers
// 200; this is polled every 50ms. If the port was taken in the meantime the
// start is retried on a new port, up to 3 attempts in all.
//
// StartMoto fails early, with the process's output in the error, if the
// process exits before it is ready. ctx and opts.StartTimeout bound only the
// start; the server keeps running until [Server.Close]. On failure no process
// is left behind.
func StartMoto(ctx context.Context, opts Options) (*Server, error) {
	name := opts.Name
	if name == "" {
		name = "moto"
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("testenv: starting %s moto server: %w", name, context.Cause(ctx))
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	py, err := Python()
	if err != nil {
		return nil, fmt.Errorf("testenv: starting %s moto server: %w", name, err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w (%v)", errStartTimeout, timeout))
	defer cancel()

	var errs []error
	for range maxStartAttempts {
		port, err := pickPort()
		if err != nil {
			return nil, err
		}
		s, err := startOnce(ctx, py, port, name, opts.Env)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortInUse) {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("testenv: %s moto server: giving up after %d attempts: %w", name, maxStartAttempts, errors.Join(errs...))
}

// startOnce makes one attempt to start a server on port.
func startOnce(ctx context.Context, py string, port int, name string, extraEnv []string) (*Server, error) {
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(py, "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = childEnv(extraEnv)
	// werkzeug logs " * Running on http://127.0.0.1:PORT" right after it has
	// bound and started listening on the socket.
	p := &proc{
		kind: "moto server", name: name, url: url, readyPath: ReadyPath, cmd: cmd,
		out:        newOutput(logLimit, "Running on "+url),
		portInUse:  []string{"Address already in use", "is in use by another program"},
		checkReady: okStatus,
	}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return &Server{proc: p}, nil
}

// Name returns the name from Options.Name ("moto" if it was empty).
func (s *Server) Name() string { return s.name }

// URL returns the server's base URL, "http://127.0.0.1:PORT", to be used as
// the AWS endpoint URL for every service.
func (s *Server) URL() string { return s.url }

// Reset clears all of the server's state (POST /moto-api/reset). A non-2xx
// answer is an error.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+ResetPath, nil)
	if err != nil {
		return fmt.Errorf("testenv: resetting %s moto server: %w", s.name, err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("testenv: resetting %s moto server: %w", s.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("testenv: resetting %s moto server: POST %s: %s: %s",
			s.name, s.url+ResetPath, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// Logs returns the server's captured stdout and stderr (the last 256 KiB).
// It can be called at any time, also after Close.
func (s *Server) Logs() string { return s.out.String() }

// Close stops the server: it sends SIGTERM to the server's process group,
// waits up to 5s for the process to exit, then sends SIGKILL. It is
// idempotent and safe to call from multiple goroutines; every call returns
// after the process is gone. It returns an error if the process had already
// exited on its own before Close.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.stop(stopGracePeriod) })
	return s.closeErr
}
