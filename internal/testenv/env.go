package testenv

import (
	"context"
	"errors"
	"sync"
)

// Env is the test environment: a source and a target moto server shared by
// a package's tests. Source plays "real AWS"; Target plays the emulator that
// resources are replicated into. The two servers are independent processes
// with independent state.
type Env struct {
	// Source is the server playing "real AWS".
	Source *Server
	// Target is the server playing the target emulator.
	Target *Server
}

// Start starts the source and target servers concurrently (with default
// [Options] and the names "source" and "target"). If either fails to start,
// the other one is stopped and the errors are returned.
func Start(ctx context.Context) (*Env, error) {
	var (
		wg       sync.WaitGroup
		src, dst *Server
		srcErr   error
		dstErr   error
	)
	wg.Go(func() { src, srcErr = StartMoto(ctx, Options{Name: "source"}) })
	wg.Go(func() { dst, dstErr = StartMoto(ctx, Options{Name: "target"}) })
	wg.Wait()
	if srcErr != nil || dstErr != nil {
		for _, s := range []*Server{src, dst} {
			if s != nil {
				_ = s.Close()
			}
		}
		return nil, errors.Join(srcErr, dstErr)
	}
	return &Env{Source: src, Target: dst}, nil
}

// servers returns the non-nil servers of e.
func (e *Env) servers() []*Server {
	var ss []*Server
	for _, s := range []*Server{e.Source, e.Target} {
		if s != nil {
			ss = append(ss, s)
		}
	}
	return ss
}

// each runs f on every server of e concurrently and joins the errors.
func (e *Env) each(f func(*Server) error) error {
	ss := e.servers()
	errs := make([]error, len(ss))
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Go(func() { errs[i] = f(s) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Reset clears the state of both servers (concurrently).
func (e *Env) Reset(ctx context.Context) error {
	return e.each(func(s *Server) error { return s.Reset(ctx) })
}

// Close stops both servers (concurrently). Like [Server.Close] it is
// idempotent and safe to call from multiple goroutines.
func (e *Env) Close() error {
	return e.each((*Server).Close)
}
