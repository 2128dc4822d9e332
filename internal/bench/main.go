// Command bench measures BATCH replication against a source that behaves
// like AWS: a moto server behind internal/simulator, which adds a round-trip
// delay and answers calls beyond AWS's default quotas (SSM reads 40 TPS,
// EC2 20/s with a burst of 100, Secrets Manager GetResourcePolicy 50/s and
// BatchGetSecretValue 100/s) with real throttling errors. Everything is
// measured in the same run, on the same servers; each ceiling is the best
// of 16, 32 and 64 calls at once:
//
//   - the source's ceilings under its limits: the listing calls alone (they
//     page one after another) and the bulk reads alone (GetParameters of 10
//     names; BatchGetSecretValue of 20 and a GetResourcePolicy per secret;
//     DescribeSecurityGroups of 100 names);
//   - write ceiling: the least writes of a complete copy (the create call
//     with tags; for a security group also its rules), into a scratch
//     account of the target;
//   - both at once: the raw reads and the raw writes at the same time (on
//     one machine the source and the target share the processors);
//   - our reader: the adapter's List with nothing written;
//   - replication: a BATCH job of the runner, verified afterwards, with
//     when its first write of the type ended and its rate from then on;
//   - baseline: one read and one write at a time (what a hand-written
//     script does), on a sample.
//
// It prints resources/s, the ratios to the lowest ceiling and to both at
// once, and to the baseline, the job's call statistics, and the peak RSS of
// this process.
//
//	./scripts/bench                      # 2,000 parameters, 500 secrets, 200 groups; 30 ms RTT; AWS's quotas
//	./scripts/bench -params 10000 -secrets 0 -groups 0
//	./scripts/bench -throttle 0.2        # 20% of source calls throttled
//	./scripts/bench -calls               # where the calls of each job go
//	./scripts/bench -policy-tps 0        # secrets without the 50 TPS policy-read quota
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

type config struct {
	params, secrets, groups int
	latency                 time.Duration
	ssmTPS                  float64
	policyTPS               float64
	throttle                float64
	concurrency             int
	sample                  int
	calls                   bool
	cpuProfile              string
	noRest                  bool
}

func main() {
	var c config
	flag.IntVar(&c.params, "params", 2000, "SSM parameters to replicate (0 to skip)")
	flag.IntVar(&c.secrets, "secrets", 500, "Secrets Manager secrets to replicate (0 to skip)")
	flag.IntVar(&c.groups, "groups", 200, "EC2 security groups to replicate (0 to skip; needs the EC2 adapter)")
	flag.DurationVar(&c.latency, "latency", 30*time.Millisecond, "round trip added to every source call")
	flag.Float64Var(&c.ssmTPS, "ssm-tps", 40, "SSM GetParameter(s)/GetParametersByPath rate limit of the simulated source")
	flag.Float64Var(&c.policyTPS, "policy-tps", 50, "Secrets Manager GetResourcePolicy rate limit of the simulated source and of the replicator (AWS: 50; 0: none)")
	flag.Float64Var(&c.throttle, "throttle", 0, "fraction of source calls answered with a throttling error, in [0,1)")
	flag.IntVar(&c.concurrency, "concurrency", 0, "resources a job replicates at once (0: the runner's default, replicator.DefaultConcurrency)")
	flag.IntVar(&c.sample, "baseline-sample", 60, "resources per type replicated one at a time for the baseline")
	flag.BoolVar(&c.calls, "calls", false, "also print each replication's calls by operation, source and target (the target is then reached through a pass-through proxy)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the replications (only) to this file")
	flag.BoolVar(&c.noRest, "no-rest", false, "do not wait for the source's token buckets to refill before each timed phase (quicker, less fair)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// peakRSS returns this process's peak resident set size in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
			return kb / 1024
		}
	}
	return -1
}
