package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// Target accounts: the replication, the raw-write probe and the baseline
// each write into their own, so they never collide.
const (
	replicaAccount  = fixture.SourceAccount
	probeAccount    = "222222222222"
	baselineAccount = "333333333333"
)

// kind is one resource type under benchmark.
type kind struct {
	typ    string
	count  int
	filter string // the BATCH identifier selecting the seeded resources
	// seed creates resource i in the source (unguarded configuration).
	seed func(ctx context.Context, cfg aws.Config, i int) error
	// create is the raw write: the one create call for resource i.
	create func(ctx context.Context, cfg aws.Config, i int) error
	// read is the raw read: the bulk read call for the resources first to
	// first+readBatch-1 (GetParameters of 10 names, BatchGetSecretValue of
	// 20 with the GetResourcePolicy each secret needs), the least a reader
	// must do under the source's limits besides listing.
	read      func(ctx context.Context, cfg aws.Config, first int) error
	readBatch int
	// list pages through the kind's resources in an account and counts
	// them: the raw listing (names only), and how the target is verified.
	list func(ctx context.Context, cfg aws.Config) (int, error)
}

type result struct {
	typ                                                         string
	n                                                           int
	listCeil, readRate, listRate, writeRate, rate, baselineRate float64
	stats                                                       job.Statistics
	failed                                                      int
}

func run(ctx context.Context, c config) error {
	if err := testenv.MotoAvailable(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "source: moto behind a simulator (%v round trip, SSM %v TPS, %.0f%% throttled); target: moto\n",
		c.latency, c.ssmTPS, c.throttle*100)
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
		Upstream: srcMoto.URL(),
		Latency:  c.latency,
		Limits: []simulator.Limit{
			{Service: "ssm", Operations: []string{"GetParameter", "GetParameters", "GetParametersByPath"}, PerSecond: c.ssmTPS},
			{Service: "ec2", PerSecond: 20, Burst: 100},
		},
		ThrottleFraction: c.throttle,
		Seed:             42,
	})
	if err != nil {
		return err
	}
	defer proxy.Close()

	srcCfg, err := credentials.LoadSource(ctx, fixture.Source(proxy.URL()))
	if err != nil {
		return err
	}
	target := func(account string) (aws.Config, error) {
		return credentials.LoadTarget(ctx, fixture.Target(tgtMoto.URL(), account), fixture.Region)
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
		if err := parallel(ctx, k.count, 16, func(i int) error { return existsIsFine(k.seed(ctx, seeder, i)) }); err != nil {
			return fmt.Errorf("seeding %s: %w", k.typ, err)
		}
		r := result{typ: k.typ, n: k.count}

		// Read ceiling: the bulk read calls alone, as many at once as the
		// limits allow, through the same paced configuration.
		start := time.Now()
		batches := (k.count + k.readBatch - 1) / k.readBatch
		if err := parallel(ctx, batches, c.concurrency, func(i int) error { return k.read(ctx, srcCfg, i*k.readBatch) }); err != nil {
			return fmt.Errorf("raw reads of %s: %w", k.typ, err)
		}
		r.readRate = float64(k.count) / time.Since(start).Seconds()

		// Listing ceiling: the listing calls alone (they page one after
		// another), names only.
		start = time.Now()
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

		// Write ceiling: the create call alone, concurrently.
		probe, err := target(probeAccount)
		if err != nil {
			return err
		}
		start = time.Now()
		if err := parallel(ctx, k.count, c.concurrency, func(i int) error { return existsIsFine(k.create(ctx, probe, i)) }); err != nil {
			return fmt.Errorf("raw writes of %s: %w", k.typ, err)
		}
		r.writeRate = float64(k.count) / time.Since(start).Seconds()

		// Replication: a BATCH job.
		tgtCfg, err := target(replicaAccount)
		if err != nil {
			return err
		}
		runner, err := replicator.NewRunner(reg, func(o *replicator.Options) { o.Concurrency = c.concurrency })
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: replicating...\n", k.typ)
		start = time.Now()
		st, err := runner.Run(ctx, replicator.Spec{ReplicationType: job.Batch, ResourceType: k.typ, Identifier: k.filter, Source: srcCfg, Target: tgtCfg})
		if err != nil {
			return err
		}
		r.rate = float64(k.count) / time.Since(start).Seconds()
		r.stats, r.failed = *st.Statistics, len(st.Resources.Failed)
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
	fmt.Fprintln(tw, "type\tresources\tlist ceil/s\tread ceil/s\twrite ceil/s\tour reader/s\treplicated/s\tof ceiling\tof write ceil\tbaseline/s\tvs baseline\tsource calls\tthrottled\ttarget calls\t")
	for _, r := range results {
		ceiling := min(r.listCeil, r.readRate, r.writeRate)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f%%\t%.0f%%\t%.1f\t%.1fx\t%d\t%d\t%d\t\n", r.typ, r.n, r.listCeil, r.readRate, r.writeRate,
			r.listRate, r.rate, 100*r.rate/ceiling, 100*r.rate/r.writeRate, r.baselineRate, r.rate/r.baselineRate, r.stats.SourceCalls, r.stats.SourceThrottled, r.stats.TargetCalls)
	}
	fmt.Println("list ceil: the source's listing calls alone (names; pages come one after another); read ceil: the bulk value")
	fmt.Println("reads alone under the source limits; write ceil: the create call alone into the target, many at once;")
	fmt.Println("our reader: the adapter's List with nothing written; of ceiling: replicated / min(list, read, write ceil);")
	fmt.Println("baseline: one read and one write at a time, on a sample.")
	tw.Flush()
	fmt.Printf("simulator: %d calls forwarded, %d throttled\n", proxied.TotalForwarded(), proxied.TotalThrottled())
	fmt.Printf("peak RSS of this process: %.0f MiB\n", peakRSS())
}

// existsIsFine treats "already exists" as success: the SDK retries a create
// whose answer was lost, and the retry finds what the first attempt made.
func existsIsFine(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ParameterAlreadyExists", "ResourceExistsException", "InvalidGroup.Duplicate":
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
