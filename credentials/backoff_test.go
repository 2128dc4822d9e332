package credentials

import (
	"testing"
	"time"
)

// Each retry waits a random delay in (0, 100ms*2^n], at most 20 s.
func TestBackoffDoublesFromAShortBase(t *testing.T) {
	j := fullJitter{base: backoffBase, max: backoffMax}
	for attempt, ceiling := range map[int]time.Duration{
		1: 200 * time.Millisecond, 2: 400 * time.Millisecond, 3: 800 * time.Millisecond,
		7: 12800 * time.Millisecond, 8: 20 * time.Second, 40: 20 * time.Second,
	} {
		var longest time.Duration
		for range 2000 {
			d, err := j.BackoffDelay(attempt, nil)
			if err != nil || d <= 0 || d > ceiling {
				t.Fatalf("attempt %d: delay %v (%v), want in (0, %v]", attempt, d, err, ceiling)
			}
			longest = max(longest, d)
		}
		if longest < ceiling/2 {
			t.Errorf("attempt %d: the longest of 2000 delays is %v, want them spread up to %v", attempt, longest, ceiling)
		}
	}
}
