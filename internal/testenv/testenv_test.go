package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireMoto skips the test when moto is unavailable, or fails it when the
// CI environment variable is set.
func requireMoto(t *testing.T) {
	t.Helper()
	if err := MotoAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// fakePython installs a shell script as the interpreter (via
// AWSREPLICATOR_PYTHON) for the rest of the test. The script appends a line
// to the returned file each time it runs.
func fakePython(t *testing.T, body string) (calls string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs /bin/sh")
	}
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	script := filepath.Join(dir, "python")
	content := "#!/bin/sh\necho \"$$ $*\" >> '" + calls + "'\n" + body + "\n"
	if err := os.WriteFile(script, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(PythonEnvVar, script)
	return calls
}

// readCalls returns the lines written by a fakePython script: "PID ARGS...".
func readCalls(t *testing.T, calls string) []string {
	t.Helper()
	data, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// httpDo sends a request without a body and returns status and body.
func httpDo(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// createBucket creates an S3 bucket with an unsigned path-style request (moto
// routes unsigned requests to S3) and fails the test unless it works.
func createBucket(t *testing.T, s *Server, bucket string) {
	t.Helper()
	if code, body := httpDo(t, http.MethodPut, s.URL()+"/"+bucket); code != http.StatusOK {
		t.Fatalf("PUT bucket %s on %s: %d %s", bucket, s.Name(), code, body)
	}
}

// hasBucket reports whether ListBuckets on s lists bucket.
func hasBucket(t *testing.T, s *Server, bucket string) bool {
	t.Helper()
	code, body := httpDo(t, http.MethodGet, s.URL()+"/")
	if code != http.StatusOK {
		t.Fatalf("ListBuckets on %s: %d %s", s.Name(), code, body)
	}
	return strings.Contains(body, "<Name>"+bucket+"</Name>")
}

// assertStopped checks that the server's process and process group are gone
// and that its port no longer accepts connections.
func assertStopped(t *testing.T, s *Server) {
	t.Helper()
	select {
	case <-s.done:
	default:
		t.Fatalf("%s: process still running after Close", s.Name())
	}
	if groupAlive(s.cmd.Process.Pid) {
		t.Errorf("%s: process group %d still has live processes after Close", s.Name(), s.cmd.Process.Pid)
	}
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL(), "http://"), time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s: %s still accepts connections after Close", s.Name(), s.URL())
	}
}

// groupAlive reports whether the process group pgid has a process that is
// not a zombie. (Orphaned group members are reaped by init, which may take a
// few seconds in some containers; zombies are dead already.) Without /proc it
// falls back to whether the group exists at all.
func groupAlive(pgid int) bool {
	if runtime.GOOS != "linux" {
		return groupExists(pgid)
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid pgrp ..."; comm may contain anything.
		i := strings.LastIndexByte(string(data), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

func TestStartMotoLifecycle(t *testing.T) {
	requireMoto(t)
	start := time.Now()
	s, err := StartMoto(t.Context(), Options{Name: "lifecycle"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("moto server ready at %s after %v", s.URL(), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { _ = s.Close() })

	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want http://127.0.0.1:PORT", s.URL())
	}
	if s.Name() != "lifecycle" {
		t.Errorf("Name() = %q", s.Name())
	}
	if code, body := httpDo(t, http.MethodGet, s.URL()+ReadyPath); code != http.StatusOK {
		t.Errorf("GET %s = %d %s", ReadyPath, code, body)
	}

	createBucket(t, s, "before-reset")
	if !hasBucket(t, s, "before-reset") {
		t.Fatal("bucket not listed after creating it")
	}
	if err := s.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if hasBucket(t, s, "before-reset") {
		t.Error("bucket still listed after Reset")
	}

	if logs := s.Logs(); !strings.Contains(logs, "Running on "+s.URL()) || !strings.Contains(logs, "POST /moto-api/reset") {
		t.Errorf("Logs() lacks the startup line or the reset request:\n%s", logs)
	}

	// Concurrent Closes all wait for the process to be gone.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Close() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Close #%d: %v", i, err)
		}
	}
	assertStopped(t, s)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Reset(t.Context()); err == nil {
		t.Error("Reset after Close succeeded")
	}
	if s.Logs() == "" {
		t.Error("Logs() empty after Close")
	}
}

func TestStartMotoEnvironment(t *testing.T) {
	// The fake interpreter reports its environment in its output, which
	// ends up in the error when it exits.
	fakePython(t, `echo "account=${MOTO_ACCOUNT_ID-unset} extra=$TESTENV_EXTRA unbuffered=$PYTHONUNBUFFERED" >&2; exit 1`)
	t.Setenv("MOTO_ACCOUNT_ID", "999999999999")
	_, err := StartMoto(t.Context(), Options{Name: "env", Env: []string{"TESTENV_EXTRA=5"}})
	if err == nil {
		t.Fatal("StartMoto succeeded")
	}
	if want := "account=unset extra=5 unbuffered=1"; !strings.Contains(err.Error(), want) {
		t.Errorf("error lacks %q: %v", want, err)
	}
}

func TestCloseAfterUnexpectedExit(t *testing.T) {
	requireMoto(t)
	s, err := StartMoto(t.Context(), Options{Name: "doomed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := kill(s.cmd.Process); err != nil {
		t.Fatal(err)
	}
	<-s.done
	err = s.Close()
	if err == nil || !strings.Contains(err.Error(), "exited unexpectedly") {
		t.Errorf("Close after the process died = %v, want an 'exited unexpectedly' error", err)
	}
	if err2 := s.Close(); err2 != err {
		t.Errorf("second Close = %v, want the same error %v", err2, err)
	}
}

func TestStartMotoRetriesWhenPortTaken(t *testing.T) {
	requireMoto(t)
	// Something else, answering 200 to everything, holds the first port
	// picked: StartMoto must not mistake it for its own server.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	foreign := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "{}")
	})}
	go foreign.Serve(l)
	defer foreign.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	picks := 0
	pickPort = func() (int, error) {
		picks++
		if picks == 1 {
			return taken, nil
		}
		return FreePort()
	}
	defer func() { pickPort = FreePort }()

	s, err := StartMoto(t.Context(), Options{Name: "retry"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if picks != 2 {
		t.Errorf("picked %d ports, want 2", picks)
	}
	if s.URL() == "http://127.0.0.1:"+strconv.Itoa(taken) {
		t.Fatalf("StartMoto returned the foreign server's port %d", taken)
	}
	createBucket(t, s, "mine")
}

func TestStartMotoCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	s, err := StartMoto(ctx, Options{Name: "cancelled"})
	if err == nil {
		s.Close()
		t.Fatal("StartMoto with a cancelled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("StartMoto took %v with a cancelled context", d)
	}
}

func TestStartMotoCancelDuringStart(t *testing.T) {
	// The fake interpreter never becomes ready; "sleep" runs as a child of
	// the shell, so killing only the shell would leave it behind.
	calls := fakePython(t, "sleep 60")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := StartMoto(ctx, Options{Name: "slow"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v does not wrap context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("StartMoto took %v to give up after cancellation", d)
	}
	lines := readCalls(t, calls)
	pid, _ := strconv.Atoi(strings.Fields(lines[0])[0])
	if groupAlive(pid) {
		t.Errorf("process group %d still has live processes after the failed start", pid)
	}
	if want := " -m moto.server -H 127.0.0.1 -p "; !strings.Contains(lines[0], want) {
		t.Errorf("interpreter called as %q, want args containing %q", lines[0], want)
	}
}

func TestStartMotoTimeout(t *testing.T) {
	fakePython(t, "echo starting; sleep 60")
	start := time.Now()
	_, err := StartMoto(t.Context(), Options{Name: "stuck", StartTimeout: 300 * time.Millisecond})
	if !errors.Is(err, errStartTimeout) {
		t.Fatalf("error %v does not wrap errStartTimeout", err)
	}
	if !strings.Contains(err.Error(), "stuck") || !strings.Contains(err.Error(), "starting") {
		t.Errorf("error lacks the server name or its output: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("StartMoto took %v with a 300ms timeout", d)
	}
}

func TestStartMotoProcessExitsEarly(t *testing.T) {
	calls := fakePython(t, "echo 'Traceback: boom' >&2; exit 3")
	_, err := StartMoto(t.Context(), Options{Name: "broken"})
	if err == nil {
		t.Fatal("StartMoto succeeded")
	}
	for _, want := range []string{"broken", "exited before it was ready", "exit status 3", "Traceback: boom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if n := len(readCalls(t, calls)); n != 1 {
		t.Errorf("interpreter ran %d times, want 1 (no retry for non-bind failures)", n)
	}
}

func TestStartMotoGivesUpAfterThreeBindFailures(t *testing.T) {
	calls := fakePython(t, "echo 'Address already in use' >&2; exit 1")
	_, err := StartMoto(t.Context(), Options{Name: "unlucky"})
	if !errors.Is(err, errPortInUse) {
		t.Fatalf("error %v does not wrap errPortInUse", err)
	}
	if !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Errorf("error: %v", err)
	}
	if n := len(readCalls(t, calls)); n != 3 {
		t.Errorf("interpreter ran %d times, want 3", n)
	}
}

func TestEnv(t *testing.T) {
	requireMoto(t)
	start := time.Now()
	e, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("source and target ready after %v", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { _ = e.Close() })

	if e.Source.Name() != "source" || e.Target.Name() != "target" {
		t.Errorf("names = %q, %q", e.Source.Name(), e.Target.Name())
	}
	if e.Source.URL() == e.Target.URL() {
		t.Fatalf("source and target share %s", e.Source.URL())
	}

	// The servers have independent state.
	createBucket(t, e.Source, "only-in-source")
	if hasBucket(t, e.Target, "only-in-source") {
		t.Error("bucket created in source shows up in target")
	}
	createBucket(t, e.Target, "only-in-target")

	if got := Require(t, e); got != e {
		t.Errorf("Require returned %p, want %p", got, e)
	}
	if hasBucket(t, e.Source, "only-in-source") || hasBucket(t, e.Target, "only-in-target") {
		t.Error("Require did not reset the servers")
	}

	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, e.Source)
	assertStopped(t, e.Target)
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPython(t *testing.T) {
	t.Setenv(PythonEnvVar, "/opt/custom/python")
	if got, err := Python(); err != nil || got != "/opt/custom/python" {
		t.Errorf("Python() with $%s = %q, %v", PythonEnvVar, got, err)
	}

	t.Setenv(PythonEnvVar, "")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s has no go.mod: %v", root, err)
	}
	got, err := Python()
	if err != nil {
		t.Skip(err)
	}
	venv := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(venv); err == nil {
		if got != venv {
			t.Errorf("Python() = %q, want the venv %q", got, venv)
		}
	} else if filepath.Base(got) != "python3" {
		t.Errorf("Python() = %q, want python3 from PATH", got)
	}
}

func TestIsModuleRoot(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		gomod string
		want  bool
	}{
		{"module github.com/awsreplicator/awsreplicator\n\ngo 1.26\n", true},
		{"// comment\nmodule \"github.com/awsreplicator/awsreplicator\" // x\n", true},
		{"module github.com/awsreplicator/awsreplicator/tools\n", false},
		{"module example.com/other\n", false},
		{"modules github.com/awsreplicator/awsreplicator\n", false},
		{"go 1.26\n", false},
	} {
		path := filepath.Join(dir, "go.mod")
		if err := os.WriteFile(path, []byte(tc.gomod), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := isModuleRoot(path); got != tc.want {
			t.Errorf("isModuleRoot(%q) = %v, want %v", tc.gomod, got, tc.want)
		}
	}
	if isModuleRoot(filepath.Join(dir, "missing.mod")) {
		t.Error("isModuleRoot of a missing file = true")
	}
}

func TestMotoHint(t *testing.T) {
	t.Setenv(PythonEnvVar, "/nonexistent/python")
	err := checkMoto()
	if err == nil {
		t.Fatal("checkMoto with a missing interpreter succeeded")
	}
	want := "moto server not found for /nonexistent/python: run ./scripts/test (it installs it into .venv), or pip install 'moto[server]==5.2.1'"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
}

func TestChildEnv(t *testing.T) {
	t.Setenv("MOTO_ACCOUNT_ID", "111111111111")
	t.Setenv("TESTENV_KEEP", "yes")
	env := childEnv([]string{"EXTRA=1"})
	has := func(kv string) bool {
		for _, e := range env {
			if e == kv {
				return true
			}
		}
		return false
	}
	if has("MOTO_ACCOUNT_ID=111111111111") {
		t.Error("MOTO_ACCOUNT_ID inherited")
	}
	if !has("TESTENV_KEEP=yes") || !has("EXTRA=1") || !has("PYTHONUNBUFFERED=1") {
		t.Errorf("env lacks expected variables: %q", env)
	}
	if env := childEnv([]string{"MOTO_ACCOUNT_ID=222222222222"}); env[len(env)-1] != "MOTO_ACCOUNT_ID=222222222222" {
		t.Error("explicit MOTO_ACCOUNT_ID dropped")
	}
}

func TestOutput(t *testing.T) {
	o := newOutput(10, "Running on http://127.0.0.1:5999")
	// A shorter port with the same prefix is not the marker.
	o.Write([]byte(" * Running on http://127.0.0.1:59\n * Running on http://127.0.0.1:599"))
	select {
	case <-o.Bound():
		t.Fatal("marker matched a different port")
	default:
	}
	// The marker line arrives split across writes.
	o.Write([]byte("9"))
	o.Write([]byte("\r\nPress CTRL+C to quit\n"))
	select {
	case <-o.Bound():
	default:
		t.Fatal("marker not seen")
	}
	if got, want := o.String(), "[... earlier output discarded ...]\nC to quit\n"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	o.Write([]byte(strings.Repeat("x", 100)))
	if got := o.String(); !strings.HasSuffix(got, "\n"+strings.Repeat("x", 10)) {
		t.Errorf("String() = %q, want the last 10 bytes", got)
	}

	if got := tail("a\nbb\nccc\n", 100); got != "a\nbb\nccc\n" {
		t.Errorf("tail short = %q", got)
	}
	if got := tail("a\nbb\nccc\n", 6); got != "[... truncated ...]\nccc\n" {
		t.Errorf("tail = %q", got)
	}
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("port %d from FreePort is not free: %v", p, err)
	}
	l.Close()
}
