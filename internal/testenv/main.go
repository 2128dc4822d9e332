package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// mainLogTail is how much of each server's output Main prints when tests fail.
const mainLogTail = 64 << 10

// errNotStarted is the failure reported by Require when the Env is nil
// although moto is available, i.e. Main was not used.
var errNotStarted = errors.New("testenv: env is nil although moto is available; start it with testenv.Main in TestMain (or testenv.Start)")

// requireResetTimeout bounds the reset done by Require.
const requireResetTimeout = 30 * time.Second

// Main runs a test binary's tests with a shared [Env]. Use it in TestMain:
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) { testenv.Main(m, &env) }
//
// If moto is unavailable (see [MotoAvailable]) and the CI environment
// variable is set, Main prints the installation hint and exits with status 1.
// If moto is unavailable and CI is unset, *env is left nil and the tests run
// anyway; those calling [Require] are skipped.
//
// With [WithLocalStack], Main also starts a LocalStack (Env.LocalStack). If
// LocalStack is unavailable (see [LocalStackAvailable]) Main exits with
// status 1 when CI is set, unless AWSREPLICATOR_SKIP_LOCALSTACK turned it
// off; otherwise the tests run without it and [ForEachTarget] skips their
// LocalStack cases, saying why.
//
// Otherwise Main starts the Env, stores it in *env, runs the tests, and
// always closes the Env afterwards. If the tests failed it prints the last
// 64 KiB of each server's output to stderr. Main then exits with the tests'
// exit code. If the process receives SIGINT or SIGTERM, Main stops the
// servers and exits (a second signal kills the process at once).
//
// Main never returns.
func Main(m *testing.M, env **Env, opts ...Option) {
	os.Exit(runMain(m, env, opts...))
}

// runMain implements Main and returns the exit code.
func runMain(m *testing.M, env **Env, opts ...Option) int {
	*env = nil
	if err := MotoAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "testenv: %v\ntestenv: CI is set, so a missing moto server is an error\n", err)
			return 1
		}
		return m.Run()
	}
	var cfg startConfig
	for _, o := range opts {
		o(&cfg)
	}
	var lsErr error
	if cfg.localStack {
		if lsErr = LocalStackAvailable(); lsErr != nil {
			if os.Getenv("CI") != "" && !errors.Is(lsErr, ErrLocalStackSkipped) {
				fmt.Fprintf(os.Stderr, "testenv: %v\ntestenv: CI is set, so a missing LocalStack is an error (set %s=1 to test against moto only)\n", lsErr, SkipLocalStackEnvVar)
				return 1
			}
			opts = append(opts, func(c *startConfig) { c.localStack = false })
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// On SIGINT/SIGTERM: abort a start in progress, stop the servers, exit.
	// The servers run in their own process groups, so a terminal's Ctrl-C
	// does not reach them; without this they would outlive the test binary
	// (on Linux the parent-death signal would still kill them).
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)
	var started *Env
	startDone := make(chan struct{})
	go func() {
		sig := <-sigc
		signal.Stop(sigc) // a second signal gets the default behaviour
		fmt.Fprintf(os.Stderr, "testenv: got %v, stopping the emulator servers\n", sig)
		cancel()
		<-startDone
		if started != nil {
			_ = started.Close()
		}
		os.Exit(signalExitCode(sig))
	}()

	e, err := Start(ctx, opts...)
	started = e
	close(startDone)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: starting the emulator servers: %v\n", err)
		return 1
	}
	e.localStackErr = lsErr
	*env = e

	code := m.Run()

	if err := e.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stopping the emulator servers: %v\n", err)
	}
	if code != 0 {
		for _, s := range e.servers() {
			fmt.Fprintf(os.Stderr, "\n--- testenv: %s moto server output (%s, last %d KiB) ---\n%s\n--- end of %s moto server output ---\n",
				s.Name(), s.URL(), mainLogTail>>10, tail(s.Logs(), mainLogTail), s.Name())
		}
		if l := e.LocalStack; l != nil {
			fmt.Fprintf(os.Stderr, "\n--- testenv: %s output (%s, %d restarts, last %d KiB) ---\n%s\n--- end of %s output ---\n",
				l.label(), l.URL(), l.Restarts(), mainLogTail>>10, tail(l.Logs(), mainLogTail), l.label())
		}
	}
	return code
}

// signalExitCode returns the conventional exit code for death by sig.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// Require prepares a test that needs the shared [Env] set up by [Main]:
//
//	e := testenv.Require(t, env)
//
// If env is nil because moto is unavailable (and CI is unset), it skips the
// test with the installation hint; if CI is set it fails instead. If env is
// nil although moto is available (Main was not used) the test fails.
// Otherwise it resets both servers so that the test starts from a clean
// state (failing the test if that does not work) and returns env.
//
// Because of the reset, tests sharing an Env must not run in parallel.
func Require(tb testing.TB, env *Env) *Env {
	tb.Helper()
	if env == nil {
		err := MotoAvailable()
		switch {
		case err == nil:
			tb.Fatal(errNotStarted)
		case os.Getenv("CI") != "":
			tb.Fatal(err)
		default:
			tb.Skip(err)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(tb.Context(), requireResetTimeout)
	defer cancel()
	if err := env.Reset(ctx); err != nil {
		tb.Fatal(err)
	}
	return env
}
