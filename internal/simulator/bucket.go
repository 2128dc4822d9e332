package simulator

import (
	"fmt"
	"math"
	"time"
)

// bucket is a token bucket: it holds at most burst tokens, gains PerSecond
// tokens per second of elapsed time, and a request that finds no whole token
// is refused at once (never queued).
//
// Tokens are counted in nanoseconds of refill time rather than as a float:
// one token is worth interval = 1s/PerSecond (rounded to the nanosecond),
// the bucket holds credit in [0, capacity] with capacity = burst*interval,
// elapsed time adds to credit one for one, and a request costs interval.
// The arithmetic is therefore exact integer arithmetic on time.Duration: no
// rounding drift accumulates however long the bucket runs, and a request
// arriving exactly when the next token is due gets it.
//
// We write this instead of using golang.org/x/time/rate because go.mod is
// shared with other work in progress and that module is not in it; the
// bucket is a dozen lines and tested exhaustively with a fake clock
// (bucket_test.go). Its semantics also differ on purpose from rate.Limiter's
// AllowN: nothing is reserved or borrowed from the future.
//
// A bucket is not safe for concurrent use; the Proxy guards all buckets with
// one mutex, so that a request matched by several limits takes a token from
// each of them or from none.
type bucket struct {
	service string
	ops     map[string]struct{} // nil: every operation of service

	interval time.Duration // refill time of one token
	capacity time.Duration // burst * interval
	credit   time.Duration // tokens held, in units of refill time
	last     time.Time     // when credit was last brought up to date
}

// newBucket returns a full bucket for l at time now. l must be normalised
// (Burst > 0, PerSecond > 0 and finite).
func newBucket(l Limit, now time.Time) (*bucket, error) {
	interval := time.Duration(math.Round(float64(time.Second) / l.PerSecond))
	if interval < 1 {
		interval = 1 // more than 1e9 per second: one token per nanosecond
	}
	if int64(l.Burst) > math.MaxInt64/int64(interval) {
		return nil, fmt.Errorf("burst %d at %g per second does not fit a bucket", l.Burst, l.PerSecond)
	}
	b := &bucket{
		service:  l.Service,
		interval: interval,
		capacity: time.Duration(l.Burst) * interval,
		last:     now,
	}
	b.credit = b.capacity
	if len(l.Operations) > 0 {
		b.ops = make(map[string]struct{}, len(l.Operations))
		for _, op := range l.Operations {
			b.ops[op] = struct{}{}
		}
	}
	return b, nil
}

// matches reports whether a request for service and op counts against b.
func (b *bucket) matches(service, op string) bool {
	if service != b.service {
		return false
	}
	if b.ops == nil {
		return true
	}
	_, ok := b.ops[op]
	return ok
}

// refill adds the credit earned since the last refill. Time going backwards
// (impossible with monotonic readings) earns nothing.
func (b *bucket) refill(now time.Time) {
	elapsed := now.Sub(b.last)
	if elapsed <= 0 {
		return
	}
	b.last = now
	if elapsed >= b.capacity-b.credit { // also avoids overflow
		b.credit = b.capacity
		return
	}
	b.credit += elapsed
}

// available reports whether a whole token is there at now (after refill).
func (b *bucket) available(now time.Time) bool {
	b.refill(now)
	return b.credit >= b.interval
}

// take removes one token; call it only after available returned true.
func (b *bucket) take() {
	b.credit -= b.interval
}

// tokens returns the number of tokens held (for tests and debugging).
func (b *bucket) tokens() float64 {
	return float64(b.credit) / float64(b.interval)
}
