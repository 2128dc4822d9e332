package pipeline

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
)

func pages(n int) (func() bool, func(context.Context) (int, error)) {
	i := 0
	return func() bool { return i < n }, func(context.Context) (int, error) { i++; return i, nil }
}

func TestEveryItemIsEmittedOnce(t *testing.T) {
	more, next := pages(20)
	var inFlight, peak atomic.Int32
	var got []int
	err := Pages(context.Background(), 4, more, next, func(_ context.Context, p int) ([]int, error) {
		if n := inFlight.Add(1); n > peak.Load() {
			peak.Store(n)
		}
		defer inFlight.Add(-1)
		return []int{p * 10, p*10 + 1}, nil
	}, func(v int) error { got = append(got, v); return nil })
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if len(got) != 40 || got[0] != 10 || got[39] != 201 || peak.Load() > 4 {
		t.Errorf("emitted %d items (%v...), peak %d reads at once", len(got), got[:2], peak.Load())
	}
}

func TestStopsAtTheFirstError(t *testing.T) {
	for name, tc := range map[string]struct {
		nextErr, readErr, emitErr error
	}{
		"next": {nextErr: errors.New("next")},
		"read": {readErr: errors.New("read")},
		"emit": {emitErr: errors.New("emit")},
	} {
		t.Run(name, func(t *testing.T) {
			more, nextOK := pages(50)
			next := func(ctx context.Context) (int, error) {
				p, _ := nextOK(ctx)
				if p == 3 && tc.nextErr != nil {
					return 0, tc.nextErr
				}
				return p, nil
			}
			emitted := 0
			err := Pages(context.Background(), 2, more, next, func(_ context.Context, p int) ([]int, error) {
				if p == 2 && tc.readErr != nil {
					return nil, tc.readErr
				}
				return []int{p, p}, nil
			}, func(int) error { emitted++; return tc.emitErr })
			want := errors.Join(tc.nextErr, tc.readErr, tc.emitErr)
			if err == nil || err.Error() != want.Error() {
				t.Errorf("err = %v, want %v", err, want)
			}
			if tc.emitErr != nil && emitted != 1 {
				t.Errorf("%d items emitted, want 1: nothing after the first failure", emitted)
			}
		})
	}
}
