package coalesce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrentGetsShareFetches(t *testing.T) {
	var calls atomic.Int32
	var maxKeys atomic.Int32
	b := &Batcher[string, string]{Max: 10, Wait: 50 * time.Millisecond, IdleWait: 50 * time.Millisecond, Fetch: func(_ context.Context, keys []string) (map[string]string, error) {
		calls.Add(1)
		if n := int32(len(keys)); n > maxKeys.Load() {
			maxKeys.Store(n)
		}
		out := map[string]string{}
		for _, k := range keys {
			if k != "absent" {
				out[k] = "v" + k
			}
		}
		return out, nil
	}}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			k := fmt.Sprint(i)
			v, ok, err := b.Get(context.Background(), k)
			if err != nil || !ok || v != "v"+k {
				t.Errorf("Get(%s) = %q, %v, %v", k, v, ok, err)
			}
		})
	}
	wg.Wait()
	if c := calls.Load(); c > 6 || maxKeys.Load() > 10 {
		t.Errorf("30 concurrent gets made %d fetches of at most %d keys; want few fetches of at most 10", c, maxKeys.Load())
	}
	if _, ok, err := b.Get(context.Background(), "absent"); ok || err != nil {
		t.Errorf("absent key: ok=%v err=%v", ok, err)
	}
}

// With nothing being fetched, a Get does not wait for company.
func TestLoneGetIsNotDelayed(t *testing.T) {
	b := &Batcher[int, int]{Max: 10, Wait: time.Hour, Fetch: func(_ context.Context, keys []int) (map[int]int, error) {
		return map[int]int{keys[0]: 1}, nil
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if v, ok, err := b.Get(context.Background(), 7); v != 1 || !ok || err != nil {
			t.Errorf("Get = %v %v %v", v, ok, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a lone Get waited for the batch Wait although nothing was being fetched")
	}
}

func TestFetchErrorsReachEveryCaller(t *testing.T) {
	boom := errors.New("boom")
	b := &Batcher[int, int]{Max: 2, Wait: time.Second, Fetch: func(context.Context, []int) (map[int]int, error) { return nil, boom }}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if _, _, err := b.Get(context.Background(), i); !errors.Is(err, boom) {
				t.Errorf("Get(%d) error = %v, want boom", i, err)
			}
		})
	}
	wg.Wait()
}

func TestCancelledCallerReturnsAtOnce(t *testing.T) {
	release := make(chan struct{})
	b := &Batcher[int, int]{Max: 1, Wait: time.Second, Fetch: func(context.Context, []int) (map[int]int, error) {
		<-release
		return nil, nil
	}}
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := b.Get(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// Keys that arrive while a batch is being fetched go together as soon as
// that fetch ends, not when their (long) Wait is over.
func TestKeysGatheredDuringAFetchGoWhenItEnds(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var fetches [][]int
	b := &Batcher[int, int]{Max: 100, Wait: time.Hour, Fetch: func(_ context.Context, keys []int) (map[int]int, error) {
		mu.Lock()
		fetches = append(fetches, slices.Clone(keys))
		first := len(fetches) == 1
		mu.Unlock()
		if first {
			<-release
		}
		out := map[int]int{}
		for _, k := range keys {
			out[k] = k * 10
		}
		return out, nil
	}}
	var wg sync.WaitGroup
	get := func(k int) {
		wg.Go(func() {
			if v, ok, err := b.Get(context.Background(), k); v != k*10 || !ok || err != nil {
				t.Errorf("Get(%d) = %v %v %v", k, v, ok, err)
			}
		})
	}
	get(0) // fetched at once, alone, and held until release
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(fetches) == 1 })
	for k := 1; k <= 5; k++ {
		get(k)
	}
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.pending != nil && len(b.pending.keys) == 5 })
	close(release)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the keys gathered during a fetch were not fetched when it ended")
	}
	want := [][]int{{0}, {1, 2, 3, 4, 5}}
	slices.SortFunc(fetches[1], cmp.Compare)
	if !slices.EqualFunc(fetches, want, slices.Equal) {
		t.Errorf("fetches = %v, want %v", fetches, want)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
	}
}
