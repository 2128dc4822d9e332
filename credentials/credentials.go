package credentials

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/awsreplicator/awsreplicator/job"
)

const (
	// DefaultTargetEndpoint is where the target is unless told otherwise:
	// LocalStack's default edge port.
	DefaultTargetEndpoint = "http://localhost.localstack.cloud:4566"
	// DefaultTargetAccountID is the account resources land in unless a
	// target account is chosen (LocalStack's default account).
	DefaultTargetAccountID = "000000000000"
	// defaultTargetSecret is the secret key emulators accept.
	defaultTargetSecret = "test"
)

// ErrPartialCredentials is returned when an access key id is given without
// its secret access key, or the other way round.
var ErrPartialCredentials = errors.New("credentials: partial credentials")

// ErrNoRegion is returned when no region can be found for the source.
var ErrNoRegion = errors.New("credentials: no region")

// ErrNoCredentials is returned when the standard chain finds no source
// credentials.
var ErrNoCredentials = errors.New("credentials: no credentials")

// Source describes how to reach the AWS account resources are copied from.
// Empty fields fall back to the AWS SDK's standard chain (environment,
// shared config and SSO profiles, assume-role, web identity, IMDS).
type Source struct {
	AccessKeyID     string
	SecretAccessKey job.Secret
	SessionToken    job.Secret
	// Region of the source; falls back to AWS_REGION, AWS_DEFAULT_REGION,
	// then the profile's region.
	Region string
	// EndpointURL points the source at something other than AWS (an
	// emulator playing AWS in tests); falls back to AWS_ENDPOINT_URL.
	EndpointURL string
	// Profile is a shared-config profile name (AWS_PROFILE).
	Profile string
	// EmulatorAccountID, for a source that is moto server, selects the
	// account with the x-moto-account-id header. Leave it empty for AWS.
	EmulatorAccountID string
	// HTTPClient replaces the SDK's default HTTP client.
	HTTPClient aws.HTTPClient
	// RateLimits pace the calls made to the source; nil means
	// DefaultRateLimits. Set DisableRateLimits to make no pacing at all.
	RateLimits        []RateLimit
	DisableRateLimits bool
}

// SourceFromEnv reads the source settings the LocalStack CLI reads:
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// AWS_DEFAULT_REGION (or AWS_REGION), AWS_ENDPOINT_URL and AWS_PROFILE.
func SourceFromEnv() Source {
	region := os.Getenv("AWS_DEFAULT_REGION")
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	return Source{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: job.Secret(os.Getenv("AWS_SECRET_ACCESS_KEY")),
		SessionToken:    job.Secret(os.Getenv("AWS_SESSION_TOKEN")),
		Region:          region,
		EndpointURL:     os.Getenv("AWS_ENDPOINT_URL"),
		Profile:         os.Getenv("AWS_PROFILE"),
	}
}

// SourceFromJob converts the wire form of a source configuration.
func SourceFromJob(c job.AWSConfig) Source {
	return Source{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Region:          c.RegionName,
		EndpointURL:     c.EndpointURL,
	}
}

// LoadSource builds the aws.Config for the source. Every client made from it
// is read-only (see [ReadOnly]); credentials are resolved once here, so
// missing or partial credentials are an error now rather than mid-job.
func LoadSource(ctx context.Context, s Source) (aws.Config, error) {
	if err := checkPair("source", s.AccessKeyID, s.SecretAccessKey, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"); err != nil {
		return aws.Config{}, err
	}
	var opts []func(*config.LoadOptions) error
	if s.Profile != "" && s.AccessKeyID == "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if s.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(awscreds.NewStaticCredentialsProvider(
			s.AccessKeyID, s.SecretAccessKey.Reveal(), s.SessionToken.Reveal())))
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	opts = append(opts, withHTTPClient(s.HTTPClient))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("credentials: loading the source AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("%w for the source: set AWS_DEFAULT_REGION, a profile region, or --source-region-name", ErrNoRegion)
	}
	if s.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(s.EndpointURL)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, fmt.Errorf("%w for the source: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (%v)", ErrNoCredentials, err)
	}
	cfg.Retryer = func() aws.Retryer { return newRetryer(sourceAttempts) }
	cfg.APIOptions = append(cfg.APIOptions, ReadOnly())
	if !s.DisableRateLimits {
		limits := s.RateLimits
		if limits == nil {
			limits = DefaultRateLimits()
		}
		limited, err := rateLimited(limits)
		if err != nil {
			return aws.Config{}, err
		}
		cfg.APIOptions = append(cfg.APIOptions, limited)
	}
	if s.EmulatorAccountID != "" {
		cfg.APIOptions = append(cfg.APIOptions, AccountHeader(s.EmulatorAccountID))
	}
	return cfg, nil
}

// Target describes the emulator resources are written into. The zero value
// means LocalStack on its default endpoint, account 000000000000, in the
// source's region.
type Target struct {
	// AccountID selects the target account: LocalStack takes it as the
	// access key id, moto server from the x-moto-account-id header; both
	// are sent. Defaults to the 12-digit AccessKeyID if that is one, else
	// to 000000000000.
	AccountID       string
	AccessKeyID     string
	SecretAccessKey job.Secret
	SessionToken    job.Secret
	// Region defaults to the source region.
	Region string
	// EndpointURL defaults to DefaultTargetEndpoint.
	EndpointURL string
	// Profile is a shared-config profile whose credentials are used.
	Profile string
	// EmulatorHosts declares hosts ("host" or "host:port") beyond loopback
	// and localhost.localstack.cloud that are emulators and may be written to.
	EmulatorHosts []string
	// HTTPClient replaces the SDK's default HTTP client.
	HTTPClient aws.HTTPClient
}

// TargetFromEnv reads TARGET_ACCESS_KEY_ID, TARGET_SECRET_ACCESS_KEY,
// TARGET_SESSION_TOKEN, TARGET_DEFAULT_REGION, TARGET_ENDPOINT_URL,
// TARGET_PROFILE, TARGET_ACCOUNT_ID and TARGET_EMULATOR_HOSTS
// (comma-separated).
func TargetFromEnv() Target {
	var hosts []string
	for h := range strings.SplitSeq(os.Getenv("TARGET_EMULATOR_HOSTS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	return Target{
		AccountID:       os.Getenv("TARGET_ACCOUNT_ID"),
		AccessKeyID:     os.Getenv("TARGET_ACCESS_KEY_ID"),
		SecretAccessKey: job.Secret(os.Getenv("TARGET_SECRET_ACCESS_KEY")),
		SessionToken:    job.Secret(os.Getenv("TARGET_SESSION_TOKEN")),
		Region:          os.Getenv("TARGET_DEFAULT_REGION"),
		EndpointURL:     os.Getenv("TARGET_ENDPOINT_URL"),
		Profile:         os.Getenv("TARGET_PROFILE"),
		EmulatorHosts:   hosts,
	}
}

// TargetFromJob converts the wire form of a target configuration. As in
// LocalStack, a 12-digit access key id selects the account.
func TargetFromJob(c job.AWSConfig) Target {
	return Target{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Region:          c.RegionName,
		EndpointURL:     c.EndpointURL,
	}
}

// Merge returns t with its empty fields taken from fallback; a host program
// uses it to let a request override the TARGET_* environment.
func (t Target) Merge(fallback Target) Target {
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	out := t
	out.AccountID = pick(t.AccountID, fallback.AccountID)
	if t.AccessKeyID == "" && t.SecretAccessKey == "" {
		out.AccessKeyID, out.SecretAccessKey, out.SessionToken = fallback.AccessKeyID, fallback.SecretAccessKey, fallback.SessionToken
	}
	out.Region = pick(t.Region, fallback.Region)
	out.EndpointURL = pick(t.EndpointURL, fallback.EndpointURL)
	out.Profile = pick(t.Profile, fallback.Profile)
	out.EmulatorHosts = append(append([]string(nil), t.EmulatorHosts...), fallback.EmulatorHosts...)
	if out.HTTPClient == nil {
		out.HTTPClient = fallback.HTTPClient
	}
	return out
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool { return accountIDPattern.MatchString(s) }

// Account returns the account the target resolves to (see Target.AccountID).
func (t Target) Account() string {
	switch {
	case t.AccountID != "":
		return t.AccountID
	case IsAccountID(t.AccessKeyID):
		return t.AccessKeyID
	default:
		return DefaultTargetAccountID
	}
}

// LoadTarget builds the aws.Config for the target. sourceRegion is the
// region used when t.Region is empty. Every client made from it refuses to
// send to an endpoint that is not an emulator (see [EmulatorOnly]).
func LoadTarget(ctx context.Context, t Target, sourceRegion string) (aws.Config, error) {
	if t.AccountID != "" && !IsAccountID(t.AccountID) {
		return aws.Config{}, fmt.Errorf("credentials: target account id %q is not 12 digits (e.g. 111111111111)", t.AccountID)
	}
	if t.AccountID != "" && t.AccessKeyID != "" && t.AccessKeyID != t.AccountID {
		return aws.Config{}, fmt.Errorf("credentials: the target account id %s and the target access key id %s disagree; LocalStack takes the account from the access key id: set only one", t.AccountID, t.AccessKeyID)
	}
	if err := checkPair("target", t.AccessKeyID, t.SecretAccessKey, "TARGET_ACCESS_KEY_ID", "TARGET_SECRET_ACCESS_KEY"); err != nil && t.AccountID == "" {
		return aws.Config{}, err
	}
	endpoint := t.EndpointURL
	if endpoint == "" {
		endpoint = DefaultTargetEndpoint
	}
	if err := checkEmulatorURL(endpoint, t.EmulatorHosts); err != nil {
		return aws.Config{}, err
	}
	region := t.Region
	if region == "" {
		region = sourceRegion
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("%w for the target: set TARGET_DEFAULT_REGION or the source region", ErrNoRegion)
	}
	account := t.Account()
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	switch {
	case t.Profile != "" && t.AccessKeyID == "" && t.AccountID == "":
		opts = append(opts, config.WithSharedConfigProfile(t.Profile))
	default:
		secret := t.SecretAccessKey.Reveal()
		if secret == "" {
			secret = defaultTargetSecret
		}
		opts = append(opts, config.WithCredentialsProvider(awscreds.NewStaticCredentialsProvider(
			account, secret, t.SessionToken.Reveal())))
	}
	opts = append(opts, withHTTPClient(t.HTTPClient))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("credentials: loading the target AWS configuration: %w", err)
	}
	cfg.BaseEndpoint = aws.String(endpoint)
	cfg.Retryer = func() aws.Retryer { return newRetryer(targetAttempts) }
	cfg.APIOptions = append(cfg.APIOptions, EmulatorOnly(t.EmulatorHosts...), AccountHeader(account))
	return cfg, nil
}

func checkPair(side, key string, secret job.Secret, keyVar, secretVar string) error {
	switch {
	case key != "" && secret == "":
		return fmt.Errorf("%w for the %s: %s is set but %s is not; set both, or neither to use a profile", ErrPartialCredentials, side, keyVar, secretVar)
	case key == "" && secret != "":
		return fmt.Errorf("%w for the %s: %s is set but %s is not; set both, or neither to use a profile", ErrPartialCredentials, side, secretVar, keyVar)
	}
	return nil
}

// Attempts per call. A source under a 20% throttling rate fails a call
// after 10 attempts with probability 0.2^10 ≈ 1e-7, so a job of thousands
// of calls does not fail for throttling; a local target rarely needs more
// than a few.
const (
	sourceAttempts = 10
	targetAttempts = 5
)

// newRetryer is the retryer of every client: the SDK's standard retryer
// (retrying throttling and transient errors) without its client-side retry
// quota, and with a shorter first backoff. That quota (500 tokens shared
// by every goroutine of a client, 5 per retry) fails long concurrent jobs
// with "retry quota exceeded" exactly when the source throttles; the
// backoff and the attempt limit already bound the retries.
func newRetryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.RateLimiter = ratelimit.None
		o.MaxAttempts = attempts
		o.Backoff = fullJitter{base: backoffBase, max: backoffMax}
	})
}

// Backoff before retry n (from 1): a random delay in (0, base*2^n], at
// most max ("full jitter"). The SDK's standard backoff starts at base 1 s:
// up to 2 s, 1 s on average, before the first retry. Under the source's
// token buckets a throttling error means another client shares the quota
// for a moment; a listing, whose pages come one after another, then stood
// still for that second each time. From 100 ms the delays still double
// (9 retries wait up to about a minute in all) and callers that throttle
// together still spread out.
const (
	backoffBase = 100 * time.Millisecond
	backoffMax  = 20 * time.Second
)

// fullJitter is exponential backoff with full jitter.
type fullJitter struct{ base, max time.Duration }

// BackoffDelay implements retry.BackoffDelayer.
func (j fullJitter) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	ceiling := j.max
	if attempt < 30 && j.base<<attempt < j.max {
		ceiling = j.base << attempt
	}
	return time.Duration(rand.Int64N(int64(ceiling))) + 1, nil
}

// idleConnsPerHost is how many kept-alive connections a configuration
// keeps to one endpoint. The SDK's default, 10, is below the calls a job
// makes at once (Options.Concurrency writes, listings reading several
// pages): every call beyond it would open a connection and close it again.
const idleConnsPerHost = 128

// withHTTPClient loads the configuration with c, or without one with the
// SDK's HTTP client keeping idleConnsPerHost; that is a BuildableClient,
// so AWS_CA_BUNDLE and the like still apply to it.
func withHTTPClient(c aws.HTTPClient) func(*config.LoadOptions) error {
	if c != nil {
		return config.WithHTTPClient(c)
	}
	return config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = idleConnsPerHost
	}))
}
