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

// childLocalStackVar, set in a child, makes it ask Main for a LocalStack.
const childLocalStackVar = "TESTENV_MAIN_LOCALSTACK"

// childFailVar, set in a child's "targets" mode, makes the test fail after
// the targets ran.
const childFailVar = "TESTENV_MAIN_FAIL"

// mainEnv is the Env that Main sets up in a child test binary.
var mainEnv *Env

func TestMain(m *testing.M) {
	if os.Getenv(childModeVar) != "" {
		if os.Getenv(childLocalStackVar) != "" {
			Main(m, &mainEnv, WithLocalStack("ssm"))
		}
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
	if mode == "targets" {
		// Each target starts clean (run with -test.count=2 to see that a
		// target written by the first run is reset for the second).
		ForEachTarget(t, mainEnv, func(t *testing.T, tgt Target) {
			c := ssmIn(tgt.URL(), "111111111111")
			if hasParam(t, c, "/child/p") {
				t.Errorf("%s target not clean", tgt.Name)
			}
			putParam(t, c, "/child/p")
			fmt.Printf("TARGET %s %s\n", tgt.Name, tgt.URL())
		})
		if os.Getenv(childFailVar) != "" {
			t.Error("intentional failure")
		}
		return
	}
	e := Require(t, mainEnv)
	switch mode {
	case "pass":
	case "fail":
		t.Error("intentional failure")
	case "hang":
		urls := []string{e.Source.URL(), e.Target.URL()}
		if e.LocalStack != nil {
			urls = append(urls, e.LocalStack.URL())
			fmt.Printf("LSDIR %s\n", e.LocalStack.dir)
		}
		fmt.Printf("URLS %s\n", strings.Join(urls, " "))
		time.Sleep(time.Minute)
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}

// childCmd returns a command that re-executes this test binary running only
// TestMainChild in the given mode, with extra environment variables.
func childCmd(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	count := "1"
	if mode == "targets" {
		count = "2"
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainChild$", "-test.v", "-test.count="+count)
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
func startHangingChild(t *testing.T, env ...string) (cmd *exec.Cmd, urls []string, lsDir string) {
	t.Helper()
	cmd = childCmd(t, "hang", env...)
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
		if dir, ok := strings.CutPrefix(sc.Text(), "LSDIR "); ok {
			// Removed by Close, but not when the child is SIGKILLed.
			lsDir = dir
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
		}
		if u, ok := strings.CutPrefix(sc.Text(), "URLS "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, strings.Fields(u), lsDir
		}
	}
	_ = cmd.Wait()
	t.Fatalf("child printed no URLs; stderr:\n%s", stderr.String())
	return nil, nil, ""
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
	cmd, urls, _ := startHangingChild(t)
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
	testParentDeathKillsServers(t)
}

func TestParentDeathKillsLocalStack(t *testing.T) {
	requireMoto(t)
	requireLocalStack(t)
	testParentDeathKillsServers(t, childLocalStackVar+"=1")
}

func testParentDeathKillsServers(t *testing.T, env ...string) {
	if runtime.GOOS != "linux" {
		t.Skip("parent-death signal is Linux only")
	}
	cmd, urls, lsDir := startHangingChild(t, env...)
	if len(urls) != 2+len(env) {
		t.Fatalf("child printed URLs %q", urls)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, u := range urls {
		waitClosed(t, u, 5*time.Second)
	}
	if lsDir != "" {
		// The orphaned directory is there until the next start removes it.
		if _, err := os.Stat(lsDir); err != nil {
			t.Fatalf("LocalStack directory of the killed child: %v", err)
		}
		removeOrphanDirs()
		if _, err := os.Stat(lsDir); !os.IsNotExist(err) {
			t.Errorf("orphaned LocalStack directory %s not removed (%v)", lsDir, err)
		}
	}
}

func TestMainLocalStackTargets(t *testing.T) {
	requireMoto(t)
	requireLocalStack(t)
	code, stdout, stderr := runChild(t, "targets", childLocalStackVar+"=1", childFailVar+"=1")
	if code != 1 || strings.Count(stdout, "--- PASS: TestMainChild/moto") != 2 || strings.Count(stdout, "--- PASS: TestMainChild/localstack") != 2 ||
		!strings.Contains(stdout, "intentional failure") {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// The LocalStack written by the first run was restarted for the
	// second, on the same port.
	var lsURLs []string
	for line := range strings.SplitSeq(stdout, "\n") {
		if u, ok := strings.CutPrefix(line, "TARGET localstack "); ok {
			lsURLs = append(lsURLs, u)
		}
	}
	if len(lsURLs) != 2 || lsURLs[0] != lsURLs[1] {
		t.Errorf("LocalStack URLs of the two runs: %q, want the same twice", lsURLs)
	}
	for _, want := range []string{"--- testenv: target LocalStack output", "1 restarts", "Ready.", "ssm.PutParameter => 200", "--- testenv: target moto server output"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestMainLocalStackUnavailable(t *testing.T) {
	requireMoto(t)
	missing := LocalStackPythonEnvVar + "=/nonexistent/python"
	code, stdout, stderr := runChild(t, "targets", childLocalStackVar+"=1", missing, "CI=", SkipLocalStackEnvVar+"=")
	if code != 0 || !strings.Contains(stdout, "--- PASS: TestMainChild/moto") || !strings.Contains(stdout, "--- SKIP: TestMainChild/localstack") ||
		!strings.Contains(stdout, "LocalStack not found for /nonexistent/python: run ./scripts/test") {
		t.Errorf("without CI: exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runChild(t, "targets", childLocalStackVar+"=1", missing, "CI=true", SkipLocalStackEnvVar+"=")
	if code != 1 || !strings.Contains(stderr, "CI is set, so a missing LocalStack is an error") || strings.Contains(stdout, "TestMainChild") {
		t.Errorf("with CI: exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runChild(t, "targets", childLocalStackVar+"=1", missing, "CI=true", SkipLocalStackEnvVar+"=1")
	if code != 0 || !strings.Contains(stdout, "--- PASS: TestMainChild/moto") || !strings.Contains(stdout, "--- SKIP: TestMainChild/localstack") ||
		!strings.Contains(stdout, "turned off by "+SkipLocalStackEnvVar) {
		t.Errorf("with CI and %s=1: exit code %d\nstdout:\n%s\nstderr:\n%s", SkipLocalStackEnvVar, code, stdout, stderr)
	}
}

func TestMainWithoutLocalStackFailsTargets(t *testing.T) {
	requireMoto(t)
	code, stdout, stderr := runChild(t, "targets")
	if code != 1 || !strings.Contains(stdout, "--- PASS: TestMainChild/moto") || !strings.Contains(stdout, "--- FAIL: TestMainChild/localstack") ||
		!strings.Contains(stdout, "testenv.WithLocalStack") {
		t.Errorf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
