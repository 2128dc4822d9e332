package replicator_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// BenchmarkSingleResourceJob measures what a single-resource job costs
// beyond its API calls. The adapter works in memory and STS answers in
// memory, so "job" is the runner's own work (validation, guards, the
// connection test, bookkeeping, status snapshots) plus two in-memory
// GetCallerIdentity calls; "calls" is the baseline measured in the same
// run, those two calls made directly. job − calls is the overhead.
func BenchmarkSingleResourceJob(b *testing.B) {
	w := newWorld()
	w.add(typeThing, "thing")
	reg := replicator.NewRegistry()
	reg.Register(&fakeAdapter{w: w, typ: typeThing})
	r, err := replicator.NewRunner(reg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("job", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s := spec(typeThing, "thing")
			s.IgnoreAlreadyExisting = true // written once, then found there
			st, err := r.Run(ctx, s)
			if err != nil || st.State != job.StateSucceeded {
				b.Fatalf("job %s: %v", st.State, err)
			}
		}
	})
	b.Run("calls", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			src, tgt := configs()
			for _, cfg := range []*sts.Client{sts.NewFromConfig(src), sts.NewFromConfig(tgt)} {
				if _, err := cfg.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
