// Package coalesce groups single lookups that goroutines make at about the
// same time into batch calls: an adapter that reads back each resource it
// writes can then read back ten at once with one GetParameters call, while
// its code stays one resource at a time.
package coalesce

import (
	"context"
	"sync"
	"time"
)

// Batcher coalesces Get calls into calls of Fetch with up to Max keys.
//
// A batch is fetched as soon as it is full, or as soon as no other batch
// is being fetched: keys that arrive while a fetch is under way wait for it
// to end and then go together (as Nagle's algorithm does for TCP segments),
// so batches grow with the load and a lone caller is not delayed. Wait
// bounds that waiting. A Batcher must not be copied after first use.
type Batcher[K comparable, V any] struct {
	// Max is the most keys one Fetch takes (e.g. 10 for GetParameters).
	Max int
	// Wait bounds how long a key waits for the batch to fill while other
	// batches are being fetched (the callers are busy: more are coming);
	// the batch goes earlier when it is full or the other fetches end.
	Wait time.Duration
	// IdleWait is how long a key waits when no batch is being fetched,
	// typically zero: a lone caller (a single-resource job) is not delayed.
	IdleWait time.Duration
	// Fetch looks keys up; keys it does not return are reported as absent.
	// It runs with the context of the batch's first caller, without its
	// cancellation (the batch serves other callers too).
	Fetch func(ctx context.Context, keys []K) (map[K]V, error)

	mu       sync.Mutex
	pending  *batch[K, V]
	fetching int // batches being fetched
}

type batch[K comparable, V any] struct {
	ctx   context.Context
	keys  []K
	timer *time.Timer
	done  chan struct{}
	found map[K]V
	err   error
}

// Get returns the value Fetch finds for k, and whether it found one.
func (b *Batcher[K, V]) Get(ctx context.Context, k K) (V, bool, error) {
	b.mu.Lock()
	bt := b.pending
	if bt == nil {
		bt = &batch[K, V]{ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
		b.pending = bt
		wait := b.Wait
		if b.fetching == 0 {
			wait = b.IdleWait
		}
		bt.timer = time.AfterFunc(wait, func() { b.flush(bt) })
	}
	bt.keys = append(bt.keys, k)
	if len(bt.keys) >= max(b.Max, 1) {
		b.pending = nil // full: later keys start a new batch
		if bt.timer.Stop() {
			b.startLocked(bt)
			go b.run(bt)
		} // else the timer has fired and flush runs it
	}
	b.mu.Unlock()

	var zero V
	select {
	case <-bt.done:
		if bt.err != nil {
			return zero, false, bt.err
		}
		v, ok := bt.found[k]
		return v, ok, nil
	case <-ctx.Done():
		return zero, false, ctx.Err()
	}
}

// flush runs bt when its timer fires.
func (b *Batcher[K, V]) flush(bt *batch[K, V]) {
	b.mu.Lock()
	if b.pending == bt {
		b.pending = nil
	}
	b.startLocked(bt)
	b.mu.Unlock()
	b.run(bt)
}

// startLocked marks bt as being fetched; b.mu must be held.
func (b *Batcher[K, V]) startLocked(bt *batch[K, V]) { b.fetching++ }

func (b *Batcher[K, V]) run(bt *batch[K, V]) {
	defer close(bt.done)
	bt.found, bt.err = b.Fetch(bt.ctx, unique(bt.keys))
	b.mu.Lock()
	b.fetching--
	// The keys that gathered during this fetch go now, unless their own
	// timer has just fired (then flush runs them).
	next := b.pending
	if b.fetching == 0 && next != nil && next.timer.Stop() {
		b.pending = nil
		b.startLocked(next)
		go b.run(next)
	}
	b.mu.Unlock()
}

func unique[K comparable](keys []K) []K {
	seen := make(map[K]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
