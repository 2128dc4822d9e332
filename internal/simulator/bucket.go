package simulator

import (
	"time"

	"golang.org/x/time/rate"
)

// bucket is one Limit: a token bucket (golang.org/x/time/rate, full at
// the start) for the requests of one service, or of some of its
// operations. A request that finds no whole token is refused at once,
// never queued: the simulator answers it with a throttling error, as AWS
// does.
//
// A bucket is not safe for concurrent use on its own; the Proxy guards all
// buckets with one mutex, so that a request matched by several limits
// takes a token from each of them or from none.
type bucket struct {
	service string
	ops     map[string]struct{} // nil: every operation of service
	lim     *rate.Limiter
}

// newBucket returns a full bucket for l. l must be normalised (Burst > 0,
// PerSecond > 0 and finite).
func newBucket(l Limit) *bucket {
	b := &bucket{service: l.Service, lim: rate.NewLimiter(rate.Limit(l.PerSecond), l.Burst)}
	if len(l.Operations) > 0 {
		b.ops = make(map[string]struct{}, len(l.Operations))
		for _, op := range l.Operations {
			b.ops[op] = struct{}{}
		}
	}
	return b
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

// available reports whether a whole token is there at now.
func (b *bucket) available(now time.Time) bool { return b.lim.TokensAt(now) >= 1 }

// take removes one token at now; call it only after available returned true.
func (b *bucket) take(now time.Time) { b.lim.AllowN(now, 1) }
