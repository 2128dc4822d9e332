package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// LocalStackVersion is the localstack-core release that
	// requirements-localstack.txt pins (the community runtime, run as a
	// plain Python 3.13 process: no Docker, no auth token).
	LocalStackVersion = "2026.3.0"

	// LocalStackPythonEnvVar names the environment variable that overrides
	// the interpreter LocalStack runs with (see [LocalStackPython]).
	LocalStackPythonEnvVar = "AWSREPLICATOR_LOCALSTACK_PYTHON"

	// SkipLocalStackEnvVar names the environment variable that, set to
	// anything but "", "0", "false" or "no", turns LocalStack off: tests run
	// against moto only, also when CI is set, and scripts/test does not
	// install LocalStack.
	SkipLocalStackEnvVar = "AWSREPLICATOR_SKIP_LOCALSTACK"

	// LocalStackHealthPath is LocalStack's health endpoint (GET), polled to
	// decide that it is ready.
	LocalStackHealthPath = "/_localstack/health"

	// localStackVenv is the virtualenv scripts/setup-localstack.sh makes in
	// the module root; spec-cache/ in it holds the prebuilt service catalog.
	localStackVenv     = ".venv-localstack"
	localStackSpecDir  = "spec-cache"
	localStackReadyLog = "Ready."

	// localStackUnboundGrace: LocalStack logs "Ready." even when its
	// gateway failed to bind (it swallows the error); a start whose bind
	// line has not come this long after "Ready." is a port conflict.
	localStackUnboundGrace = 3 * time.Second

	// localStackImportTimeout bounds the import check of LocalStackAvailable.
	localStackImportTimeout = 2 * time.Minute
)

// DefaultLocalStackServices are the services a LocalStack runs when
// LocalStackOptions.Services is nil: those the module's adapters use.
var DefaultLocalStackServices = []string{"ssm", "kms", "secretsmanager", "ec2", "iam", "sts"}

// ErrLocalStackSkipped is returned (wrapped) by [LocalStackAvailable] when
// AWSREPLICATOR_SKIP_LOCALSTACK asks to test against moto only. Tests skip
// their LocalStack cases then, also when CI is set.
var ErrLocalStackSkipped = errors.New("LocalStack turned off by " + SkipLocalStackEnvVar + " (testing against moto only)")

// LocalStackOptions configures [StartLocalStack].
type LocalStackOptions struct {
	// Services is LocalStack's SERVICES list; nil means
	// DefaultLocalStackServices. "sts" is always added (every job checks
	// the target with sts:GetCallerIdentity). "s3" is refused: LocalStack
	// stores S3 objects in a fixed /tmp/localstack-s3-storage shared by
	// every instance, outside the instance's own directory.
	Services []string

	// Name identifies the instance in errors and logs; default "localstack".
	Name string

	// StartTimeout bounds a start (and each restart by Reset), including
	// retries; zero means DefaultStartTimeout (30s).
	StartTimeout time.Duration

	// Env adds environment variables ("KEY=value") for the LocalStack
	// process, e.g. "DEBUG=1". They override the defaults. Nothing else is
	// inherited from the test's environment.
	Env []string
}

// LocalStack is a real LocalStack (localstack-core, community edition)
// running as a plain process on 127.0.0.1. Its methods are safe for
// concurrent use.
//
// The community edition has no state reset, so [LocalStack.Reset] restarts
// the process, on the same port (so URL stays the same) unless the port was
// taken meanwhile.
type LocalStack struct {
	name     string
	services []string
	py       string
	dir      string // per-instance HOME and FILESYSTEM_ROOT; removed by Close
	extraEnv []string
	timeout  time.Duration
	// trackWrites is false when the caller changed LocalStack's logging, so
	// that its request log cannot tell whether state was changed.
	trackWrites bool

	mu       sync.Mutex
	cur      *proc         // the running process; nil after a failed restart
	writes   *atomic.Int64 // state-changing requests cur has logged
	syncs    *atomic.Int64 // sts.GetCallerIdentity requests cur has logged
	url      string
	history  *output // output of earlier processes (restarts, failed attempts)
	restarts int
	closed   bool
	closeErr error
}

// StartLocalStack starts a LocalStack on a free port of 127.0.0.1 and waits
// until it is ready.
//
// The interpreter is [LocalStackPython] (use [LocalStackAvailable] first to
// get an actionable reason when it is missing). The process runs as
// `PYTHON -m localstack.runtime.main` in its own process group, with an
// environment built from scratch (nothing is inherited from the test's):
//
//   - OVERRIDE_IN_DOCKER=0, FILESYSTEM_ROOT and HOME in a temporary directory
//     of its own, removed by Close (without OVERRIDE_IN_DOCKER, LocalStack
//     believes it runs in a container and writes to /var/lib/localstack);
//   - GATEWAY_LISTEN=127.0.0.1:PORT and GATEWAY_SERVER=hypercorn (the
//     default server binds 0.0.0.0 whatever it is told); DNS_ADDRESS=0 (no
//     DNS server on port 53);
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and
//     AWS_EC2_METADATA_DISABLED=true: without credentials of its own, code
//     inside LocalStack that makes a boto3 client asks the EC2 metadata
//     address 169.254.169.254;
//   - DISABLE_EVENTS=1, SKIP_SSL_CERT_DOWNLOAD=1: no outbound requests.
//
// The service catalog index prebuilt by scripts/setup-localstack.sh
// (.venv-localstack/spec-cache) is copied into the instance, which saves
// seconds and hundreds of MB on its first request.
//
// It is ready when it has logged that it listens on the port (proving that
// this process owns it) and "Ready.", GET /_localstack/health answers 200
// listing every requested service as available, and the process is still
// running. A port taken meanwhile is retried on a new one, up to 3 attempts.
// Output (the last 256 KiB per process) is kept for [LocalStack.Logs]. On
// failure no process or directory is left behind.
func StartLocalStack(ctx context.Context, opts LocalStackOptions) (*LocalStack, error) {
	name := opts.Name
	if name == "" {
		name = "localstack"
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("testenv: starting %s: %w", name, context.Cause(ctx))
	}
	services, err := localStackServices(opts.Services)
	if err != nil {
		return nil, err
	}
	py, err := LocalStackPython()
	if err != nil {
		return nil, fmt.Errorf("testenv: starting %s: %w", name, err)
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	removeOrphanDirs()
	dir, err := os.MkdirTemp("", localStackDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("testenv: starting %s: %w", name, err)
	}
	// Close removes dir; the owner file lets a later start remove it if
	// this process dies without closing (SIGKILL, go test -timeout).
	if err := os.WriteFile(filepath.Join(dir, localStackOwnerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("testenv: starting %s: %w", name, err)
	}
	l := &LocalStack{
		name: name, services: services, py: py, dir: dir,
		extraEnv: slices.Clone(opts.Env), timeout: timeout,
		trackWrites: !slices.ContainsFunc(opts.Env, func(kv string) bool {
			return strings.HasPrefix(kv, "LS_LOG=") || strings.HasPrefix(kv, "LOG_LEVEL")
		}),
		history: newOutput(logLimit),
	}
	if err := l.prepareDir(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("testenv: starting %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w (%v)", errStartTimeout, timeout))
	defer cancel()
	if err := l.startLocked(ctx, 0, false); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return l, nil
}

// localStackDirPrefix names the instance directories in os.TempDir();
// localStackOwnerFile in each holds the pid of the process that made it.
const (
	localStackDirPrefix = "awsreplicator-localstack-"
	localStackOwnerFile = "owner.pid"
)

// removeOrphanDirs removes the instance directories left behind by test
// processes that died without closing their LocalStack (whose processes the
// parent-death signal has killed). Directories of live processes, and
// those whose owner cannot be told, are kept.
func removeOrphanDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), localStackDirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, localStackOwnerFile))
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != os.Getpid() && processGone(pid) {
			_ = os.RemoveAll(d)
		}
	}
}

// localStackServices validates and completes a SERVICES list.
func localStackServices(in []string) ([]string, error) {
	if in == nil {
		in = DefaultLocalStackServices
	}
	var out []string
	for _, s := range in {
		s = strings.ToLower(strings.TrimSpace(s))
		switch {
		case s == "":
			continue
		case s == "s3":
			return nil, errors.New("testenv: LocalStack service s3 is not supported here: LocalStack keeps S3 objects in /tmp/localstack-s3-storage, shared by every instance and not removed")
		case strings.ContainsAny(s, ", ="):
			return nil, fmt.Errorf("testenv: invalid LocalStack service name %q", s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if !slices.Contains(out, "sts") {
		out = append(out, "sts")
	}
	return out, nil
}

// prepareDir lays out the instance directory: HOME, FILESYSTEM_ROOT and
// the prebuilt service catalog in FILESYSTEM_ROOT/usr/lib/localstack (where
// LocalStack's Docker image has it).
func (l *LocalStack) prepareDir() error {
	static := filepath.Join(l.dir, "fs", "usr", "lib", "localstack")
	for _, d := range []string{filepath.Join(l.dir, "home"), static} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	cached, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(l.py)), localStackSpecDir, "service-catalog-*.dill"))
	for _, src := range cached {
		if err := copyFile(src, filepath.Join(static, filepath.Base(src))); err != nil {
			return fmt.Errorf("copying the prebuilt service catalog: %w", err)
		}
	}
	return nil
}

// copyFile copies the regular file src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// startLocked starts a process, on port if it is positive (else on a free
// one), trying new free ports when the port is taken. With share, each
// attempt gets an equal share of ctx's remaining time, and one that is not
// ready by then is also retried on a fresh port: a restart on the same port
// usually takes a second, but once in a while (seen once in CI) the new
// process hangs before it is ready, which would use the whole time. l.mu
// must be held (or l not yet shared).
func (l *LocalStack) startLocked(ctx context.Context, port int, share bool) error {
	var errs []error
	for attempt := range maxStartAttempts {
		if attempt > 0 || port <= 0 {
			p, err := pickPort()
			if err != nil {
				return err
			}
			port = p
		}
		p, writes, syncs := l.newProc(port)
		left := 1 // the whole time
		if share {
			left = maxStartAttempts - attempt
		}
		actx, cancel := attemptContext(ctx, left)
		err := p.start(actx)
		hung := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			l.cur, l.writes, l.syncs, l.url = p, writes, syncs, p.url
			return nil
		}
		l.keepHistory(p, "failed start: "+firstLine(err.Error()))
		if !errors.Is(err, errPortInUse) && !hung {
			return err
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("testenv: %s: giving up after %d attempts: %w", l.label(), maxStartAttempts, errors.Join(errs...))
}

// attemptContext returns the context of one start attempt: an equal share
// of what is left of ctx's time among the attempts left, or ctx itself if
// it has no deadline.
func attemptContext(ctx context.Context, attemptsLeft int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || attemptsLeft <= 1 {
		return context.WithCancel(ctx)
	}
	share := time.Until(deadline) / time.Duration(attemptsLeft)
	return context.WithTimeoutCause(ctx, share, fmt.Errorf("%w (this attempt's share, %v)", errStartTimeout, share.Round(time.Millisecond)))
}

// label is how errors name the instance.
func (l *LocalStack) label() string {
	if l.name == "localstack" {
		return "LocalStack"
	}
	return l.name + " LocalStack"
}

// newProc prepares (but does not start) a LocalStack process on port, and
// the counter of state-changing requests its log shows.
func (l *LocalStack) newProc(port int) (p *proc, writes, syncs *atomic.Int64) {
	hostPort := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(l.py, "-m", "localstack.runtime.main")
	cmd.Dir = l.dir
	cmd.Env = append([]string{
		"PATH=/usr/bin:/bin",
		"HOME=" + filepath.Join(l.dir, "home"),
		"PYTHONUNBUFFERED=1",
		"OVERRIDE_IN_DOCKER=0",
		"FILESYSTEM_ROOT=" + filepath.Join(l.dir, "fs"),
		"GATEWAY_LISTEN=" + hostPort,
		"LOCALSTACK_HOST=" + hostPort,
		"GATEWAY_SERVER=hypercorn",
		"SERVICES=" + strings.Join(l.services, ","),
		"DNS_ADDRESS=0",
		"DISABLE_EVENTS=1",
		"SKIP_SSL_CERT_DOWNLOAD=1",
		"PERSISTENCE=0",
		"SQS_ENDPOINT_STRATEGY=path",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	}, l.extraEnv...)
	// hypercorn logs "Running on https://127.0.0.1:PORT (CTRL + C to quit)"
	// (https although it serves plain HTTP too) once it has bound the port.
	out := newOutput(logLimit, hostPort+" (CTRL + C to quit)", localStackReadyLog)
	writes, syncs = new(atomic.Int64), new(atomic.Int64)
	out.watch = func(line string) {
		switch op := requestLogOp(line); {
		case op == "":
		case op == "sts.GetCallerIdentity":
			syncs.Add(1)
		case isWriteOp(op):
			writes.Add(1)
		}
	}
	services := l.services
	return &proc{
		kind: "LocalStack", name: l.name, url: "http://" + hostPort, readyPath: LocalStackHealthPath,
		cmd: cmd, out: out, unboundGrace: localStackUnboundGrace,
		checkReady: func(status int, body []byte) (bool, error) { return checkLocalStackHealth(status, body, services) },
	}, writes, syncs
}

// restartHook, when set by a test, runs in Reset between stopping the old
// process and starting the new one on port.
var restartHook func(port int)

// requestLogRE matches LocalStack's log line for an AWS request, e.g.
// "... localstack.request.aws     : AWS ssm.PutParameter => 200".
var requestLogRE = regexp.MustCompile(`localstack\.request\.aws\s*: AWS ([\w-]+\.\w+) =>`)

// requestLogOp returns "service.Operation" if line logs an AWS request,
// else "".
func requestLogOp(line string) string {
	m := requestLogRE.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return m[1]
}

// isWriteOp reports whether an AWS request ("service.Operation") may have
// changed state: anything but Get*, Describe*, List*, Head* and BatchGet*
// (reads create nothing but what a fresh server would create the same
// way, such as EC2's default VPC).
func isWriteOp(op string) bool {
	_, name, _ := strings.Cut(op, ".")
	for _, read := range []string{"Get", "Describe", "List", "Head", "BatchGet"} {
		if strings.HasPrefix(name, read) {
			return false
		}
	}
	return true
}

// checkLocalStackHealth accepts a health answer once every requested
// service is available; a service LocalStack does not list, or lists as
// failed, is an error.
func checkLocalStackHealth(status int, body []byte, services []string) (bool, error) {
	if status != 200 {
		return false, nil
	}
	var h struct {
		Services map[string]string `json:"services"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return false, nil
	}
	for _, s := range services {
		switch st, ok := h.Services[s]; {
		case !ok:
			return false, fmt.Errorf("LocalStack does not provide service %q (health: %s)", s, strings.TrimSpace(string(body)))
		case st == "error":
			return false, fmt.Errorf("LocalStack service %q failed (health: %s)", s, strings.TrimSpace(string(body)))
		case st != "available" && st != "running":
			return false, nil
		}
	}
	return true, nil
}

// keepHistory moves the output of a finished process into l.history.
func (l *LocalStack) keepHistory(p *proc, why string) {
	pid := 0
	if p.cmd.Process != nil {
		pid = p.cmd.Process.Pid
	}
	fmt.Fprintf(l.history, "--- %s process %d on %s (%s) ---\n%s\n", l.label(), pid, p.url, why, p.out.String())
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Name returns the name from LocalStackOptions.Name ("localstack" if it was
// empty).
func (l *LocalStack) Name() string { return l.name }

// Services returns the services this LocalStack runs (its SERVICES).
func (l *LocalStack) Services() []string { return slices.Clone(l.services) }

// URL returns the base URL, "http://127.0.0.1:PORT", to be used as the AWS
// endpoint URL for every service. It stays the same across [LocalStack.Reset]
// unless the port was taken while the process restarted.
func (l *LocalStack) URL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.url
}

// Restarts returns how many times Reset has restarted the process.
func (l *LocalStack) Restarts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.restarts
}

// Written reports whether the running process may hold state a fresh one
// would not: whether its request log, as read so far, shows an AWS request
// other than a read (Get*, Describe*, List*, Head*, BatchGet*). It is always
// true when the options changed LocalStack's logging (LS_LOG), which hides
// requests. [LocalStack.ResetIfWritten] first makes sure the log has been
// read up to the moment of the call.
func (l *LocalStack) Written() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writtenLocked()
}

func (l *LocalStack) writtenLocked() bool {
	return !l.trackWrites || l.cur == nil || l.writes.Load() > 0
}

// logSynced makes sure that the request log has been read up to now, so
// that Written is exact: it sends a request (sts:GetCallerIdentity, a
// read) and waits until its own log line has come through the output pipe.
// LocalStack logs a request before it answers it, and the pipe keeps order,
// so every request answered before has been counted then. It reports false
// if that does not work (the caller then takes LocalStack as written).
// l.mu must be held.
func (l *LocalStack) logSynced(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	before := l.syncs.Load()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cur.url+"/",
		strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// LocalStack routes by the signing service and does not check
	// signatures; account 000000000000.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := httpClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	for l.syncs.Load() == before {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

// Reset gives LocalStack a clean state. The community edition cannot reset
// state, so Reset kills the process (SIGKILL: its state is in memory only)
// and starts a new one on the same port, waiting until it is ready; if that
// port was taken meanwhile the new process gets another one and URL
// changes. Restarting takes about a second (see the package documentation).
// The output of earlier processes stays in Logs.
func (l *LocalStack) Reset(ctx context.Context) error {
	_, err := l.reset(ctx, true)
	return err
}

// ResetIfWritten resets LocalStack (see [LocalStack.Reset]) only if it
// may hold state (see [LocalStack.Written]), and reports whether it did.
// Before it decides, it sends LocalStack one sts:GetCallerIdentity and
// waits for its log line, so that every request answered before the call
// is counted (a few milliseconds).
func (l *LocalStack) ResetIfWritten(ctx context.Context) (bool, error) {
	return l.reset(ctx, false)
}

func (l *LocalStack) reset(ctx context.Context, always bool) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false, fmt.Errorf("testenv: resetting %s: it is closed", l.label())
	}
	if !always && !l.writtenLocked() && l.logSynced(ctx) && !l.writtenLocked() {
		return false, nil
	}
	port := 0
	if l.cur != nil {
		why := "reset"
		if err := l.cur.stop(0); err != nil {
			why = "reset after it had exited unexpectedly"
		}
		l.keepHistory(l.cur, why)
		port, _ = strconv.Atoi(l.cur.url[strings.LastIndexByte(l.cur.url, ':')+1:])
		l.cur = nil
	}
	l.restarts++
	if restartHook != nil {
		restartHook(port)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, l.timeout, fmt.Errorf("%w (%v)", errStartTimeout, l.timeout))
	defer cancel()
	if err := l.startLocked(ctx, port, true); err != nil {
		return true, fmt.Errorf("testenv: resetting (restarting) %s: %w", l.label(), err)
	}
	return true, nil
}

// Logs returns LocalStack's captured stdout and stderr: that of earlier
// processes (restarted by Reset, last 256 KiB) followed by that of the
// running one (last 256 KiB). It can be called at any time, also after
// Close.
func (l *LocalStack) Logs() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.history.String()
	if l.cur != nil {
		s += l.cur.out.String()
	}
	return s
}

// Close stops LocalStack (SIGKILL to its process group: its state is in
// memory only and a graceful stop takes seconds) and removes its temporary
// directory. It is idempotent and safe to call from multiple goroutines;
// every call returns after the process is gone. It returns an error if the
// process had exited on its own before Close.
func (l *LocalStack) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.closeErr
	}
	l.closed = true
	var errs []error
	if l.cur != nil {
		errs = append(errs, l.cur.stop(0))
	}
	if err := os.RemoveAll(l.dir); err != nil {
		errs = append(errs, fmt.Errorf("testenv: removing %s's directory: %w", l.label(), err))
	}
	l.closeErr = errors.Join(errs...)
	return l.closeErr
}

// pid returns the running process's pid, or 0 (for tests).
func (l *LocalStack) pid() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return 0
	}
	return l.cur.cmd.Process.Pid
}

// LocalStackPython returns the interpreter LocalStack runs with:
// $AWSREPLICATOR_LOCALSTACK_PYTHON if set, else
// <module root>/.venv-localstack/bin/python (made by
// scripts/setup-localstack.sh). There is no fallback to PATH: LocalStack
// needs the pinned packages and Python 3.13.
func LocalStackPython() (string, error) {
	if p := os.Getenv(LocalStackPythonEnvVar); p != "" {
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	py := filepath.Join(root, localStackVenv, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		return "", fmt.Errorf("no %s in %s (and $%s is not set)", localStackVenv, root, LocalStackPythonEnvVar)
	}
	return py, nil
}

var (
	localStackOnce sync.Once
	localStackErr  error
)

// LocalStackAvailable reports whether a LocalStack can be started. It
// returns an error wrapping [ErrLocalStackSkipped] when
// AWSREPLICATOR_SKIP_LOCALSTACK is set; otherwise nil if the interpreter of
// [LocalStackPython] is Python 3.13+ and imports LocalStack's runtime.
// Otherwise the error says how to install it. The import check is done once
// per process and cached.
func LocalStackAvailable() error {
	if localStackSkipped() {
		return ErrLocalStackSkipped
	}
	localStackOnce.Do(func() { localStackErr = checkLocalStack() })
	return localStackErr
}

// localStackSkipped reports whether AWSREPLICATOR_SKIP_LOCALSTACK is set
// to something true.
func localStackSkipped() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(SkipLocalStackEnvVar))) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// checkLocalStack performs the uncached import check of LocalStackAvailable.
func checkLocalStack() error {
	py, err := LocalStackPython()
	if err != nil {
		return &localStackUnavailableError{python: localStackVenv + "/bin/python", cause: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), localStackImportTimeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "awsreplicator-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, py, "-c",
		"import sys; assert sys.version_info >= (3, 13), 'Python %d.%d: LocalStack needs 3.13' % sys.version_info[:2]; "+
			"import localstack.aws.components, localstack.runtime.main, hypercorn, moto")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "OVERRIDE_IN_DOCKER=0", "FILESYSTEM_ROOT=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if msg := lastLine(string(out)); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return &localStackUnavailableError{python: py, cause: err}
	}
	return nil
}

// localStackUnavailableError is returned by [LocalStackAvailable]. Its
// message starts with what to do; the underlying cause follows.
type localStackUnavailableError struct {
	python string
	cause  error
}

func (e *localStackUnavailableError) Error() string {
	return fmt.Sprintf("LocalStack not found for %s: run ./scripts/test (it installs localstack-core %s into %s; that needs Python 3.13: install it or point $AWSREPLICATOR_PYTHON313 at it), or set %s=1 to test against moto only (cause: %v)",
		e.python, LocalStackVersion, localStackVenv, SkipLocalStackEnvVar, e.cause)
}

func (e *localStackUnavailableError) Unwrap() error { return e.cause }
