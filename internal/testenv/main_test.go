package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childModeVar selects the behaviour of TestMainChild when this test binary
// is re-executed by the Main tests; when it is set, TestMain uses Main.
const childModeVar = "TESTENV_MAIN_CHILD"

// mainEnv is the Env that Main sets up in a child test binary.
var mainEnv *Env

func TestMain(m *testing.M) {
	if os.Getenv(childModeVar) != "" {
		Main(m, &mainEnv)
	}
	os.Exit(m.Run())
}

// TestMainChild only does something in a child test binary started by
// runChild; what depends on $TESTENV_MAIN_CHILD.
func TestMainChild(t *testing.T) {
	mode := os.Getenv(childModeVar)
	if mode == "" {
		t.Skip("only runs in a child process")
	}
	e := Require(t, mainEnv)
	switch mode {
	case "pass":
	case "fail":
		t.Error("intentional failure")
	case "hang":
		fmt.Printf("URLS %s %s\n", e.Source.URL(), e.Target.URL())
		time.Sleep(time.Minute)
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}

// childCmd returns a command that re-executes this test binary running only
// TestMainChild in the given mode, with extra environment variables.
func childCmd(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{childModeVar + "=" + mode}, env...)...)
	return cmd
}

// runChild runs a child test binary and returns its exit code and output.
func runChild(t *testing.T, mode string, env ...string) (int, string, string) {
	t.Helper()
	cmd := childCmd(t, mode, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func TestMainPass(t *testing.T) {
	requireMoto(t)
	code, stdout, stderr := runChild(t, "pass")
	if code != 0 || !strings.Contains(stdout, "--- PASS: TestMainChild") {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "moto server output") {
		t.Errorf("server logs printed although the tests passed:\n%s", stderr)
	}
}

func TestMainFailurePrintsLogs(t *testing.T) {
	requireMoto(t)
	code, stdout, stderr := runChild(t, "fail")
	if code != 1 || !strings.Contains(stdout, "intentional failure") {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"--- testenv: source moto server output", "--- testenv: target moto server output", "POST /moto-api/reset"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestMainMotoUnavailable(t *testing.T) {
	code, stdout, stderr := runChild(t, "pass", PythonEnvVar+"=/nonexistent/python", "CI=")
	if code != 0 || !strings.Contains(stdout, "--- SKIP: TestMainChild") || !strings.Contains(stdout, "pip install 'moto[server]==5.2.1'") {
		t.Errorf("without CI: exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runChild(t, "pass", PythonEnvVar+"=/nonexistent/python", "CI=true")
	if code != 1 || !strings.Contains(stderr, "moto server not found for /nonexistent/python") || strings.Contains(stdout, "TestMainChild") {
		t.Errorf("with CI: exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// startHangingChild starts a child whose test blocks after printing the
// servers' URLs, and returns it with those URLs.
func startHangingChild(t *testing.T) (*exec.Cmd, []string) {
	t.Helper()
	cmd := childCmd(t, "hang")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if urls, ok := strings.CutPrefix(sc.Text(), "URLS "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, strings.Fields(urls)
		}
	}
	_ = cmd.Wait()
	t.Fatalf("child printed no URLs; stderr:\n%s", stderr.String())
	return nil, nil
}

// waitClosed waits up to d for url's port to stop accepting connections.
func waitClosed(t *testing.T, url string, d time.Duration) {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	deadline := time.Now().Add(d)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Errorf("%s still accepts connections after %v", url, d)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMainSignalStopsServers(t *testing.T) {
	requireMoto(t)
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	cmd, urls := startHangingChild(t)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGINT) {
		t.Errorf("exit code %d after SIGINT, want %d", code, 128+int(syscall.SIGINT))
	}
	for _, u := range urls {
		waitClosed(t, u, 0)
	}
}

func TestParentDeathKillsServers(t *testing.T) {
	requireMoto(t)
	if runtime.GOOS != "linux" {
		t.Skip("parent-death signal is Linux only")
	}
	cmd, urls := startHangingChild(t)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, u := range urls {
		waitClosed(t, u, 5*time.Second)
	}
}
