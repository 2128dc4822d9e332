package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
)

// Target kinds: the emulators a test can replicate into.
const (
	// KindMoto is the moto server Env.Target.
	KindMoto = "moto"
	// KindLocalStack is the real LocalStack Env.LocalStack.
	KindLocalStack = "localstack"
)

// Kinds lists the target kinds in the order [ForEachTarget] runs them.
func Kinds() []string { return []string{KindMoto, KindLocalStack} }

// Target is one emulator a test replicates into: the moto target server or
// the LocalStack of an [Env].
type Target struct {
	// Name names the target in subtests: "moto" or "localstack".
	Name string
	// Kind is KindMoto or KindLocalStack.
	Kind string
	// Services lists the services the target runs; nil means all (moto).
	Services []string

	url   func() string
	reset func(context.Context) error
}

// URL returns the target's base URL, "http://127.0.0.1:PORT", to be used
// as the endpoint URL for every service. Call it after any Reset: a
// LocalStack that had to move to another port while restarting has a new
// one.
func (t Target) URL() string { return t.url() }

// Reset gives the target a clean state: moto's state is reset; LocalStack
// (which has no state reset) is restarted, but only if it may hold state
// (see [LocalStack.ResetIfWritten]).
func (t Target) Reset(ctx context.Context) error { return t.reset(ctx) }

// Supports reports whether the target runs service (e.g. "kms").
func (t Target) Supports(service string) bool {
	return t.Services == nil || slices.Contains(t.Services, service)
}

// IsLocalStack reports whether the target is a real LocalStack.
func (t Target) IsLocalStack() bool { return t.Kind == KindLocalStack }

// Targets returns the targets e has: the moto target server, and the
// LocalStack if e has one. It neither resets them nor skips anything; see
// [ForEachTarget] for that.
func (e *Env) Targets() []Target {
	var ts []Target
	for _, k := range Kinds() {
		if t, err := e.target(k); err == nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// target returns e's target of the given kind, or why there is none.
func (e *Env) target(kind string) (Target, error) {
	switch kind {
	case KindMoto:
		s := e.Target
		if s == nil {
			return Target{}, errors.New("testenv: the Env has no moto target server")
		}
		return Target{Name: KindMoto, Kind: KindMoto, url: s.URL, reset: s.Reset}, nil
	case KindLocalStack:
		l := e.LocalStack
		if l == nil {
			if e.localStackErr != nil {
				return Target{}, e.localStackErr
			}
			return Target{}, errNoLocalStack
		}
		return Target{Name: KindLocalStack, Kind: KindLocalStack, Services: l.Services(), url: l.URL,
			reset: func(ctx context.Context) error { _, err := l.ResetIfWritten(ctx); return err }}, nil
	}
	return Target{}, fmt.Errorf("testenv: unknown target kind %q", kind)
}

// errNoLocalStack is the failure of a LocalStack case in a package that did
// not ask for LocalStack.
var errNoLocalStack = errors.New("testenv: the Env has no LocalStack; ask for one in TestMain: testenv.Main(m, &env, testenv.WithLocalStack(...))")

// ForEachTarget runs f once per target kind, as subtests named "moto" and
// "localstack", each starting from a clean state:
//
//	func TestSomething(t *testing.T) {
//		testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
//			spec := fixture.Spec(ctx, t, env.Source.URL(), tgt.URL(), "")
//			...
//		})
//	}
//
// Each subtest gets its target from [RequireTarget]: the "localstack"
// subtest is skipped, with the reason, when LocalStack is unavailable or
// turned off by AWSREPLICATOR_SKIP_LOCALSTACK.
//
// Like Require, it must not be used by parallel tests.
func ForEachTarget(t *testing.T, env *Env, f func(t *testing.T, tgt Target)) {
	t.Helper()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			f(t, RequireTarget(t, env, kind))
		})
	}
}

// RequireTarget is [Require] for a test that uses one target: it resets the
// Env (skipping the test if moto is unavailable) and returns the target of
// the given kind (KindMoto or KindLocalStack).
//
// If the Env has no LocalStack because LocalStack is unavailable or turned
// off by AWSREPLICATOR_SKIP_LOCALSTACK, a KindLocalStack test is skipped
// with the reason ([Main] has already failed the binary if CI is set and
// LocalStack is missing); if the package did not ask for LocalStack
// ([WithLocalStack]) the test fails.
func RequireTarget(tb testing.TB, env *Env, kind string) Target {
	tb.Helper()
	e := Require(tb, env)
	tgt, err := e.target(kind)
	if err != nil {
		switch {
		case errors.Is(err, ErrLocalStackSkipped):
			tb.Skip(err)
		case errors.Is(err, errNoLocalStack), os.Getenv("CI") != "":
			tb.Fatal(err)
		default:
			tb.Skip(err)
		}
	}
	return tgt
}
