package testenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Env is the test environment: a source and a target moto server shared by
// a package's tests, and optionally a real LocalStack as a second target.
// Source plays "real AWS"; Target (and LocalStack) play the emulator that
// resources are replicated into. The servers are independent processes
// with independent state.
type Env struct {
	// Source is the server playing "real AWS".
	Source *Server
	// Target is the moto server playing the target emulator.
	Target *Server
	// LocalStack is a real LocalStack playing the target, started by [Main]
	// for a package that asked for it with [WithLocalStack]; nil otherwise
	// (and when LocalStack is unavailable: see [ForEachTarget]).
	LocalStack *LocalStack

	// localStackErr is why LocalStack is nil although it was asked for.
	localStackErr error
}

// Option configures [Start] and [Main].
type Option func(*startConfig)

// startConfig is what the Options set.
type startConfig struct {
	localStack         bool
	localStackServices []string
}

// WithLocalStack makes [Start] and [Main] also start a real LocalStack
// ([Env.LocalStack]) running the given services (none given:
// DefaultLocalStackServices), so that tests can run against both targets
// with [ForEachTarget]:
//
//	func TestMain(m *testing.M) {
//		testenv.Main(m, &env, testenv.WithLocalStack("ssm", "kms"))
//	}
func WithLocalStack(services ...string) Option {
	return func(c *startConfig) {
		c.localStack = true
		if len(services) > 0 {
			c.localStackServices = services
		}
	}
}

// Start starts the source and target moto servers (with default [Options]
// and the names "source" and "target") and, with [WithLocalStack], a
// LocalStack named "target", all concurrently. If any fails to start, the
// others are stopped and the errors are returned; with WithLocalStack, an
// unavailable LocalStack (see [LocalStackAvailable]) is an error.
func Start(ctx context.Context, opts ...Option) (*Env, error) {
	var cfg startConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.localStack {
		if err := LocalStackAvailable(); err != nil {
			return nil, fmt.Errorf("testenv: %w", err)
		}
	}
	var (
		wg                    sync.WaitGroup
		src, dst              *Server
		ls                    *LocalStack
		srcErr, dstErr, lsErr error
	)
	wg.Go(func() { src, srcErr = StartMoto(ctx, Options{Name: "source"}) })
	wg.Go(func() { dst, dstErr = StartMoto(ctx, Options{Name: "target"}) })
	if cfg.localStack {
		wg.Go(func() {
			ls, lsErr = StartLocalStack(ctx, LocalStackOptions{Name: "target", Services: cfg.localStackServices})
		})
	}
	wg.Wait()
	e := &Env{Source: src, Target: dst, LocalStack: ls}
	if err := errors.Join(srcErr, dstErr, lsErr); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// servers returns the non-nil moto servers of e.
func (e *Env) servers() []*Server {
	var ss []*Server
	for _, s := range []*Server{e.Source, e.Target} {
		if s != nil {
			ss = append(ss, s)
		}
	}
	return ss
}

// each runs f on every moto server of e, and g on the LocalStack if there
// is one, concurrently, and joins the errors.
func (e *Env) each(f func(*Server) error, g func(*LocalStack) error) error {
	ss := e.servers()
	errs := make([]error, len(ss)+1)
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Go(func() { errs[i] = f(s) })
	}
	if e.LocalStack != nil {
		wg.Go(func() { errs[len(ss)] = g(e.LocalStack) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Reset clears the state of every server, concurrently: the moto servers
// are reset, and the LocalStack, if any, is restarted if it may hold state
// (see [LocalStack.ResetIfWritten]), so tests that never write to it do not
// pay for restarts.
func (e *Env) Reset(ctx context.Context) error {
	return e.each(func(s *Server) error { return s.Reset(ctx) },
		func(l *LocalStack) error { _, err := l.ResetIfWritten(ctx); return err })
}

// Close stops every server (concurrently). Like [Server.Close] it is
// idempotent and safe to call from multiple goroutines.
func (e *Env) Close() error {
	return e.each((*Server).Close, (*LocalStack).Close)
}
