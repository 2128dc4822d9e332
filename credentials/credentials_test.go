package credentials_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/job"
)

const (
	srcKey    = "AKIASOURCEEXAMPLE"
	srcSecret = "source-secret-value-1"
	srcToken  = "source-session-token-1"
)

func TestLoadSourcePartialCredentials(t *testing.T) {
	isolateEnv(t)
	for _, tc := range []struct {
		name string
		src  credentials.Source
	}{
		{"key without secret", credentials.Source{AccessKeyID: srcKey, Region: "eu-central-1"}},
		{"secret without key", credentials.Source{SecretAccessKey: srcSecret, Region: "eu-central-1"}},
		{"secret and token without key", credentials.Source{SecretAccessKey: srcSecret, SessionToken: srcToken, Region: "eu-central-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := credentials.LoadSource(context.Background(), tc.src)
			if !errors.Is(err, credentials.ErrPartialCredentials) {
				t.Fatalf("err = %v, want ErrPartialCredentials", err)
			}
			for _, want := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "source"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
			if strings.Contains(err.Error(), srcSecret) || strings.Contains(err.Error(), srcToken) {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
	// The message says which one is missing.
	_, err := credentials.LoadSource(context.Background(), credentials.Source{AccessKeyID: srcKey, Region: "eu-central-1"})
	if !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not") {
		t.Errorf("err = %v", err)
	}
	_, err = credentials.LoadSource(context.Background(), credentials.Source{SecretAccessKey: srcSecret, Region: "eu-central-1"})
	if !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadSourceNoRegion(t *testing.T) {
	isolateEnv(t)
	_, err := credentials.LoadSource(context.Background(), credentials.Source{AccessKeyID: srcKey, SecretAccessKey: srcSecret})
	if !errors.Is(err, credentials.ErrNoRegion) {
		t.Fatalf("err = %v, want ErrNoRegion", err)
	}
	if !strings.Contains(err.Error(), "AWS_DEFAULT_REGION") {
		t.Errorf("error %q does not say how to set a region", err)
	}
}

func TestLoadSourceNoCredentials(t *testing.T) {
	isolateEnv(t)
	_, err := credentials.LoadSource(context.Background(), credentials.Source{Region: "eu-central-1"})
	if !errors.Is(err, credentials.ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
	for _, want := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestLoadSourceExplicit(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	fake := &fakeHTTP{}
	cfg, err := credentials.LoadSource(ctx, credentials.Source{
		AccessKeyID: srcKey, SecretAccessKey: srcSecret, SessionToken: srcToken,
		Region: "eu-central-1", HTTPClient: fake,
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("Region = %q", cfg.Region)
	}
	if cfg.BaseEndpoint != nil {
		t.Errorf("BaseEndpoint = %q, want nil (AWS)", *cfg.BaseEndpoint)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != srcKey || creds.SecretAccessKey != srcSecret || creds.SessionToken != srcToken {
		t.Errorf("credentials = %s/%s/%s", creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	}
	if cfg.Retryer == nil {
		t.Fatalf("no retryer")
	}
	// The source retries throttling patiently.
	if n := cfg.Retryer().MaxAttempts(); n != 10 {
		t.Errorf("MaxAttempts = %d, want 10", n)
	}
	// Nothing was sent while loading.
	if n := fake.count(); n != 0 {
		t.Errorf("LoadSource sent %d requests", n)
	}
}

func TestLoadSourceIsReadOnly(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	fake := &fakeHTTP{}
	cfg, err := credentials.LoadSource(ctx, credentials.Source{
		AccessKeyID: srcKey, SecretAccessKey: srcSecret, Region: "eu-central-1",
		EndpointURL: "http://127.0.0.1:5000", EmulatorAccountID: "111111111111", HTTPClient: fake,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:5000" {
		t.Errorf("BaseEndpoint = %q", got)
	}
	client := ssm.NewFromConfig(cfg)
	if err := putParameter(ctx, client); !errors.Is(err, credentials.ErrNotReadOnly) {
		t.Fatalf("PutParameter on the source: %v, want ErrNotReadOnly", err)
	}
	if n := fake.count(); n != 0 {
		t.Fatalf("a refused write sent %d requests", n)
	}
	if err := getParameters(ctx, client); err != nil {
		t.Fatalf("GetParameters on the source: %v", err)
	}
	r := fake.last(t)
	if r.URL.Host != "127.0.0.1:5000" {
		t.Errorf("sent to %q", r.URL.Host)
	}
	if got := r.Header.Get("x-moto-account-id"); got != "111111111111" {
		t.Errorf("x-moto-account-id = %q", got)
	}
	if got := accessKeyOf(r); got != srcKey {
		t.Errorf("signed with %q, want %q", got, srcKey)
	}
	// Adding the guard again (as the runner does) is harmless.
	cfg.APIOptions = append(cfg.APIOptions, credentials.ReadOnly())
	if err := getParameters(ctx, ssm.NewFromConfig(cfg)); err != nil {
		t.Errorf("ReadOnly added to a LoadSource config: %v", err)
	}
}

func TestLoadSourceWithoutEmulatorAccount(t *testing.T) {
	isolateEnv(t)
	fake := &fakeHTTP{}
	cfg, err := credentials.LoadSource(context.Background(), credentials.Source{
		AccessKeyID: srcKey, SecretAccessKey: srcSecret, Region: "eu-central-1", EndpointURL: "http://127.0.0.1:5000", HTTPClient: fake,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := getParameters(context.Background(), ssm.NewFromConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	if got := fake.last(t).Header.Values("x-moto-account-id"); len(got) != 0 {
		t.Errorf("x-moto-account-id = %q, want none for AWS", got)
	}
}

func TestLoadSourceFromEnvironment(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srcKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srcSecret)
	t.Setenv("AWS_REGION", "us-west-2")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
	ctx := context.Background()
	cfg, err := credentials.LoadSource(ctx, credentials.Source{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-west-2" {
		t.Errorf("Region = %q, want AWS_REGION", cfg.Region)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:5000" {
		t.Errorf("BaseEndpoint = %q, want AWS_ENDPOINT_URL", got)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != srcKey {
		t.Errorf("credentials = %q, %v", creds.AccessKeyID, err)
	}
	// An explicit region and endpoint override the environment.
	cfg, err = credentials.LoadSource(ctx, credentials.Source{Region: "eu-west-1", EndpointURL: "http://127.0.0.1:6000"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:6000" {
		t.Errorf("Region/BaseEndpoint = %q/%q", cfg.Region, aws.ToString(cfg.BaseEndpoint))
	}
	// AWS_DEFAULT_REGION alone is enough.
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "ap-south-1")
	cfg, err = credentials.LoadSource(ctx, credentials.Source{})
	if err != nil || cfg.Region != "ap-south-1" {
		t.Errorf("Region = %q, %v; want AWS_DEFAULT_REGION", cfg.Region, err)
	}
}

func TestLoadSourceProfile(t *testing.T) {
	configFile, credentialsFile := isolateEnv(t)
	writeFile(t, configFile, "[profile src]\nregion = sa-east-1\n")
	writeFile(t, credentialsFile, "[src]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n")
	ctx := context.Background()
	cfg, err := credentials.LoadSource(ctx, credentials.Source{Profile: "src"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "sa-east-1" {
		t.Errorf("Region = %q, want the profile's", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "AKIAPROFILE" {
		t.Errorf("credentials = %q, %v", creds.AccessKeyID, err)
	}
	// Explicit keys win over the profile.
	cfg, err = credentials.LoadSource(ctx, credentials.Source{Profile: "src", AccessKeyID: srcKey, SecretAccessKey: srcSecret, Region: "eu-central-1"})
	if err != nil {
		t.Fatal(err)
	}
	if creds, _ := cfg.Credentials.Retrieve(ctx); creds.AccessKeyID != srcKey {
		t.Errorf("credentials = %q, want the explicit key", creds.AccessKeyID)
	}
	// A profile that does not exist is an error, not a fallback.
	if _, err := credentials.LoadSource(ctx, credentials.Source{Profile: "missing", Region: "eu-central-1"}); err == nil {
		t.Errorf("a missing profile loaded")
	}
}

func TestSourceFromEnv(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srcKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srcSecret)
	t.Setenv("AWS_SESSION_TOKEN", srcToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_DEFAULT_REGION", "eu-central-1")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
	t.Setenv("AWS_PROFILE", "p")
	want := credentials.Source{AccessKeyID: srcKey, SecretAccessKey: srcSecret, SessionToken: srcToken,
		Region: "eu-central-1", EndpointURL: "http://127.0.0.1:5000", Profile: "p"}
	if diff := cmp.Diff(want, credentials.SourceFromEnv()); diff != "" {
		t.Errorf("SourceFromEnv (-want +got):\n%s", diff)
	}
	t.Setenv("AWS_DEFAULT_REGION", "")
	if got := credentials.SourceFromEnv().Region; got != "us-east-1" {
		t.Errorf("Region = %q, want AWS_REGION when AWS_DEFAULT_REGION is empty", got)
	}
}

func TestSourceAndTargetFromJob(t *testing.T) {
	c := job.AWSConfig{AccessKeyID: "111111111111", SecretAccessKey: "s", SessionToken: "tok", RegionName: "eu-west-1", EndpointURL: "http://127.0.0.1:1"}
	if diff := cmp.Diff(credentials.Source{AccessKeyID: "111111111111", SecretAccessKey: "s", SessionToken: "tok", Region: "eu-west-1", EndpointURL: "http://127.0.0.1:1"},
		credentials.SourceFromJob(c)); diff != "" {
		t.Errorf("SourceFromJob (-want +got):\n%s", diff)
	}
	tgt := credentials.TargetFromJob(c)
	if diff := cmp.Diff(credentials.Target{AccessKeyID: "111111111111", SecretAccessKey: "s", SessionToken: "tok", Region: "eu-west-1", EndpointURL: "http://127.0.0.1:1"}, tgt); diff != "" {
		t.Errorf("TargetFromJob (-want +got):\n%s", diff)
	}
	// As in LocalStack, a 12-digit access key id selects the account.
	if got := tgt.Account(); got != "111111111111" {
		t.Errorf("Account() = %q", got)
	}
}

// loadTarget loads t with requests going to a fresh fake.
func loadTarget(t *testing.T, tgt credentials.Target, sourceRegion string) (aws.Config, *fakeHTTP, error) {
	t.Helper()
	fake := &fakeHTTP{}
	tgt.HTTPClient = fake
	cfg, err := credentials.LoadTarget(context.Background(), tgt, sourceRegion)
	return cfg, fake, err
}

func TestLoadTargetDefaults(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	cfg, fake, err := loadTarget(t, credentials.Target{}, "eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != credentials.DefaultTargetEndpoint {
		t.Errorf("BaseEndpoint = %q, want %q", got, credentials.DefaultTargetEndpoint)
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("Region = %q, want the source region", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != credentials.DefaultTargetAccountID || creds.SecretAccessKey != "test" {
		t.Errorf("credentials = %q/%q, want the default account as access key and \"test\"", creds.AccessKeyID, creds.SecretAccessKey)
	}
	// A request carries the account both ways: access key and header.
	if err := putParameter(ctx, ssm.NewFromConfig(cfg)); err != nil {
		t.Fatalf("write to the default target: %v", err)
	}
	r := fake.last(t)
	if r.URL.Host != "localhost.localstack.cloud:4566" || r.URL.Scheme != "http" {
		t.Errorf("sent to %s", r.URL)
	}
	if got := accessKeyOf(r); got != "000000000000" {
		t.Errorf("signed with %q, want 000000000000", got)
	}
	if got := r.Header.Get("x-moto-account-id"); got != "000000000000" {
		t.Errorf("x-moto-account-id = %q", got)
	}
	if !strings.Contains(r.Header.Get("Authorization"), "/eu-central-1/ssm/") {
		t.Errorf("signed for the wrong region: %s", r.Header.Get("Authorization"))
	}
	if cfg.Retryer == nil || cfg.Retryer().MaxAttempts() != 5 {
		t.Errorf("target retryer not set to 5 attempts")
	}
}

func TestLoadTargetAccount(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		tgt     credentials.Target
		account string
		secret  string
	}{
		{"account id", credentials.Target{AccountID: "111111111111"}, "111111111111", "test"},
		{"12-digit access key", credentials.Target{AccessKeyID: "222222222222", SecretAccessKey: "tgt-secret"}, "222222222222", "tgt-secret"},
		{"account id equal to access key", credentials.Target{AccountID: "333333333333", AccessKeyID: "333333333333", SecretAccessKey: "x"}, "333333333333", "x"},
		{"account id with a secret but no key", credentials.Target{AccountID: "444444444444", SecretAccessKey: "x"}, "444444444444", "x"},
		{"account id with an equal key but no secret", credentials.Target{AccountID: "555555555555", AccessKeyID: "555555555555"}, "555555555555", "test"},
		{"non-numeric access key", credentials.Target{AccessKeyID: "test", SecretAccessKey: "test"}, "000000000000", "test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tgt.Account(); got != tc.account {
				t.Errorf("Account() = %q, want %q", got, tc.account)
			}
			cfg, fake, err := loadTarget(t, tc.tgt, "eu-central-1")
			if err != nil {
				t.Fatal(err)
			}
			creds, err := cfg.Credentials.Retrieve(ctx)
			if err != nil || creds.AccessKeyID != tc.account || creds.SecretAccessKey != tc.secret {
				t.Errorf("credentials = %q/%q, %v; want %q/%q", creds.AccessKeyID, creds.SecretAccessKey, err, tc.account, tc.secret)
			}
			if err := getParameters(ctx, ssm.NewFromConfig(cfg)); err != nil {
				t.Fatal(err)
			}
			if got := fake.last(t).Header.Get("x-moto-account-id"); got != tc.account {
				t.Errorf("x-moto-account-id = %q, want %q", got, tc.account)
			}
		})
	}
}

func TestLoadTargetInvalid(t *testing.T) {
	isolateEnv(t)
	for _, tc := range []struct {
		name    string
		tgt     credentials.Target
		region  string
		is      error
		mention []string
	}{
		{name: "account id not 12 digits", tgt: credentials.Target{AccountID: "12345"}, mention: []string{`"12345"`, "12 digits"}},
		{name: "account id with letters", tgt: credentials.Target{AccountID: "11111111111a"}, mention: []string{"11111111111a"}},
		{name: "account id 13 digits", tgt: credentials.Target{AccountID: "1111111111111"}, mention: []string{"1111111111111"}},
		{name: "account id vs access key", tgt: credentials.Target{AccountID: "111111111111", AccessKeyID: "222222222222", SecretAccessKey: "x"}, mention: []string{"111111111111", "222222222222", "disagree"}},
		{name: "key without secret", tgt: credentials.Target{AccessKeyID: "222222222222"}, is: credentials.ErrPartialCredentials, mention: []string{"TARGET_ACCESS_KEY_ID", "TARGET_SECRET_ACCESS_KEY", "target"}},
		{name: "secret without key", tgt: credentials.Target{SecretAccessKey: "tgt-secret"}, is: credentials.ErrPartialCredentials, mention: []string{"TARGET_ACCESS_KEY_ID", "TARGET_SECRET_ACCESS_KEY"}},
		{name: "aws endpoint", tgt: credentials.Target{EndpointURL: "https://ssm.eu-central-1.amazonaws.com"}, is: credentials.ErrNotEmulator, mention: []string{"https://ssm.eu-central-1.amazonaws.com", "EmulatorHosts"}},
		{name: "private address", tgt: credentials.Target{EndpointURL: "http://10.0.0.1:4566"}, is: credentials.ErrNotEmulator},
		{name: "imds", tgt: credentials.Target{EndpointURL: "http://169.254.169.254"}, is: credentials.ErrNotEmulator},
		{name: "lookalike host", tgt: credentials.Target{EndpointURL: "http://localhost.evil.com:4566"}, is: credentials.ErrNotEmulator},
		{name: "declared other host", tgt: credentials.Target{EndpointURL: "http://other.internal:4566", EmulatorHosts: []string{"emulator.internal"}}, is: credentials.ErrNotEmulator},
		{name: "endpoint without scheme", tgt: credentials.Target{EndpointURL: "localhost:4566"}, mention: []string{`"localhost:4566"`, "not a URL"}},
		{name: "endpoint with another scheme", tgt: credentials.Target{EndpointURL: "ftp://127.0.0.1:4566"}, mention: []string{"not a URL"}},
		{name: "endpoint not a URL", tgt: credentials.Target{EndpointURL: "http://%zz"}, mention: []string{"not a URL"}},
		{name: "no region", tgt: credentials.Target{}, region: "-", is: credentials.ErrNoRegion, mention: []string{"TARGET_DEFAULT_REGION"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			region := "eu-central-1"
			if tc.region == "-" {
				region = ""
			}
			_, fake, err := loadTarget(t, tc.tgt, region)
			if err == nil {
				t.Fatalf("LoadTarget succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "tgt-secret") {
				t.Errorf("error leaks the secret: %v", err)
			}
			if fake.count() != 0 {
				t.Errorf("LoadTarget sent %d requests", fake.count())
			}
		})
	}
}

func TestLoadTargetEndpoints(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		endpoint string
		declared []string
		host     string
	}{
		{"loopback", "http://127.0.0.1:4566", nil, "127.0.0.1:4566"},
		{"ipv6 loopback", "http://[::1]:4566", nil, "[::1]:4566"},
		{"localhost https", "https://localhost:4566", nil, "localhost:4566"},
		{"localstack subdomain", "http://s3.localhost.localstack.cloud:4566", nil, "s3.localhost.localstack.cloud:4566"},
		{"declared host", "http://emulator.internal:4566", []string{"emulator.internal"}, "emulator.internal:4566"},
		{"declared host:port", "http://emulator.internal:4566", []string{"emulator.internal:4566"}, "emulator.internal:4566"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, fake, err := loadTarget(t, credentials.Target{EndpointURL: tc.endpoint, EmulatorHosts: tc.declared}, "eu-central-1")
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(cfg.BaseEndpoint); got != tc.endpoint {
				t.Errorf("BaseEndpoint = %q", got)
			}
			// The config's clients reach it (the declared hosts travel with
			// the guard), and the runner's extra EmulatorOnly() keeps them.
			cfg.APIOptions = append(cfg.APIOptions, credentials.EmulatorOnly())
			if err := putParameter(ctx, ssm.NewFromConfig(cfg)); err != nil {
				t.Fatalf("write to %s: %v", tc.endpoint, err)
			}
			if got := fake.last(t).URL.Host; got != tc.host {
				t.Errorf("sent to %q, want %q", got, tc.host)
			}
			// A per-call endpoint elsewhere is still refused.
			_, err = ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("p"), Value: aws.String("v")},
				func(o *ssm.Options) { o.BaseEndpoint = aws.String("https://ssm.eu-central-1.amazonaws.com") })
			if !errors.Is(err, credentials.ErrNotEmulator) {
				t.Errorf("per-call AWS endpoint: %v", err)
			}
			if fake.count() != 1 {
				t.Errorf("sent %d requests, want 1", fake.count())
			}
		})
	}
}

func TestLoadTargetRegion(t *testing.T) {
	isolateEnv(t)
	cfg, _, err := loadTarget(t, credentials.Target{Region: "us-east-1"}, "eu-central-1")
	if err != nil || cfg.Region != "us-east-1" {
		t.Errorf("Region = %q, %v; want the target's own", cfg.Region, err)
	}
	cfg, _, err = loadTarget(t, credentials.Target{Region: "us-east-1"}, "")
	if err != nil || cfg.Region != "us-east-1" {
		t.Errorf("Region = %q, %v; want the target's own without a source region", cfg.Region, err)
	}
}

func TestLoadTargetSessionToken(t *testing.T) {
	isolateEnv(t)
	cfg, _, err := loadTarget(t, credentials.Target{AccessKeyID: "111111111111", SecretAccessKey: "s", SessionToken: "tok"}, "eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.SessionToken != "tok" {
		t.Errorf("SessionToken = %q, %v", creds.SessionToken, err)
	}
}

func TestLoadTargetProfile(t *testing.T) {
	configFile, credentialsFile := isolateEnv(t)
	writeFile(t, configFile, "[profile tgt]\nregion = us-east-2\n")
	writeFile(t, credentialsFile, "[tgt]\naws_access_key_id = AKIATARGETPROFILE\naws_secret_access_key = tgt-profile-secret\n")
	ctx := context.Background()
	cfg, fake, err := loadTarget(t, credentials.Target{Profile: "tgt", EndpointURL: "http://127.0.0.1:4566"}, "eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "AKIATARGETPROFILE" {
		t.Errorf("credentials = %q, %v; want the profile's", creds.AccessKeyID, err)
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("Region = %q: the source region (an explicit option) wins over the profile's", cfg.Region)
	}
	if err := getParameters(ctx, ssm.NewFromConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	if got := accessKeyOf(fake.last(t)); got != "AKIATARGETPROFILE" {
		t.Errorf("signed with %q", got)
	}
	// An account id takes precedence over the profile.
	cfg, _, err = loadTarget(t, credentials.Target{Profile: "tgt", AccountID: "111111111111"}, "eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	if creds, _ := cfg.Credentials.Retrieve(ctx); creds.AccessKeyID != "111111111111" {
		t.Errorf("credentials = %q, want the account id", creds.AccessKeyID)
	}
}

func TestTargetFromEnv(t *testing.T) {
	isolateEnv(t)
	t.Setenv("TARGET_ACCESS_KEY_ID", "111111111111")
	t.Setenv("TARGET_SECRET_ACCESS_KEY", "tgt-secret")
	t.Setenv("TARGET_SESSION_TOKEN", "tgt-token")
	t.Setenv("TARGET_DEFAULT_REGION", "us-east-1")
	t.Setenv("TARGET_ENDPOINT_URL", "http://emulator.internal:4566")
	t.Setenv("TARGET_PROFILE", "tp")
	t.Setenv("TARGET_ACCOUNT_ID", "111111111111")
	t.Setenv("TARGET_EMULATOR_HOSTS", " emulator.internal , ,other.internal:4566,")
	want := credentials.Target{
		AccountID: "111111111111", AccessKeyID: "111111111111", SecretAccessKey: "tgt-secret", SessionToken: "tgt-token",
		Region: "us-east-1", EndpointURL: "http://emulator.internal:4566", Profile: "tp",
		EmulatorHosts: []string{"emulator.internal", "other.internal:4566"},
	}
	got := credentials.TargetFromEnv()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TargetFromEnv (-want +got):\n%s", diff)
	}
	// The hosts it reads are honoured by LoadTarget.
	t.Setenv("TARGET_PROFILE", "")
	if _, _, err := loadTarget(t, credentials.TargetFromEnv(), ""); err != nil {
		t.Errorf("LoadTarget(TargetFromEnv()): %v", err)
	}
}

func TestTargetFromEnvEmpty(t *testing.T) {
	isolateEnv(t)
	got := credentials.TargetFromEnv()
	if diff := cmp.Diff(credentials.Target{}, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("TargetFromEnv with nothing set (-want +got):\n%s", diff)
	}
	if got.Account() != credentials.DefaultTargetAccountID {
		t.Errorf("Account() = %q", got.Account())
	}
}

func TestTargetMerge(t *testing.T) {
	fakeA, fakeB := &fakeHTTP{}, &fakeHTTP{}
	env := credentials.Target{
		AccountID: "111111111111", AccessKeyID: "envkey", SecretAccessKey: "envsecret", SessionToken: "envtoken",
		Region: "us-east-1", EndpointURL: "http://127.0.0.1:4566", Profile: "envprofile",
		EmulatorHosts: []string{"env.internal"}, HTTPClient: fakeB,
	}
	for _, tc := range []struct {
		name string
		t    credentials.Target
		want credentials.Target
	}{
		{name: "empty takes everything", t: credentials.Target{}, want: env},
		{
			name: "fields override",
			t:    credentials.Target{AccountID: "222222222222", Region: "eu-west-1", EndpointURL: "http://127.0.0.1:1", Profile: "p", EmulatorHosts: []string{"req.internal"}, HTTPClient: fakeA},
			want: credentials.Target{AccountID: "222222222222", AccessKeyID: "envkey", SecretAccessKey: "envsecret", SessionToken: "envtoken",
				Region: "eu-west-1", EndpointURL: "http://127.0.0.1:1", Profile: "p", EmulatorHosts: []string{"req.internal", "env.internal"}, HTTPClient: fakeA},
		},
		{
			name: "credentials are taken as a whole",
			t:    credentials.Target{AccessKeyID: "333333333333", SecretAccessKey: "reqsecret"},
			want: credentials.Target{AccountID: "111111111111", AccessKeyID: "333333333333", SecretAccessKey: "reqsecret",
				Region: "us-east-1", EndpointURL: "http://127.0.0.1:4566", Profile: "envprofile", EmulatorHosts: []string{"env.internal"}, HTTPClient: fakeB},
		},
		{
			name: "a secret alone keeps the request's (partial) credentials",
			t:    credentials.Target{SecretAccessKey: "reqsecret"},
			want: credentials.Target{AccountID: "111111111111", SecretAccessKey: "reqsecret",
				Region: "us-east-1", EndpointURL: "http://127.0.0.1:4566", Profile: "envprofile", EmulatorHosts: []string{"env.internal"}, HTTPClient: fakeB},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.t.Merge(env)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b *fakeHTTP) bool { return a == b })); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
	// Merge does not share the hosts slice with either side.
	req := credentials.Target{EmulatorHosts: make([]string, 1, 10)}
	req.EmulatorHosts[0] = "a"
	merged := req.Merge(env)
	merged.EmulatorHosts[0] = "changed"
	if req.EmulatorHosts[0] != "a" || env.EmulatorHosts[0] != "env.internal" {
		t.Errorf("Merge shares its EmulatorHosts slice")
	}
	// Merging with the zero Target changes nothing.
	if diff := cmp.Diff(env, env.Merge(credentials.Target{}), cmp.Comparer(func(a, b *fakeHTTP) bool { return a == b })); diff != "" {
		t.Errorf("Merge(zero) (-want +got):\n%s", diff)
	}
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"000000000000": true, "111111111111": true, "123456789012": true,
		"": false, "12345678901": false, "1234567890123": false, "12345678901a": false,
		" 123456789012": false, "123456789012\n": false, "aws": false, "１２３４５６７８９０１２": false,
	} {
		if got := credentials.IsAccountID(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, want %v", s, got, want)
		}
	}
}

// Without an HTTPClient of the caller's, both configurations keep enough
// idle connections per host for a job's concurrent calls (the SDK keeps
// 10), and a CA bundle from the environment still applies.
func TestDefaultHTTPClientKeepsConnections(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
	if _, err := os.Stat("/etc/ssl/certs/ca-certificates.crt"); err != nil {
		t.Setenv("AWS_CA_BUNDLE", "")
	}
	ctx := context.Background()
	src, err := credentials.LoadSource(ctx, credentials.Source{AccessKeyID: srcKey, SecretAccessKey: srcSecret, Region: "eu-central-1"})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := credentials.LoadTarget(ctx, credentials.Target{}, "eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]aws.Config{"source": src, "target": tgt} {
		c, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			t.Fatalf("%s HTTPClient is %T, want *http.BuildableClient", name, cfg.HTTPClient)
		}
		if n := c.GetTransport().MaxIdleConnsPerHost; n < 64 {
			t.Errorf("%s keeps %d idle connections per host, want at least 64", name, n)
		}
	}
}
