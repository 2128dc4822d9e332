package credentials_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/awsreplicator/awsreplicator/credentials"
)

func TestIsReadOperation(t *testing.T) {
	for _, tc := range []struct {
		op    string
		extra []string
		want  bool
	}{
		{op: "DescribeVpcs", want: true},
		{op: "GetParameters", want: true},
		{op: "GetCallerIdentity", want: true},
		{op: "ListTagsForResource", want: true},
		{op: "BatchGetSecretValue", want: true},
		{op: "HeadBucket", want: true},
		{op: "PutParameter", want: false},
		{op: "CreateVpc", want: false},
		{op: "DeleteParameter", want: false},
		{op: "UpdateSecret", want: false},
		{op: "TagResource", want: false},
		{op: "BatchDeleteItem", want: false},
		{op: "BatchWriteItem", want: false},
		{op: "AssumeRole", want: false},
		{op: "ReceiveMessage", want: false}, // changes visibility: not a read
		// A prefix alone is not an operation.
		{op: "Get", want: false},
		{op: "Describe", want: false},
		{op: "List", want: false},
		{op: "BatchGet", want: false},
		{op: "Head", want: false},
		{op: "", want: false},
		// Operation names are case-sensitive, as the SDK spells them.
		{op: "getParameters", want: false},
		{op: "describeVpcs", want: false},
		// Reads whose names do not say so, allowed explicitly.
		{op: "BatchCheckLayerAvailability", want: false},
		{op: "BatchCheckLayerAvailability", extra: []string{"BatchCheckLayerAvailability"}, want: true},
		{op: "PutParameter", extra: []string{"BatchCheckLayerAvailability"}, want: false},
		{op: "Put", extra: []string{"PutParameter"}, want: false},
	} {
		if got := credentials.IsReadOperation(tc.op, tc.extra...); got != tc.want {
			t.Errorf("IsReadOperation(%q, %q) = %v, want %v", tc.op, tc.extra, got, tc.want)
		}
	}
}

func TestIsEmulatorHost(t *testing.T) {
	for _, tc := range []struct {
		host     string
		declared []string
		want     bool
	}{
		{host: "127.0.0.1:4566", want: true},
		{host: "127.0.0.1", want: true},
		{host: "127.1.2.3:4566", want: true},
		{host: "[::1]:4566", want: true},
		{host: "[::1]", want: true},
		{host: "::1", want: true},
		{host: "localhost", want: true},
		{host: "localhost:4566", want: true},
		{host: "LOCALHOST.localstack.cloud:4566", want: true},
		{host: "localhost.localstack.cloud", want: true},
		{host: "localhost.localstack.cloud.:4566", want: true},
		{host: "s3.localhost.localstack.cloud", want: true},
		{host: "bucket.s3.localhost.localstack.cloud:4566", want: true},
		{host: "api.localhost", want: true},
		{host: "emulator.internal:4566", declared: []string{"emulator.internal"}, want: true},
		{host: "emulator.internal", declared: []string{"emulator.internal"}, want: true},
		{host: "emulator.internal:4566", declared: []string{"emulator.internal:4566"}, want: true},
		{host: "EMULATOR.internal:4566", declared: []string{"emulator.INTERNAL:4566"}, want: true},
		{host: "emulator.internal:9999", declared: []string{"emulator.internal:4566"}, want: false},
		{host: "emulator.internal", declared: []string{"emulator.internal:4566"}, want: false},
		{host: "emulator.internal:4566", want: false},
		{host: "10.0.0.5:4566", declared: []string{"10.0.0.5"}, want: true},
		{host: "ssm.eu-central-1.amazonaws.com", want: false},
		{host: "ssm.eu-central-1.amazonaws.com:443", want: false},
		{host: "ssm.eu-central-1.amazonaws.com", declared: []string{"emulator.internal"}, want: false},
		{host: "169.254.169.254", want: false},
		{host: "169.254.169.254:80", want: false},
		{host: "10.0.0.1", want: false},
		{host: "0.0.0.0:4566", want: false},
		{host: "[fd00::1]:4566", want: false},
		{host: "localhost.evil.com", want: false},
		{host: "localhost.localstack.cloud.evil.com", want: false},
		{host: "evil-localhost", want: false},
		{host: "evillocalhost.localstack.cloud", want: false},
		{host: "", want: false},
	} {
		if got := credentials.IsEmulatorHost(tc.host, tc.declared...); got != tc.want {
			t.Errorf("IsEmulatorHost(%q, %q) = %v, want %v", tc.host, tc.declared, got, tc.want)
		}
	}
}

// countingCredentials counts how often the SDK asks for credentials: a
// request refused before signing never does.
type countingCredentials struct{ n atomic.Int32 }

func (c *countingCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	c.n.Add(1)
	return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}, nil
}

// guardedConfig is an aws.Config whose requests go to fake and whose
// clients carry opts.
func guardedConfig(fake *fakeHTTP, endpoint string, opts ...func(*middleware.Stack) error) (aws.Config, *countingCredentials) {
	creds := &countingCredentials{}
	cfg := aws.Config{
		Region:      "eu-central-1",
		Credentials: creds,
		HTTPClient:  fake,
		APIOptions:  opts,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, creds
}

func putParameter(ctx context.Context, c *ssm.Client) error {
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("p"), Value: aws.String("v")})
	return err
}

func getParameters(ctx context.Context, c *ssm.Client) error {
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"p"}})
	if err == nil && (len(out.Parameters) != 1 || aws.ToString(out.Parameters[0].Value) != "v") {
		return errors.New("unexpected GetParameters output")
	}
	return err
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	fake := &fakeHTTP{}
	cfg, creds := guardedConfig(fake, "http://127.0.0.1:4566", credentials.ReadOnly())
	client := ssm.NewFromConfig(cfg)

	err := putParameter(ctx, client)
	if !errors.Is(err, credentials.ErrNotReadOnly) {
		t.Fatalf("PutParameter err = %v, want ErrNotReadOnly", err)
	}
	for _, want := range []string{"SSM", "PutParameter"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if n := fake.count(); n != 0 {
		t.Fatalf("a refused write sent %d requests", n)
	}
	if n := creds.n.Load(); n != 0 {
		t.Errorf("a refused write retrieved credentials %d times: it must be refused before signing", n)
	}

	if err := getParameters(ctx, client); err != nil {
		t.Fatalf("GetParameters through ReadOnly: %v", err)
	}
	if n := fake.count(); n != 1 {
		t.Errorf("GetParameters sent %d requests, want 1", n)
	}
	if got := fake.last(t).Header.Get("X-Amz-Target"); got != "AmazonSSM.GetParameters" {
		t.Errorf("sent %q", got)
	}

	// sts:GetCallerIdentity is the connection test: a read.
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity through ReadOnly: %v", err)
	}
}

func TestReadOnlyPerCallOptions(t *testing.T) {
	// The guard also holds when it is added for one call only.
	ctx := context.Background()
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "http://127.0.0.1:4566")
	client := ssm.NewFromConfig(cfg)
	_, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("p"), Value: aws.String("v")},
		func(o *ssm.Options) { o.APIOptions = append(o.APIOptions, credentials.ReadOnly()) })
	if !errors.Is(err, credentials.ErrNotReadOnly) || fake.count() != 0 {
		t.Errorf("per-call ReadOnly: err = %v, %d requests", err, fake.count())
	}

}

func TestReadOnlyExtra(t *testing.T) {
	ctx := context.Background()
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "http://127.0.0.1:4566", credentials.ReadOnly("PutParameter"))
	if err := putParameter(ctx, ssm.NewFromConfig(cfg)); err != nil {
		t.Fatalf("PutParameter declared as a read: %v", err)
	}
	if fake.count() != 1 {
		t.Errorf("sent %d requests, want 1", fake.count())
	}
}

func TestReadOnlyTwice(t *testing.T) {
	ctx := context.Background()
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "http://127.0.0.1:4566", credentials.ReadOnly(), credentials.ReadOnly())
	client := ssm.NewFromConfig(cfg)
	if err := getParameters(ctx, client); err != nil {
		t.Fatalf("GetParameters with ReadOnly added twice: %v", err)
	}
	if err := putParameter(ctx, client); !errors.Is(err, credentials.ErrNotReadOnly) {
		t.Errorf("PutParameter with ReadOnly added twice: %v", err)
	}
	if fake.count() != 1 {
		t.Errorf("sent %d requests, want 1", fake.count())
	}
}

func TestEmulatorOnly(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		endpoint string
		declared []string
		allowed  bool
	}{
		{name: "loopback", endpoint: "http://127.0.0.1:4566", allowed: true},
		{name: "ipv6 loopback", endpoint: "http://[::1]:4566", allowed: true},
		{name: "localstack", endpoint: "http://localhost.localstack.cloud:4566", allowed: true},
		{name: "aws endpoint", endpoint: "https://ssm.eu-central-1.amazonaws.com"},
		{name: "default aws endpoint", endpoint: ""},
		{name: "imds address", endpoint: "http://169.254.169.254"},
		{name: "private address", endpoint: "http://10.0.0.1:4566"},
		{name: "declared host", endpoint: "http://emulator.internal:4566", declared: []string{"emulator.internal"}, allowed: true},
		{name: "declared host:port", endpoint: "http://emulator.internal:4566", declared: []string{"emulator.internal:4566"}, allowed: true},
		{name: "declared other port", endpoint: "http://emulator.internal:4567", declared: []string{"emulator.internal:4566"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeHTTP{}
			cfg, _ := guardedConfig(fake, tc.endpoint, credentials.EmulatorOnly(tc.declared...))
			client := ssm.NewFromConfig(cfg)
			// Writes and reads alike: the target guard is about where, not what.
			for _, call := range []func(context.Context, *ssm.Client) error{putParameter, getParameters} {
				err := call(ctx, client)
				if tc.allowed {
					if err != nil {
						t.Errorf("call to %s: %v", tc.endpoint, err)
					}
					continue
				}
				if !errors.Is(err, credentials.ErrNotEmulator) {
					t.Errorf("call to %q: err = %v, want ErrNotEmulator", tc.endpoint, err)
				}
			}
			want := 0
			if tc.allowed {
				want = 2
			}
			if n := fake.count(); n != want {
				t.Errorf("sent %d requests, want %d", n, want)
			}
		})
	}
}

func TestEmulatorOnlyErrorNamesHost(t *testing.T) {
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "https://ssm.eu-central-1.amazonaws.com", credentials.EmulatorOnly())
	err := putParameter(context.Background(), ssm.NewFromConfig(cfg))
	for _, want := range []string{"ssm.eu-central-1.amazonaws.com", "PutParameter", "EmulatorHosts"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestEmulatorOnlyPerCallEndpoint(t *testing.T) {
	// A per-call endpoint override cannot escape the guard.
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "http://127.0.0.1:4566", credentials.EmulatorOnly())
	_, err := ssm.NewFromConfig(cfg).PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("p"), Value: aws.String("v")},
		func(o *ssm.Options) { o.BaseEndpoint = aws.String("https://ssm.us-east-1.amazonaws.com") })
	if !errors.Is(err, credentials.ErrNotEmulator) || fake.count() != 0 {
		t.Errorf("per-call endpoint: err = %v, %d requests", err, fake.count())
	}
}

func TestEmulatorOnlyTwice(t *testing.T) {
	// The first guard wins: the runner adds EmulatorOnly() to whatever it is
	// given, which must keep hosts declared by LoadTarget.
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "http://emulator.internal:4566",
		credentials.EmulatorOnly("emulator.internal"), credentials.EmulatorOnly())
	if err := getParameters(context.Background(), ssm.NewFromConfig(cfg)); err != nil {
		t.Fatalf("declared host after a second EmulatorOnly: %v", err)
	}
	cfg, _ = guardedConfig(fake, "https://ssm.eu-central-1.amazonaws.com", credentials.EmulatorOnly(), credentials.EmulatorOnly())
	if err := getParameters(context.Background(), ssm.NewFromConfig(cfg)); !errors.Is(err, credentials.ErrNotEmulator) {
		t.Errorf("EmulatorOnly twice to AWS: %v", err)
	}
	if fake.count() != 1 {
		t.Errorf("sent %d requests, want 1", fake.count())
	}
}

func TestGuardsTogether(t *testing.T) {
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "http://127.0.0.1:4566", credentials.ReadOnly(), credentials.EmulatorOnly())
	client := ssm.NewFromConfig(cfg)
	if err := getParameters(context.Background(), client); err != nil {
		t.Errorf("read to loopback: %v", err)
	}
	if err := putParameter(context.Background(), client); !errors.Is(err, credentials.ErrNotReadOnly) {
		t.Errorf("write to loopback through ReadOnly: %v", err)
	}
}

func TestAccountHeader(t *testing.T) {
	fake := &fakeHTTP{}
	cfg, _ := guardedConfig(fake, "http://127.0.0.1:4566", credentials.AccountHeader("222222222222"))
	if err := getParameters(context.Background(), ssm.NewFromConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	r := fake.last(t)
	if got := r.Header.Get("x-moto-account-id"); got != "222222222222" {
		t.Errorf("x-moto-account-id = %q, want 222222222222", got)
	}
	// The header is set before signing, so it is part of the signed request.
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if got := fake.last(t).Header.Get("X-Moto-Account-Id"); got != "222222222222" {
		t.Errorf("sts x-moto-account-id = %q", got)
	}

	// Without the option there is no header.
	plain, _ := guardedConfig(fake, "http://127.0.0.1:4566")
	if err := getParameters(context.Background(), ssm.NewFromConfig(plain)); err != nil {
		t.Fatal(err)
	}
	if got := fake.last(t).Header.Values("x-moto-account-id"); len(got) != 0 {
		t.Errorf("unexpected x-moto-account-id %q", got)
	}
}
