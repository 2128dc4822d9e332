package simulator_test

// End-to-end tests: aws-sdk-go-v2 clients talk to a real moto server
// through the proxy.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsreplicator/awsreplicator/internal/simulator"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
)

// The upstream moto server is started by the first test that needs it and
// stopped by TestMain, so the unit tests of this package do not pay for it.
var (
	motoOnce sync.Once
	moto     *testenv.Server
	motoErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if moto != nil {
		if err := moto.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the upstream moto server: %v\n", err)
		}
		if code != 0 {
			fmt.Fprintf(os.Stderr, "--- upstream moto server output ---\n%s\n", moto.Logs())
		}
	}
	os.Exit(code)
}

// upstream returns the URL of a freshly reset moto server, skipping the
// test if moto is not installed (failing instead if CI is set).
func upstream(t *testing.T) string {
	t.Helper()
	if err := testenv.MotoAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	motoOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		moto, motoErr = testenv.StartMoto(ctx, testenv.Options{Name: "upstream"})
	})
	if motoErr != nil {
		t.Fatal(motoErr)
	}
	if err := moto.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	return moto.URL()
}

func start(t *testing.T, opts simulator.Options) *simulator.Proxy {
	t.Helper()
	p, err := simulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// config returns a client configuration for endpoint. attempts 1 surfaces
// every throttle; attempts 0 keeps the SDK's default retryer (standard,
// 3 attempts).
func config(endpoint string, attempts int) aws.Config {
	cfg := aws.Config{
		Region:       "eu-central-1",
		Credentials:  awscreds.NewStaticCredentialsProvider("AKIASIMULATOR", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	if attempts > 0 {
		cfg.Retryer = func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), attempts) }
	}
	return cfg
}

// throttleCode returns the error code of err if the SDK classifies it as a
// throttle, and fails the test otherwise.
func throttleCode(t *testing.T, err error) string {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("not an API error: %v", err)
	}
	if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err); got != aws.TrueTernary {
		t.Fatalf("SDK does not classify %q as a throttle (%v): %v", apiErr.ErrorCode(), got, err)
	}
	if !retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool() {
		t.Fatalf("SDK does not classify %q as retryable: %v", apiErr.ErrorCode(), err)
	}
	return apiErr.ErrorCode()
}

func TestForwardsToMoto(t *testing.T) {
	up := upstream(t)
	p := start(t, simulator.Options{Upstream: up})
	ctx := t.Context()

	// Seed through the unguarded client, read through the proxy.
	if _, err := ssm.NewFromConfig(config(up, 1)).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/sim/a"), Value: aws.String("va"), Type: ssmtypes.ParameterTypeString,
	}); err != nil {
		t.Fatal(err)
	}
	cfg := config(p.URL(), 1)
	out, err := ssm.NewFromConfig(cfg).GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/sim/a", "/sim/missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 1 || aws.ToString(out.Parameters[0].Value) != "va" ||
		len(out.InvalidParameters) != 1 || out.InvalidParameters[0] != "/sim/missing" {
		t.Fatalf("GetParameters through the proxy: %+v", out)
	}
	// Query protocols: the body read to find Action must arrive intact.
	vpcs, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) == 0 {
		t.Fatalf("DescribeVpcs: %v, %+v", err, vpcs)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) == "" {
		t.Fatalf("GetCallerIdentity: %v, %+v", err, id)
	}
	want := map[string]int64{"ssm:GetParameters": 1, "ec2:DescribeVpcs": 1, "sts:GetCallerIdentity": 1}
	s := p.Stats()
	for k, v := range want {
		if s.Forwarded[k] != v {
			t.Errorf("Forwarded[%s] = %d, want %d (%v)", k, s.Forwarded[k], v, s.Forwarded)
		}
	}
	if s.TotalForwarded() != 3 || s.TotalThrottled() != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestLatency measures the round trip of GetParameters through a proxy with
// no latency and one with 30ms: every call must take at least 30ms, and on
// average the proxy should add little beyond it.
func TestLatency(t *testing.T) {
	up := upstream(t)
	const lat = 30 * time.Millisecond
	const n = 30
	measure := func(latency time.Duration) (fastest, mean time.Duration) {
		p := start(t, simulator.Options{Upstream: up, Latency: latency})
		c := ssm.NewFromConfig(config(p.URL(), 1))
		in := &ssm.GetParametersInput{Names: []string{"/sim/x"}}
		if _, err := c.GetParameters(t.Context(), in); err != nil { // warm up the connections
			t.Fatal(err)
		}
		var total time.Duration
		fastest = time.Hour
		for range n {
			start := time.Now()
			if _, err := c.GetParameters(t.Context(), in); err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			total += d
			fastest = min(fastest, d)
			if latency > 0 && d < latency {
				t.Errorf("call took %v, less than the latency %v", d, latency)
			}
		}
		return fastest, total / n
	}
	baseMin, baseMean := measure(0)
	latMin, latMean := measure(lat)
	added := latMean - baseMean
	t.Logf("GetParameters round trip: without latency mean %v (min %v); with %v mean %v (min %v); added %v (%+v off)",
		baseMean, baseMin, lat, latMean, latMin, added, added-lat)
	if added < lat-2*time.Millisecond || added > lat+20*time.Millisecond {
		t.Errorf("added latency %v, want about %v", added, lat)
	}
}

// TestLimitSSM: 5/s with burst 5 on GetParameters; 20 rapid calls.
func TestLimitSSM(t *testing.T) {
	up := upstream(t)
	p := start(t, simulator.Options{Upstream: up, Limits: []simulator.Limit{
		{Service: "ssm", Operations: []string{"GetParameters"}, PerSecond: 5, Burst: 5},
	}})
	c := ssm.NewFromConfig(config(p.URL(), 1))
	ctx := t.Context()
	var ok, throttled int64
	begin := time.Now()
	for range 20 {
		_, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/sim/x"}})
		if err == nil {
			ok++
			continue
		}
		if code := throttleCode(t, err); code != "ThrottlingException" {
			t.Fatalf("error code %q, want ThrottlingException", code)
		}
		throttled++
	}
	elapsed := time.Since(begin)
	maxOK := 5 + int64(elapsed/(200*time.Millisecond)) // burst + rate * elapsed
	t.Logf("20 calls in %v: %d forwarded, %d throttled (allowed at most %d)", elapsed, ok, throttled, maxOK)
	if ok < 5 || ok > maxOK {
		t.Errorf("%d of 20 calls succeeded in %v; want 5..%d", ok, elapsed, maxOK)
	}
	// Other operations do not count against the bucket.
	for range 20 {
		if _, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{}); err != nil {
			t.Fatalf("DescribeParameters (not limited): %v", err)
		}
		if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/sim/none")}); err != nil {
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ParameterNotFound" {
				t.Fatalf("GetParameter (not limited): %v", err)
			}
		}
	}
	s := p.Stats()
	if s.Forwarded["ssm:GetParameters"] != ok || s.Throttled["ssm:GetParameters"] != throttled ||
		s.Forwarded["ssm:DescribeParameters"] != 20 || s.Forwarded["ssm:GetParameter"] != 20 || s.TotalThrottled() != throttled {
		t.Errorf("stats %+v; clients saw %d ok, %d throttled", s, ok, throttled)
	}
}

// TestThrottleErrorsBySDK: for each service, the second call of a
// burst-1 bucket is throttled, and the SDK parses the code and classifies
// the error as a retryable throttle.
func TestThrottleErrorsBySDK(t *testing.T) {
	up := upstream(t)
	ctx := t.Context()
	cases := []struct {
		service, code string
		call          func(aws.Config) error
		other         func(aws.Config) error // another operation of the service, not limited
	}{
		{"ssm", "ThrottlingException",
			func(c aws.Config) error {
				_, err := ssm.NewFromConfig(c).DescribeParameters(ctx, &ssm.DescribeParametersInput{})
				return err
			}, nil},
		{"ec2", "RequestLimitExceeded",
			func(c aws.Config) error {
				_, err := ec2.NewFromConfig(c).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
				return err
			},
			func(c aws.Config) error {
				_, err := ec2.NewFromConfig(c).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
				return err
			}},
		{"sts", "Throttling",
			func(c aws.Config) error {
				_, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				return err
			}, nil},
		{"iam", "Throttling",
			func(c aws.Config) error {
				_, err := iam.NewFromConfig(c).ListRoles(ctx, &iam.ListRolesInput{})
				return err
			}, nil},
		{"secretsmanager", "ThrottlingException",
			func(c aws.Config) error {
				_, err := secretsmanager.NewFromConfig(c).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
				return err
			}, nil},
		{"kms", "ThrottlingException",
			func(c aws.Config) error {
				_, err := kms.NewFromConfig(c).ListKeys(ctx, &kms.ListKeysInput{})
				return err
			}, nil},
	}
	for _, c := range cases {
		t.Run(c.service, func(t *testing.T) {
			limit := simulator.Limit{Service: c.service, PerSecond: 0.001, Burst: 1}
			if c.other != nil {
				limit.Operations = []string{"DescribeVpcs"}
			}
			p := start(t, simulator.Options{Upstream: up, Limits: []simulator.Limit{limit}})
			cfg := config(p.URL(), 1)
			if err := c.call(cfg); err != nil {
				t.Fatalf("first call: %v", err)
			}
			err := c.call(cfg)
			if err == nil {
				t.Fatal("second call not throttled")
			}
			if code := throttleCode(t, err); code != c.code {
				t.Fatalf("error code %q, want %q", code, c.code)
			}
			if c.other != nil {
				if err := c.other(cfg); err != nil {
					t.Fatalf("operation outside the limit: %v", err)
				}
			}
			if s := p.Stats(); s.TotalForwarded() != 1+boolInt(c.other != nil) || s.TotalThrottled() != 1 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestLimiterAccuracy drives a 20/s burst-5 bucket with 8 concurrent
// clients for 2s and compares what passed with burst + rate * elapsed.
func TestLimiterAccuracy(t *testing.T) {
	up := upstream(t)
	const rate, burst = 20.0, 5
	p := start(t, simulator.Options{Upstream: up, Limits: []simulator.Limit{
		{Service: "sts", PerSecond: rate, Burst: burst},
	}})
	c := sts.NewFromConfig(config(p.URL(), 1))
	ctx := t.Context()
	var ok, throttled, failed atomic.Int64
	begin := time.Now()
	deadline := begin.Add(2 * time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				_, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				var apiErr smithy.APIError
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &apiErr) && apiErr.ErrorCode() == "Throttling":
					throttled.Add(1)
				default:
					failed.Add(1)
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	ideal := burst + rate*elapsed.Seconds()
	t.Logf("%v: %d forwarded, %d throttled; burst + rate*elapsed = %.2f (off by %+.2f)",
		elapsed, ok.Load(), throttled.Load(), ideal, float64(ok.Load())-ideal)
	if got := float64(ok.Load()); got > ideal || got < ideal-2 {
		t.Errorf("%v forwarded, want %.2f (at most, and at most 2 fewer)", got, ideal)
	}
	if s := p.Stats(); s.TotalForwarded() != ok.Load() || s.TotalThrottled() != throttled.Load() {
		t.Errorf("stats %+v; clients saw %d ok, %d throttled", s, ok.Load(), throttled.Load())
	}
}

// TestThrottleFraction: 20% of 500 calls over three services are
// throttled, and the Stats agree with what the clients saw, per key.
func TestThrottleFraction(t *testing.T) {
	up := upstream(t)
	p := start(t, simulator.Options{Upstream: up, ThrottleFraction: 0.2})
	cfg := config(p.URL(), 1)
	ctx := t.Context()
	ssmc, ec2c, stsc := ssm.NewFromConfig(cfg), ec2.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	calls := []struct {
		key  string
		call func() error
	}{
		{"ssm:GetParameters", func() error {
			_, err := ssmc.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/sim/x"}})
			return err
		}},
		{"ec2:DescribeVpcs", func() error { _, err := ec2c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); return err }},
		{"sts:GetCallerIdentity", func() error {
			_, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
	}
	const n = 500
	var mu sync.Mutex
	seenOK, seenThrottled := map[string]int64{}, map[string]int64{}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < n; i = next.Add(1) - 1 {
				c := calls[i%int64(len(calls))]
				err := c.call()
				mu.Lock()
				if err == nil {
					seenOK[c.key]++
				} else {
					var apiErr smithy.APIError
					isThrottle := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
					if !errors.As(err, &apiErr) || !isThrottle {
						t.Errorf("%s: not a throttle: %v", c.key, err)
					}
					seenThrottled[c.key]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s := p.Stats()
	var throttled int64
	for _, c := range calls {
		throttled += seenThrottled[c.key]
		if s.Forwarded[c.key] != seenOK[c.key] || s.Throttled[c.key] != seenThrottled[c.key] {
			t.Errorf("%s: stats forwarded %d throttled %d; clients saw %d ok, %d throttled",
				c.key, s.Forwarded[c.key], s.Throttled[c.key], seenOK[c.key], seenThrottled[c.key])
		}
	}
	t.Logf("%d of %d calls throttled (%.1f%%): %v", throttled, n, 100*float64(throttled)/n, seenThrottled)
	if throttled < n*15/100 || throttled > n*25/100 {
		t.Errorf("%d of %d throttled, want 15%%..25%%", throttled, n)
	}
	if s.TotalThrottled() != throttled || s.TotalForwarded() != n-throttled {
		t.Errorf("totals %d/%d, want %d/%d", s.TotalForwarded(), s.TotalThrottled(), n-throttled, throttled)
	}
}

// TestDefaultRetryerRecovers: with the SDK's default retryer (standard, 3
// attempts, its own backoff and retry quota) and 20% of requests throttled,
// calls recover by retrying. A call fails only if all 3 of its attempts are
// throttled (probability 0.2^3 = 0.8%, so about 1.6 of 200 calls; all 200
// succeed in only about 20% of runs), and then with the throttle after
// exhausting its attempts. The proxy's counts must match the attempts the
// SDK reports.
func TestDefaultRetryerRecovers(t *testing.T) {
	up := upstream(t)
	p := start(t, simulator.Options{Upstream: up, ThrottleFraction: 0.2})
	c := ssm.NewFromConfig(config(p.URL(), 0))
	if got := c.Options().Retryer.MaxAttempts(); got != 3 {
		t.Fatalf("default retryer allows %d attempts, want 3", got)
	}
	ctx := t.Context()
	const n = 200
	var succeeded, failed, attempts atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for range 20 {
		wg.Go(func() {
			for next.Add(1) <= n {
				out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/sim/x"}})
				if err == nil {
					succeeded.Add(1)
					res, _ := retry.GetAttemptResults(out.ResultMetadata)
					attempts.Add(int64(len(res.Results)))
					continue
				}
				var maxErr *retry.MaxAttemptsError
				var apiErr smithy.APIError
				if !errors.As(err, &maxErr) || maxErr.Attempt != 3 || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
					t.Errorf("failed otherwise than by 3 throttles: %v", err)
				}
				failed.Add(1)
				attempts.Add(3)
			}
		})
	}
	wg.Wait()
	s := p.Stats()
	t.Logf("%d calls in %v: %d succeeded, %d failed after 3 throttles; %d attempts, %d throttled by the proxy",
		n, time.Since(begin).Round(time.Millisecond), succeeded.Load(), failed.Load(), attempts.Load(), s.TotalThrottled())
	if failed.Load() > 8 { // P(more than 8 of 200 at 0.8%) ~ 1e-4
		t.Errorf("%d of %d calls failed; retries should have recovered nearly all", failed.Load(), n)
	}
	if s.TotalForwarded() != succeeded.Load() || s.TotalForwarded()+s.TotalThrottled() != attempts.Load() {
		t.Errorf("stats %d forwarded + %d throttled; SDK: %d succeeded in %d attempts",
			s.TotalForwarded(), s.TotalThrottled(), succeeded.Load(), attempts.Load())
	}
}

func TestStatsResetAndClose(t *testing.T) {
	up := upstream(t)
	p, err := simulator.Start(simulator.Options{Upstream: up, Limits: []simulator.Limit{{Service: "sts", PerSecond: 0.001, Burst: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	c := sts.NewFromConfig(config(p.URL(), 1))
	ctx := t.Context()
	for range 3 {
		_, _ = c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}
	s := p.Stats()
	if s.Forwarded["sts:GetCallerIdentity"] != 2 || s.Throttled["sts:GetCallerIdentity"] != 1 {
		t.Fatalf("stats %+v", s)
	}
	p.ResetStats()
	if s := p.Stats(); s.TotalForwarded() != 0 || s.TotalThrottled() != 0 {
		t.Fatalf("after ResetStats: %+v", s)
	}
	// The bucket is not reset: still empty.
	if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("ResetStats refilled the bucket")
	}
	if s := p.Stats(); s.Throttled["sts:GetCallerIdentity"] != 1 || len(s.Forwarded) != 0 {
		t.Fatalf("stats %+v", s)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var apiErr smithy.APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("call after Close: %v", err)
	}
	// The upstream is unaffected.
	if _, err := sts.NewFromConfig(config(up, 1)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
}
