package simulator

import (
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustBucket(t *testing.T, l Limit) *bucket {
	t.Helper()
	b := newBucket(l)
	b.lim.SetLimitAt(t0, b.lim.Limit()) // the fake clock starts at t0
	return b
}

// allow is what the proxy does for a request matching only b.
func allow(b *bucket, now time.Time) bool {
	if !b.available(now) {
		return false
	}
	b.take(now)
	return true
}

func TestBucketBurstThenRate(t *testing.T) {
	b := mustBucket(t, Limit{Service: "ssm", PerSecond: 5, Burst: 5})
	for i := range 5 {
		if !allow(b, t0) {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	if allow(b, t0) {
		t.Fatal("6th request at t0 allowed")
	}
	if allow(b, t0.Add(199*time.Millisecond)) {
		t.Fatal("allowed 199ms later, before the next token (200ms)")
	}
	if !allow(b, t0.Add(200*time.Millisecond)) {
		t.Fatal("refused exactly when the next token is due")
	}
	if allow(b, t0.Add(200*time.Millisecond)) {
		t.Fatal("a second request on one token")
	}
	// A long idle time refills to Burst, not beyond.
	later := t0.Add(time.Hour)
	n := 0
	for allow(b, later) {
		n++
	}
	if n != 5 {
		t.Fatalf("after an hour idle: %d allowed, want burst 5", n)
	}
}

// TestBucketOverLongRuns checks, with a fake clock and random arrivals,
// the properties the package documents: a request is refused only if no
// whole token is held, and over [t0, t] at most Burst + PerSecond*(t-t0)
// requests pass (that many, give or take the last partial token, when
// requests keep coming).
func TestBucketOverLongRuns(t *testing.T) {
	for _, l := range []Limit{
		{Service: "s", PerSecond: 3, Burst: 1},
		{Service: "s", PerSecond: 3, Burst: 2},
		{Service: "s", PerSecond: 40, Burst: 40},
		{Service: "s", PerSecond: 0.5, Burst: 2},
		{Service: "s", PerSecond: 1000, Burst: 7},
	} {
		b := mustBucket(t, l)
		interval := time.Duration(float64(time.Second) / l.PerSecond)
		rng := rand.New(rand.NewPCG(1, 2))
		now := t0
		var passed int64
		// Arrivals at least twice as fast as tokens, at random gaps: after
		// the initial burst a bucket with Burst >= 2 never sits full, so no
		// refill is wasted and one more request passes per interval.
		for range 100000 {
			now = now.Add(time.Duration(rng.Int64N(int64(interval) / 2)))
			tokens := b.lim.TokensAt(now)
			had := b.available(now)
			if had != (tokens >= 1) {
				t.Fatalf("%+v: available %v with %v tokens", l, had, tokens)
			}
			if had {
				b.take(now)
				passed++
			}
		}
		maxPass := int64(l.Burst) + int64(now.Sub(t0).Seconds()*l.PerSecond)
		// With Burst 1 a token that arrives before the next request is
		// lost (the bucket is full with one), so only the upper bound holds.
		if passed > maxPass || (l.Burst >= 2 && passed < maxPass-1) {
			t.Errorf("%+v: %d passed over %v, want burst+rate*T = %d (or one less)", l, passed, now.Sub(t0), maxPass)
		}
	}
}

func TestBucketMatches(t *testing.T) {
	all := mustBucket(t, Limit{Service: "ec2", PerSecond: 1})
	some := mustBucket(t, Limit{Service: "ssm", Operations: []string{"GetParameters", "GetParameter"}, PerSecond: 1})
	for _, c := range []struct {
		b           *bucket
		service, op string
		want        bool
	}{
		{all, "ec2", "DescribeVpcs", true},
		{all, "ec2", "", true},
		{all, "ssm", "DescribeVpcs", false},
		{some, "ssm", "GetParameters", true},
		{some, "ssm", "GetParameter", true},
		{some, "ssm", "PutParameter", false},
		{some, "ssm", "getparameters", false},
		{some, "ec2", "GetParameters", false},
	} {
		if got := c.b.matches(c.service, c.op); got != c.want {
			t.Errorf("bucket %s %v matches(%q, %q) = %v, want %v", c.b.service, c.b.ops, c.service, c.op, got, c.want)
		}
	}
}

func TestBucketTimeBackwards(t *testing.T) {
	b := mustBucket(t, Limit{Service: "s", PerSecond: 1, Burst: 1})
	if !allow(b, t0) {
		t.Fatal("first refused")
	}
	if allow(b, t0.Add(-time.Hour)) {
		t.Fatal("time going backwards earned a token")
	}
	if !allow(b, t0.Add(time.Second)) {
		t.Fatal("refused one interval later")
	}
}
