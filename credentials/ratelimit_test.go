package credentials_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsreplicator/awsreplicator/credentials"
)

// slowLimit allows one call, then one every 1000 s: a second call can only
// fail (with a context deadline) or wait, so no test depends on timing.
var slowLimit = []credentials.RateLimit{{Service: "ssm", Operations: []string{"GetParameters"}, PerSecond: 0.001}}

func loadLimitedSource(t *testing.T, limits []credentials.RateLimit, disable bool) (aws.Config, *fakeHTTP) {
	t.Helper()
	isolateEnv(t)
	fake := &fakeHTTP{}
	cfg, err := credentials.LoadSource(context.Background(), credentials.Source{
		AccessKeyID: srcKey, SecretAccessKey: srcSecret, Region: "eu-central-1", EndpointURL: "http://127.0.0.1:5000",
		HTTPClient: fake, RateLimits: limits, DisableRateLimits: disable,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, fake
}

// shortContext is a context whose deadline is far shorter than the limit's
// interval, so a call that would have to wait fails at once.
func shortContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestRateLimitPaces(t *testing.T) {
	cfg, fake := loadLimitedSource(t, slowLimit, false)
	client := ssm.NewFromConfig(cfg)
	// A refused write does not spend the token.
	if err := putParameter(context.Background(), client); !errors.Is(err, credentials.ErrNotReadOnly) {
		t.Fatalf("PutParameter: %v", err)
	}
	if err := getParameters(context.Background(), client); err != nil {
		t.Fatalf("first GetParameters (the burst): %v", err)
	}
	err := getParameters(shortContext(t), client)
	if err == nil || !strings.Contains(err.Error(), "rate") {
		t.Fatalf("second GetParameters = %v, want a rate limiter wait error", err)
	}
	// The bucket is shared by every client made from the configuration.
	if err := getParameters(shortContext(t), ssm.NewFromConfig(cfg)); err == nil {
		t.Errorf("a second client has its own bucket")
	}
	if n := fake.count(); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
	// Other operations are not in the bucket.
	for range 3 {
		if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(shortContext(t), &sts.GetCallerIdentityInput{}); err != nil {
			t.Errorf("GetCallerIdentity: %v", err)
		}
	}
}

func TestRateLimitDisabled(t *testing.T) {
	cfg, fake := loadLimitedSource(t, slowLimit, true)
	client := ssm.NewFromConfig(cfg)
	for range 3 {
		if err := getParameters(shortContext(t), client); err != nil {
			t.Fatalf("GetParameters without rate limits: %v", err)
		}
	}
	if fake.count() != 3 {
		t.Errorf("sent %d requests", fake.count())
	}
}

func TestRateLimitWholeService(t *testing.T) {
	// No operations: the whole service shares the bucket; the default
	// burst is PerSecond rounded up (1).
	cfg, fake := loadLimitedSource(t, []credentials.RateLimit{{Service: "STS", PerSecond: 0.001}}, false)
	c := sts.NewFromConfig(cfg)
	if _, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCallerIdentity(shortContext(t), &sts.GetCallerIdentityInput{}); err == nil {
		t.Errorf("second call was not paced")
	}
	if fake.count() != 1 {
		t.Errorf("sent %d requests", fake.count())
	}
	// SSM is not limited by an STS bucket.
	if err := getParameters(shortContext(t), ssm.NewFromConfig(cfg)); err != nil {
		t.Errorf("GetParameters: %v", err)
	}
}

func TestRateLimitInvalid(t *testing.T) {
	for _, l := range []credentials.RateLimit{
		{Service: "", PerSecond: 1},
		{Service: "SSM", PerSecond: 0},
		{Service: "SSM", PerSecond: -1},
	} {
		isolateEnv(t)
		_, err := credentials.LoadSource(context.Background(), credentials.Source{
			AccessKeyID: srcKey, SecretAccessKey: srcSecret, Region: "eu-central-1", RateLimits: []credentials.RateLimit{l},
		})
		if err == nil || !strings.Contains(err.Error(), "rate limit") {
			t.Errorf("LoadSource with %+v: %v", l, err)
		}
	}
}

func TestDefaultRateLimits(t *testing.T) {
	limits := credentials.DefaultRateLimits()
	limitOf := func(service, op string) (credentials.RateLimit, bool) {
		for _, l := range limits {
			if strings.EqualFold(l.Service, service) && (len(l.Operations) == 0 || slices.Contains(l.Operations, op)) {
				return l, true
			}
		}
		return credentials.RateLimit{}, false
	}
	for _, l := range limits {
		if l.Service == "" || l.PerSecond <= 0 {
			t.Errorf("invalid default %+v", l)
		}
	}
	for _, want := range []struct {
		service, op string
		perSecond   float64
	}{
		{"ssm", "GetParameters", 40}, {"ssm", "GetParametersByPath", 40},
		{"ec2", "DescribeSecurityGroups", 20},
		{"secrets manager", "GetResourcePolicy", 50}, {"secrets manager", "BatchGetSecretValue", 100},
	} {
		if l, ok := limitOf(want.service, want.op); !ok || l.PerSecond != want.perSecond {
			t.Errorf("default for %s %s = %+v (%v), want %v per second", want.service, want.op, l, ok, want.perSecond)
		}
	}
	if l, _ := limitOf("ec2", "DescribeVpcs"); l.Burst != 100 {
		t.Errorf("EC2 burst = %d, want 100", l.Burst)
	}
	for _, op := range []string{"GetSecretValue", "ListSecrets", "DescribeSecret"} {
		if l, ok := limitOf("secrets manager", op); ok {
			t.Errorf("Secrets Manager %s is paced by %+v; its quota is far above a job's calls", op, l)
		}
	}
	// The caller owns the slice.
	limits[0].PerSecond = 1
	if credentials.DefaultRateLimits()[0].PerSecond == 1 {
		t.Errorf("DefaultRateLimits shares its slice")
	}
	// The defaults do not hold a single call back.
	cfg, _ := loadLimitedSource(t, nil, false)
	if err := getParameters(shortContext(t), ssm.NewFromConfig(cfg)); err != nil {
		t.Errorf("GetParameters with the default limits: %v", err)
	}
}
