package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// requireLocalStack skips the test when LocalStack is unavailable or turned
// off, or fails it when it is missing and the CI environment variable is set.
func requireLocalStack(t *testing.T) {
	t.Helper()
	if err := LocalStackAvailable(); err != nil {
		if os.Getenv("CI") != "" && !errors.Is(err, ErrLocalStackSkipped) {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// ssmIn returns an SSM client for the emulator at url acting in account,
// selected the LocalStack way (the access key id is the account id).
func ssmIn(url, account string) *awsssm.Client {
	return awsssm.New(awsssm.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(url),
		Credentials:  awscreds.NewStaticCredentialsProvider(account, "test", ""),
	})
}

// putParam creates a String parameter and returns its ARN as read back.
func putParam(t *testing.T, c *awsssm.Client, name string) string {
	t.Helper()
	ctx := t.Context()
	if _, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatalf("PutParameter %s: %v", name, err)
	}
	out, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("GetParameter %s: %v", name, err)
	}
	return aws.ToString(out.Parameter.ARN)
}

// hasParam reports whether the parameter exists.
func hasParam(t *testing.T, c *awsssm.Client, name string) bool {
	t.Helper()
	out, err := c.GetParameters(t.Context(), &awsssm.GetParametersInput{Names: []string{name}})
	if err != nil {
		t.Fatalf("GetParameters %s: %v", name, err)
	}
	return len(out.Parameters) == 1
}

// rssMiB returns the resident memory of pid's process group in MiB (Linux).
func rssMiB(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb >> 10
		}
	}
	return -1
}

func TestLocalStackLifecycle(t *testing.T) {
	requireLocalStack(t)
	start := time.Now()
	l, err := StartLocalStack(t.Context(), LocalStackOptions{Services: []string{"ssm"}, Name: "lifecycle"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("LocalStack ready at %s after %v (RSS %d MiB)", l.URL(), time.Since(start).Round(time.Millisecond), rssMiB(l.pid()))
	defer l.Close()
	url, dir, pid := l.URL(), l.dir, l.pid()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want http://127.0.0.1:PORT", url)
	}
	if l.Name() != "lifecycle" || !slices.Equal(l.Services(), []string{"ssm", "sts"}) {
		t.Errorf("Name() = %q, Services() = %q", l.Name(), l.Services())
	}
	code, body := httpDo(t, http.MethodGet, url+LocalStackHealthPath)
	for _, want := range []string{`"ssm": "available"`, `"sts": "available"`, `"version": "` + LocalStackVersion + `"`} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %s; want 200 with %s", LocalStackHealthPath, code, body, want)
		}
	}
	// It runs in its own directory, not in the real /var/lib/localstack.
	if _, err := os.Stat(filepath.Join(dir, "fs", "var", "lib", "localstack")); err != nil {
		t.Errorf("FILESYSTEM_ROOT not used: %v", err)
	}

	// The account is the 12-digit access key id; reads leave it clean.
	c := ssmIn(url, "111111111111")
	if hasParam(t, c, "/lifecycle/p") || l.Written() {
		t.Fatalf("fresh LocalStack: parameter exists %v, Written %v", hasParam(t, c, "/lifecycle/p"), l.Written())
	}
	if reset, err := l.ResetIfWritten(t.Context()); reset || err != nil || l.Restarts() != 0 {
		t.Errorf("ResetIfWritten after reads only = %v, %v (restarts %d); want no restart", reset, err, l.Restarts())
	}
	if arn := putParam(t, c, "/lifecycle/p"); arn != "arn:aws:ssm:eu-west-2:111111111111:parameter/lifecycle/p" {
		t.Errorf("ARN = %s, want account 111111111111 and region eu-west-2", arn)
	}
	if hasParam(t, ssmIn(url, "222222222222"), "/lifecycle/p") {
		t.Error("parameter of account 111111111111 visible in account 222222222222")
	}
	t.Logf("RSS after SSM requests: %d MiB", rssMiB(pid))
	if !l.Written() {
		t.Error("Written() = false after PutParameter")
	}

	// Reset restarts the process on the same port with a clean state.
	for i := range 2 {
		start = time.Now()
		reset, err := l.ResetIfWritten(t.Context())
		if err != nil || !reset {
			t.Fatalf("ResetIfWritten after a write = %v, %v", reset, err)
		}
		t.Logf("reset #%d (restart) took %v", i+1, time.Since(start).Round(time.Millisecond))
		if l.URL() != url {
			t.Errorf("URL changed across Reset: %s -> %s", url, l.URL())
		}
		if l.pid() == pid || groupAlive(pid) {
			t.Errorf("old process %d still alive after Reset (new %d)", pid, l.pid())
		}
		pid = l.pid()
		if hasParam(t, c, "/lifecycle/p") {
			t.Fatal("parameter still there after Reset")
		}
		putParam(t, c, "/lifecycle/p")
	}
	if err := l.Reset(t.Context()); err != nil || l.Restarts() != 3 {
		t.Fatalf("Reset = %v, restarts %d, want 3", err, l.Restarts())
	}
	logs := l.Logs()
	for _, want := range []string{"127.0.0.1:" + url[strings.LastIndexByte(url, ':')+1:] + " (CTRL + C to quit)", "Ready.", "ssm.PutParameter => 200", "(reset) ---"} {
		if !strings.Contains(logs, want) {
			t.Errorf("Logs() lacks %q:\n%s", want, tail(logs, 4<<10))
		}
	}
	if n := strings.Count(logs, "(reset) ---"); n != 3 {
		t.Errorf("Logs() shows %d reset processes, want 3", n)
	}

	// Concurrent Closes all wait for the process to be gone.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = l.Close() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Close #%d: %v", i, err)
		}
	}
	if groupAlive(pid) {
		t.Errorf("process group %d alive after Close", pid)
	}
	waitClosed(t, url, 0)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s not removed by Close: %v", dir, err)
	}
	if err := l.Reset(t.Context()); err == nil {
		t.Error("Reset after Close succeeded")
	}
	if l.Logs() == "" {
		t.Error("Logs() empty after Close")
	}
}

// LocalStack says "Ready." even when its port is taken (it swallows the
// bind error); a restart that finds its port taken must notice and move.
func TestLocalStackResetMovesWhenPortTaken(t *testing.T) {
	requireLocalStack(t)
	l, err := StartLocalStack(t.Context(), LocalStackOptions{Services: []string{"sts"}, Name: "mover"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	old := l.URL()
	var foreign *http.Server
	restartHook = func(port int) {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Errorf("taking port %d: %v", port, err)
			return
		}
		// Answers 200 with a plausible health document to everything.
		foreign = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"services": {"sts": "available"}}`)
		})}
		go foreign.Serve(ln)
	}
	defer func() { restartHook = nil }()
	if err := l.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if foreign == nil {
		t.Fatal("hook did not run")
	}
	defer foreign.Close()
	if l.URL() == old {
		t.Fatalf("URL %s unchanged although the port was taken", old)
	}
	if !strings.Contains(l.Logs(), "never logged that it listens on "+old) {
		t.Errorf("logs lack the failed attempt:\n%s", tail(l.Logs(), 4<<10))
	}
	if code, body := httpDo(t, http.MethodGet, l.URL()+LocalStackHealthPath); code != http.StatusOK || !strings.Contains(body, "edition") {
		t.Errorf("new LocalStack at %s: %d %s", l.URL(), code, body)
	}
}

func TestLocalStackEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs /bin/sh")
	}
	// The fake interpreter prints its environment and exits.
	d := t.TempDir()
	script := filepath.Join(d, "python")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv >&2\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(LocalStackPythonEnvVar, script)
	t.Setenv("TESTENV_LEAK", "yes")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKING")
	_, err := StartLocalStack(t.Context(), LocalStackOptions{Name: "env", Services: []string{"kms"}, Env: []string{"DEBUG=1"}})
	if err == nil {
		t.Fatal("StartLocalStack succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"env LocalStack", "exited before it was ready", "exit status 7",
		"OVERRIDE_IN_DOCKER=0", "GATEWAY_SERVER=hypercorn", "DNS_ADDRESS=0", "SERVICES=kms,sts", "DEBUG=1",
		"AWS_ACCESS_KEY_ID=test", "AWS_EC2_METADATA_DISABLED=true", "/awsreplicator-localstack-"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	for _, bad := range []string{"TESTENV_LEAK", "AKIAREALLOOKING"} {
		if strings.Contains(msg, bad) {
			t.Errorf("the test's environment (%s) leaked into LocalStack's: %v", bad, err)
		}
	}
	var listen, root string
	for line := range strings.SplitSeq(msg, "\n") {
		if v, ok := strings.CutPrefix(line, "GATEWAY_LISTEN="); ok {
			listen = v
		}
		if v, ok := strings.CutPrefix(line, "FILESYSTEM_ROOT="); ok {
			root = v
		}
	}
	if !strings.HasPrefix(listen, "127.0.0.1:") {
		t.Errorf("GATEWAY_LISTEN=%q, want loopback", listen)
	}
	if root == "" {
		t.Fatal("no FILESYSTEM_ROOT")
	}
	if _, err := os.Stat(filepath.Dir(root)); !os.IsNotExist(err) {
		t.Errorf("instance directory %s left behind after a failed start (%v)", filepath.Dir(root), err)
	}
}

func TestLocalStackServices(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    []string
		wantErr string
	}{
		{nil, append(slices.Clone(DefaultLocalStackServices[:5]), "sts"), ""},
		{[]string{"ssm"}, []string{"ssm", "sts"}, ""},
		{[]string{" KMS", "kms", "sts", "ssm"}, []string{"kms", "sts", "ssm"}, ""},
		{[]string{"ssm", "s3"}, nil, "/tmp/localstack-s3-storage"},
		{[]string{"ssm,kms"}, nil, "invalid LocalStack service name"},
	} {
		got, err := localStackServices(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("localStackServices(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("localStackServices(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestIsWriteRequestLog(t *testing.T) {
	for line, want := range map[string]bool{
		"2026-11-25T12:09:19.602  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS ssm.PutParameter => 200":                             true,
		"2026-11-25T12:09:20.552  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS ec2.CreateVpc => 400 (InvalidVpc.DuplicateCustomId)": true,
		"2026-11-25T12:09:20.552  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS secretsmanager.TagResource => 200":                   true,
		"2026-11-25T12:09:19.671  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS ssm.GetParameters => 200":                            false,
		"2026-11-25T12:09:19.792  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS sts.GetCallerIdentity => 200":                        false,
		"2026-11-25T12:09:20.516  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS ec2.DescribeVpcs => 200":                             false,
		"2026-11-25T12:09:20.516  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS kms.ListResourceTags => 200":                         false,
		"2026-11-25T12:09:20.516  INFO --- [   asgi_gw_0] localstack.request.http    : GET /_localstack/health => 200":                          false,
		"Ready.": false,
	} {
		op := requestLogOp(line)
		if got := op != "" && isWriteOp(op); got != want {
			t.Errorf("requestLogOp(%q) = %q, a write: %v, want %v", line, op, got, want)
		}
	}
}

func TestCheckLocalStackHealth(t *testing.T) {
	svcs := []string{"ssm", "sts"}
	for _, tc := range []struct {
		status  int
		body    string
		ok      bool
		wantErr string
	}{
		{200, `{"services": {"ssm": "available", "sts": "running", "ec2": "disabled"}}`, true, ""},
		{503, `{"services": {"ssm": "available", "sts": "available"}}`, false, ""},
		{200, `not json`, false, ""},
		{200, `{"services": {"ssm": "initializing", "sts": "available"}}`, false, ""},
		{200, `{"services": {"ssm": "error", "sts": "available"}}`, false, `service "ssm" failed`},
		{200, `{"services": {"sts": "available"}}`, false, `does not provide service "ssm"`},
	} {
		ok, err := checkLocalStackHealth(tc.status, []byte(tc.body), svcs)
		if ok != tc.ok || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("checkLocalStackHealth(%d, %s) = %v, %v; want %v, %q", tc.status, tc.body, ok, err, tc.ok, tc.wantErr)
		}
	}
}

func TestLocalStackAvailableHintAndSkip(t *testing.T) {
	t.Setenv(LocalStackPythonEnvVar, "/nonexistent/python")
	err := checkLocalStack()
	want := "LocalStack not found for /nonexistent/python: run ./scripts/test (it installs localstack-core " + LocalStackVersion +
		" into .venv-localstack; that needs Python 3.13: install it or point $AWSREPLICATOR_PYTHON313 at it), or set AWSREPLICATOR_SKIP_LOCALSTACK=1 to test against moto only"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("checkLocalStack() = %v, want prefix %q", err, want)
	}
	for v, skipped := range map[string]bool{"1": true, "true": true, "yes": true, "": false, "0": false, "false": false} {
		t.Setenv(SkipLocalStackEnvVar, v)
		if got := errors.Is(LocalStackAvailable(), ErrLocalStackSkipped); got != skipped {
			t.Errorf("%s=%q: skipped = %v, want %v", SkipLocalStackEnvVar, v, got, skipped)
		}
	}
}

func TestLocalStackCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := StartLocalStack(ctx, LocalStackOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("StartLocalStack with a cancelled context = %v, want context.Canceled", err)
	}
}

// A restart's attempts share what is left of its time equally, so that one
// hung process leaves time for the next on a fresh port; the last attempt
// (or a single one) gets all that is left.
func TestAttemptContextShares(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for left, want := range map[int]time.Duration{3: 10 * time.Second, 2: 15 * time.Second, 1: 30 * time.Second} {
		actx, acancel := attemptContext(ctx, left)
		d, ok := actx.Deadline()
		acancel()
		if got := time.Until(d); !ok || got > want || got < want-time.Second {
			t.Errorf("%d attempts left: %v to go (deadline %v), want about %v", left, got, ok, want)
		}
	}
	actx, acancel := attemptContext(context.Background(), 3)
	defer acancel()
	if _, ok := actx.Deadline(); ok {
		t.Error("an attempt of a start without a deadline got one")
	}
}
