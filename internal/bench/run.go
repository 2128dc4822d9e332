package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/simulator"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources"
)

// Target accounts: the replication, each raw-write probe and the baseline
// write into their own, so they never collide.
const (
	replicaAccount  = fixture.SourceAccount
	baselineAccount = "333333333333"
	bothAccount     = "444444444444"
)

// probeAccount is the account of the raw-write probe at a concurrency level.
func probeAccount(level int) string { return fmt.Sprintf("2222222%05d", level) }

// levels are the concurrency levels at which the ceilings are measured;
// each ceiling is the best of them.
var levels = []int{16, 32, 64}

// kind is one resource type under benchmark.
type kind struct {
	typ    string
	count  int
	filter string // the BATCH identifier selecting the seeded resources
	// create makes resource i in account: it seeds the source (account
	// "source", unguarded configuration) and is the raw write, the least
	// calls a complete copy of resource i makes.
	create func(ctx context.Context, cfg aws.Config, account string, i int) error
	// read makes raw read call number call of reads: together they read
	// every resource in bulk (GetParameters of 10 names, BatchGetSecretValue
	// of 20 and a GetResourcePolicy per secret), the least a reader must do
	// under the source's limits besides listing.
	read  func(ctx context.Context, cfg aws.Config, call int) error
	reads int
	// list pages through the kind's resources in an account and counts
	// them: the raw listing (names only), and how the target is verified.
	list func(ctx context.Context, cfg aws.Config) (int, error)
	// refill is how long the source's token buckets for the kind (the
	// simulator's and the client's) take to fill up again. It is waited
	// before each timed phase that reads the source, so that no phase
	// starts with a budget the one before it spent, as a job on AWS
	// would not.
	refill time.Duration
}

type result struct {
	typ                                                         string
	n                                                           int
	listCeil, readRate, listRate, writeRate, rate, baselineRate float64
	readLevel, writeLevel                                       int
	bothRate                                                    float64
	firstWrite                                                  time.Duration
	steadyRate                                                  float64
	stats                                                       job.Statistics
	failed                                                      int
}

func run(ctx context.Context, c config) error {
	if err := testenv.MotoAvailable(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "source: moto behind a simulator (%v round trip, SSM %v TPS, Secrets Manager policies %v TPS, %.0f%% throttled); target: moto\n",
		c.latency, c.ssmTPS, c.policyTPS, c.throttle*100)
	srcMoto, err := testenv.StartMoto(ctx, testenv.Options{Name: "source"})
	if err != nil {
		return err
	}
	defer srcMoto.Close()
	tgtMoto, err := testenv.StartMoto(ctx, testenv.Options{Name: "target"})
	if err != nil {
		return err
	}
	defer tgtMoto.Close()
	proxy, err := simulator.Start(simulator.Options{
		Upstream:         srcMoto.URL(),
		Latency:          c.latency,
		Limits:           sourceLimits(c),
		ThrottleFraction: c.throttle,
		Seed:             42,
	})
	if err != nil {
		return err
	}
	defer proxy.Close()

	// With -calls the target is reached through a pass-through proxy (no
	// latency, no limits) that counts its calls by operation.
	tgtURL := tgtMoto.URL()
	var tgtProxy *simulator.Proxy
	if c.calls {
		if tgtProxy, err = simulator.Start(simulator.Options{Upstream: tgtMoto.URL()}); err != nil {
			return err
		}
		defer tgtProxy.Close()
		tgtURL = tgtProxy.URL()
	}
	source := fixture.Source(proxy.URL())
	source.RateLimits = clientLimits(c)
	srcCfg, err := credentials.LoadSource(ctx, source)
	if err != nil {
		return err
	}
	target := func(account string) (aws.Config, error) {
		return credentials.LoadTarget(ctx, fixture.Target(tgtURL, account), fixture.Region)
	}
	reg := resources.NewRegistry()
	var results []result
	for _, k := range kinds(c) {
		if k.count == 0 {
			continue
		}
		adapter, err := reg.Lookup(k.typ)
		if err != nil {
			fmt.Fprintf(os.Stderr, "skipping %s: %v\n", k.typ, err)
			continue
		}
		fmt.Fprintf(os.Stderr, "%s: seeding %d...\n", k.typ, k.count)
		seeder := fixture.Seeder(srcMoto.URL())
		if err := parallel(ctx, k.count, 16, func(i int) error { return existsIsFine(k.create(ctx, seeder, "source", i)) }); err != nil {
			return fmt.Errorf("seeding %s: %w", k.typ, err)
		}
		r := result{typ: k.typ, n: k.count}
		if c.noRest {
			k.refill = 0
		}

		// Read ceiling: the bulk read calls alone, through the same paced
		// configuration, the best of several levels of concurrency.
		readAll := func(level int) error {
			return parallel(ctx, k.reads, level, func(i int) error { return k.read(ctx, srcCfg, i) })
		}
		if r.readRate, r.readLevel, err = best(k.count, readAll, k.refill); err != nil {
			return fmt.Errorf("raw reads of %s: %w", k.typ, err)
		}

		// Listing ceiling: the listing calls alone (they page one after
		// another), names only.
		start := time.Now()
		if n, err := k.list(ctx, srcCfg); err != nil || n != k.count {
			return fmt.Errorf("raw listing of %s: %d of %d (%v)", k.typ, n, k.count, err)
		}
		r.listCeil = float64(k.count) / time.Since(start).Seconds()

		// The adapter's reader alone (List, nothing written).
		src := &replicator.Source{Endpoint: replicator.Endpoint{Config: srcCfg, AccountID: fixture.SourceAccount, Region: fixture.Region}}
		var listed []*replicator.Resource
		start = time.Now()
		if err := adapter.(replicator.Lister).List(ctx, src, k.filter, func(res *replicator.Resource) error {
			if len(listed) < c.sample {
				listed = append(listed, res)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("listing %s: %w", k.typ, err)
		}
		r.listRate = float64(k.count) / time.Since(start).Seconds()

		// Write ceiling: the least writes of a complete copy, alone, into
		// a scratch account per level, the best of several levels.
		writeAll := func(level int, account string) error {
			probe, err := target(account)
			if err != nil {
				return err
			}
			return parallel(ctx, k.count, level, func(i int) error { return existsIsFine(k.create(ctx, probe, account, i)) })
		}
		if r.writeRate, r.writeLevel, err = best(k.count, func(level int) error { return writeAll(level, probeAccount(level)) }, 0); err != nil {
			return fmt.Errorf("raw writes of %s: %w", k.typ, err)
		}

		// Both at once: the raw reads and the raw writes at the same time,
		// each at its best level; on one machine the source and the target
		// share the processors, which each ceiling alone does not show.
		time.Sleep(k.refill)
		start = time.Now()
		var both errgroup.Group
		both.Go(func() error { return readAll(r.readLevel) })
		both.Go(func() error { return writeAll(r.writeLevel, bothAccount) })
		if err := both.Wait(); err != nil {
			return fmt.Errorf("raw reads and writes of %s at once: %w", k.typ, err)
		}
		r.bothRate = float64(k.count) / time.Since(start).Seconds()

		// Replication: a BATCH job.
		tgtCfg, err := target(replicaAccount)
		if err != nil {
			return err
		}
		timed := &timedWrites{}
		runner, err := replicator.NewRunner(timedRegistry(reg, k.typ, timed), func(o *replicator.Options) {
			if c.concurrency > 0 {
				o.Concurrency = c.concurrency
			}
		})
		if err != nil {
			return err
		}
		time.Sleep(k.refill)
		fmt.Fprintf(os.Stderr, "%s: replicating...\n", k.typ)
		if c.calls {
			proxy.ResetStats()
			tgtProxy.ResetStats()
		}
		stopProfile, err := startProfile(c.cpuProfile)
		if err != nil {
			return err
		}
		start = time.Now()
		st, err := runner.Run(ctx, replicator.Spec{ReplicationType: job.Batch, ResourceType: k.typ, Identifier: k.filter, Source: srcCfg, Target: tgtCfg})
		if err != nil {
			return err
		}
		r.rate = float64(k.count) / time.Since(start).Seconds()
		r.firstWrite, r.steadyRate = timed.since(start, k.count)
		stopProfile()
		r.stats, r.failed = *st.Statistics, len(st.Resources.Failed)
		if c.calls {
			printCalls(k.typ, "source", proxy.Stats())
			printCalls(k.typ, "target", tgtProxy.Stats())
		}
		if st.State != job.StateSucceeded {
			return fmt.Errorf("%s job ended %s: %s", k.typ, st.State, *st.ErrorMessage)
		}
		if got, err := k.list(ctx, tgtCfg); err != nil || got != k.count {
			return fmt.Errorf("%s: the target holds %d, want exactly %d (%v)", k.typ, got, k.count, err)
		}

		// Baseline: one read and one write at a time.
		base, err := target(baselineAccount)
		if err != nil {
			return err
		}
		tgt := &replicator.Target{Endpoint: replicator.Endpoint{Config: base, AccountID: baselineAccount, Region: fixture.Region}}
		start = time.Now()
		for _, res := range listed {
			again, err := adapter.Read(ctx, src, res.Identifier)
			if err != nil {
				return fmt.Errorf("baseline read: %w", err)
			}
			if _, err := adapter.Write(ctx, tgt, again); err != nil {
				return fmt.Errorf("baseline write: %w", err)
			}
		}
		r.baselineRate = float64(len(listed)) / time.Since(start).Seconds()
		results = append(results, r)
	}
	report(results, proxy.Stats())
	return nil
}

func report(results []result, proxied simulator.Stats) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tresources\tlist ceil/s\tread ceil/s\twrite ceil/s\tboth at once/s\tour reader/s\treplicated/s\tof ceiling\tof both\tfirst write\tthen/s\tof ceiling\tbaseline/s\tvs baseline\tsource calls\tthrottled\ttarget calls\t")
	for _, r := range results {
		ceiling := min(r.listCeil, r.readRate, r.writeRate)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f (%d)\t%.0f (%d)\t%.0f\t%.0f\t%.0f\t%.0f%%\t%.0f%%\t%d ms\t%.0f\t%.0f%%\t%.1f\t%.1fx\t%d\t%d\t%d\t\n", r.typ, r.n,
			r.listCeil, r.readRate, r.readLevel, r.writeRate, r.writeLevel, r.bothRate, r.listRate, r.rate, 100*r.rate/ceiling,
			100*r.rate/min(r.listCeil, r.bothRate), r.firstWrite.Milliseconds(), r.steadyRate, 100*r.steadyRate/ceiling,
			r.baselineRate, r.rate/r.baselineRate, r.stats.SourceCalls, r.stats.SourceThrottled, r.stats.TargetCalls)
	}
	tw.Flush()
	fmt.Println(`list ceil: the source's listing calls alone (names; pages come one after another). read ceil: the bulk reads
alone under the source's limits. write ceil: the least writes of a complete copy alone (security groups: the
create with tags, then the rules), into the target. Each is the best of 16, 32 and 64 at once (the best level
in brackets). both at once: the raw reads and writes at the same time, on this machine's shared processors.
our reader: the adapter's List with nothing written. of ceiling: replicated / min(list, read, write ceil);
of both: replicated / min(list ceil, both at once). first write: from the job's start to its first write of the
type ending; then/s: the rate from there to the last (of ceiling: of the same lowest ceiling). baseline: one read
and one write at a time, on a sample.`)
	fmt.Printf("simulator: %d calls forwarded, %d throttled\n", proxied.TotalForwarded(), proxied.TotalThrottled())
	fmt.Printf("peak RSS of this process: %.0f MiB\n", peakRSS())
}

// sourceLimits are the simulated source's quotas: AWS's defaults (see
// credentials.DefaultRateLimits), with SSM's and the Secrets Manager
// policy reads' as configured (0: none for the latter).
func sourceLimits(c config) []simulator.Limit {
	limits := []simulator.Limit{
		{Service: "ssm", Operations: []string{"GetParameter", "GetParameters", "GetParametersByPath"}, PerSecond: c.ssmTPS},
		{Service: "ec2", PerSecond: 20, Burst: 100},
		{Service: "secretsmanager", Operations: []string{"BatchGetSecretValue"}, PerSecond: 100},
	}
	if c.policyTPS > 0 {
		limits = append(limits, simulator.Limit{Service: "secretsmanager", Operations: []string{"GetResourcePolicy"}, PerSecond: c.policyTPS})
	}
	return limits
}

// clientLimits paces the source configuration as a user's would be, but
// for the policy reads, which follow -policy-tps so that the replicator
// does not stay below a quota the simulated source does not have.
func clientLimits(c config) []credentials.RateLimit {
	var out []credentials.RateLimit
	for _, l := range credentials.DefaultRateLimits() {
		if strings.EqualFold(l.Service, "Secrets Manager") && slices.Contains(l.Operations, "GetResourcePolicy") {
			if c.policyTPS <= 0 {
				continue
			}
			l.PerSecond, l.Burst = c.policyTPS, int(math.Ceil(c.policyTPS))
		}
		out = append(out, l)
	}
	return out
}

// best runs measure once per level, each after a pause of rest, and
// returns the best rate of n resources, with its level.
func best(n int, measure func(level int) error, rest time.Duration) (rate float64, level int, err error) {
	for _, l := range levels {
		time.Sleep(rest)
		start := time.Now()
		if err := measure(l); err != nil {
			return 0, 0, err
		}
		if r := float64(n) / time.Since(start).Seconds(); r > rate {
			rate, level = r, l
		}
	}
	return rate, level, nil
}

// startProfile starts CPU profiling into path; stop writes the profile.
// With an empty path it does nothing. Each replication overwrites the
// file: profile one type at a time (e.g. -params 0 -groups 0).
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// printCalls prints the calls of one replication by operation.
func printCalls(typ, side string, s simulator.Stats) {
	fmt.Fprintf(os.Stderr, "%s: %s calls:", typ, side)
	for _, op := range slices.Sorted(maps.Keys(s.Forwarded)) {
		fmt.Fprintf(os.Stderr, " %s=%d", op, s.Forwarded[op])
	}
	for _, op := range slices.Sorted(maps.Keys(s.Throttled)) {
		fmt.Fprintf(os.Stderr, " %s(throttled)=%d", op, s.Throttled[op])
	}
	fmt.Fprintln(os.Stderr)
}

// existsIsFine treats "already exists" as success: the SDK retries a create
// whose answer was lost, and the retry finds what the first attempt made.
func existsIsFine(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ParameterAlreadyExists", "ResourceExistsException", "InvalidGroup.Duplicate", "InvalidPermission.Duplicate":
			return nil
		}
	}
	return err
}

// parallel runs f(0..n-1) with at most limit at once.
func parallel(ctx context.Context, n, limit int, f func(i int) error) error {
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	var next atomic.Int64
	for range n {
		g.Go(func() error { return f(int(next.Add(1) - 1)) })
	}
	return g.Wait()
}

// timedWrites records when the writes of one type end.
type timedWrites struct {
	mu          sync.Mutex
	first, last time.Time
}

func (t *timedWrites) done() {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first.IsZero() {
		t.first = now
	}
	t.last = now
}

// since returns how long after start the first write ended, and the rate
// of the n writes from then to the last.
func (t *timedWrites) since(start time.Time, n int) (time.Duration, float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n < 2 || !t.last.After(t.first) {
		return t.first.Sub(start), 0
	}
	return t.first.Sub(start), float64(n-1) / t.last.Sub(t.first).Seconds()
}

// timedRegistry returns a registry with the adapters of reg, the one of
// typ timing its writes into t.
func timedRegistry(reg *replicator.Registry, typ string, t *timedWrites) *replicator.Registry {
	out := replicator.NewRegistry()
	for _, name := range reg.TypeNames() {
		a, _ := reg.Lookup(name)
		if name == typ {
			a = timedAdapter{a.(batchAdapter), t}
		}
		out.Register(a)
	}
	return out
}

// batchAdapter is what the benchmarked adapters implement.
type batchAdapter interface {
	replicator.ResourceReplicator
	replicator.Lister
	replicator.ARNResolver
}

type timedAdapter struct {
	batchAdapter
	t *timedWrites
}

func (a timedAdapter) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	p, err := a.batchAdapter.Write(ctx, tgt, r)
	a.t.done()
	return p, err
}
