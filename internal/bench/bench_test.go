package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/awsreplicator/awsreplicator/internal/testenv"
)

// The benchmark command keeps working: a small run of every kind, with
// throttling, must replicate everything (run fails otherwise).
func TestBenchmarkRunsSmall(t *testing.T) {
	if err := testenv.MotoAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := config{params: 30, secrets: 10, groups: 6, latency: 2 * time.Millisecond, ssmTPS: 40, policyTPS: 50, throttle: 0.1, concurrency: 4, sample: 3, noRest: true}
	if err := run(ctx, c); err != nil {
		t.Fatal(err)
	}
}
