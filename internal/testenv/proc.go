package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// proc is one emulator process (a moto server or a LocalStack) on a
// loopback port: its command, captured output, and the knowledge of when it
// is ready. [Server] and [LocalStack] are built on it.
type proc struct {
	kind      string // "moto server", "LocalStack"
	name      string // "source", "target", ...
	url       string // http://127.0.0.1:PORT
	readyPath string // GET, polled until checkReady accepts it
	cmd       *exec.Cmd

	// out captures the output. Its first marker is the line the server
	// logs once it has bound its port (which proves that this process, not
	// someone else, owns the port). An optional second marker is a line
	// that must also have been logged before the server counts as ready.
	out *output

	// portInUse lists output fragments meaning the bind failed because the
	// port is taken.
	portInUse []string
	// unboundGrace, when positive, is how long after the second marker the
	// bind marker may still be missing before the start counts as a port
	// conflict: a server that swallows its bind error (LocalStack) says it
	// is ready without ever listening.
	unboundGrace time.Duration

	// checkReady judges an answer to readyPath: ok means ready; a non-nil
	// error means the server will never be ready as configured, and ends
	// the start at once.
	checkReady func(status int, body []byte) (ok bool, err error)

	done    chan struct{} // closed when the process has exited and been reaped
	waitErr error         // cmd.Wait's result; read only after done is closed
}

// okStatus is the checkReady of servers for which any 200 means ready.
func okStatus(status int, _ []byte) (bool, error) { return status == http.StatusOK, nil }

// label is how errors name the process, e.g. "source moto server".
func (p *proc) label() string { return p.name + " " + p.kind }

// start starts the process and waits until it is ready. On failure the
// process is stopped (no process is left behind) and the error wraps
// errPortInUse if the port was taken.
func (p *proc) start(ctx context.Context) error {
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	// Bound cmd.Wait even if something inherited the output pipe.
	p.cmd.WaitDelay = pipeWaitDelay
	setProcAttrs(p.cmd)
	p.done = make(chan struct{})

	started := make(chan error, 1)
	go p.run(started)
	if err := <-started; err != nil {
		return fmt.Errorf("testenv: starting %s with %s: %w", p.label(), p.cmd.Path, err)
	}
	if err := p.waitReady(ctx); err != nil {
		_ = p.stop(0)
		return err
	}
	return nil
}

// run starts the process, reports the result on started, and waits for the
// process to exit. Start and Wait happen on one goroutine locked to its OS
// thread: on Linux the parent-death signal fires when the thread that started
// the child exits, so that thread must live exactly as long as the child.
func (p *proc) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.waitErr = p.cmd.Wait()
	close(p.done)
}

// alive reports whether the process has not exited.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// waitReady waits until the server has logged its markers, answers
// readyPath to checkReady's liking, and is still running.
func (p *proc) waitReady(ctx context.Context) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	bound, isBound := p.out.Seen(0), false
	var ready <-chan struct{}
	isReady := true
	if len(p.out.markers) > 1 {
		ready, isReady = p.out.Seen(1), false
	}
	var readyAt time.Time
	for {
		select {
		case <-p.done:
			return p.exitedEarly()
		case <-ctx.Done():
			return fmt.Errorf("testenv: %s at %s was not ready: %w; output:\n%s",
				p.label(), p.url, context.Cause(ctx), tail(p.out.String(), 16<<10))
		case <-bound:
			isBound, bound = true, nil
		case <-ready:
			isReady, ready, readyAt = true, nil, time.Now()
		case <-ticker.C:
		}
		if isReady && !isBound && p.unboundGrace > 0 && time.Since(readyAt) > p.unboundGrace {
			return fmt.Errorf("%w: testenv: %s says it is ready but never logged that it listens on %s (the port is probably taken); output:\n%s",
				errPortInUse, p.label(), p.url, tail(p.out.String(), 16<<10))
		}
		if !isBound || !isReady {
			continue
		}
		ok, err := p.probe(ctx)
		if err != nil {
			return fmt.Errorf("testenv: %s at %s: %w; output:\n%s", p.label(), p.url, err, tail(p.out.String(), 16<<10))
		}
		if ok && p.alive() {
			return nil
		}
	}
}

// exitedEarly describes a process that exited before it was ready; the
// error wraps errPortInUse if it failed to bind its port.
func (p *proc) exitedEarly() error {
	logs := p.out.String()
	err := fmt.Errorf("testenv: %s (%s) exited before it was ready: %v; output:\n%s",
		p.label(), strings.Join(p.cmd.Args, " "), p.waitErr, tail(logs, 16<<10))
	for _, s := range p.portInUse {
		if strings.Contains(logs, s) {
			return fmt.Errorf("%w: %w", errPortInUse, err)
		}
	}
	return err
}

// probe asks readyPath and lets checkReady judge the answer. A request
// that fails is "not ready yet".
func (p *proc) probe(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+p.readyPath, nil)
	if err != nil {
		return false, nil
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return false, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return p.checkReady(resp.StatusCode, body)
}

// stop stops the process: with a positive grace it sends SIGTERM to the
// process group and waits up to grace for the process to exit; then (or at
// once, with no grace) it sends SIGKILL. It returns after the process is
// gone, with an error if the process had already exited on its own.
func (p *proc) stop(grace time.Duration) error {
	if !p.alive() {
		return fmt.Errorf("testenv: %s at %s had exited unexpectedly: %v", p.label(), p.url, p.waitErr)
	}
	if grace > 0 {
		if err := terminate(p.cmd.Process); err == nil {
			timer := time.NewTimer(grace)
			defer timer.Stop()
			select {
			case <-p.done:
				return nil
			case <-timer.C:
			}
		}
	}
	if err := kill(p.cmd.Process); err != nil {
		return fmt.Errorf("testenv: killing %s: %w", p.label(), err)
	}
	<-p.done
	return nil
}
