package testmain

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources"
)

// The ARNs production uses; in a real project they come from the
// application's configuration.
var (
	hostARN   = "arn:aws:ssm:eu-central-1:111111111111:parameter/shared/db/host"
	secretARN string // AWS's random suffix: learnt when the example seeds its "AWS"
)

// target is the emulator configuration the tests use.
var target aws.Config

// TestMain replicates the shared resources before any test runs.
//
// In a real project, the source is your AWS account and the target your
// LocalStack, and the whole fixture is:
//
//	src, err := credentials.LoadSource(ctx, credentials.SourceFromEnv())
//	tgt, err := credentials.LoadTarget(ctx, credentials.Target{AccountID: "111111111111"}, src.Region)
//	replicateShared(ctx, src, tgt)
//
// This example has no AWS account, so it starts two local emulators (one
// playing AWS) and seeds the "AWS" one first.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := testenv.MotoAvailable(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if os.Getenv("CI") != "" {
			return 1
		}
		return 0 // nothing to test against; go test shows the package ran no tests
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env, err := testenv.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer env.Close()
	if secretARN, err = seedAWS(ctx, fixture.Seeder(env.Source.URL())); err != nil {
		fmt.Fprintln(os.Stderr, "seeding:", err)
		return 1
	}

	src, err := credentials.LoadSource(ctx, fixture.Source(env.Source.URL()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	target, err = credentials.LoadTarget(ctx, credentials.Target{EndpointURL: env.Target.URL(), AccountID: fixture.SourceAccount}, src.Region)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := replicateShared(ctx, src, target); err != nil {
		fmt.Fprintln(os.Stderr, "replicating shared resources:", err)
		return 1
	}
	return m.Run()
}

// replicateShared is the fixture proper: every parameter under /shared/,
// and the database secret, by ARN. Existing copies are fine (skipped), so
// it can run against a long-lived LocalStack too.
func replicateShared(ctx context.Context, src, tgt aws.Config) error {
	runner, err := replicator.NewRunner(resources.NewRegistry())
	if err != nil {
		return err
	}
	for _, spec := range []replicator.Spec{
		{ReplicationType: job.Batch, ResourceType: "AWS::SSM::Parameter", Identifier: "/shared/"},
		{ARN: secretARN},
	} {
		spec.Source, spec.Target, spec.IgnoreAlreadyExisting = src, tgt, true
		st, err := runner.Run(ctx, spec)
		if err != nil {
			return err
		}
		if st.State != job.StateSucceeded {
			return fmt.Errorf("job %s: %s", st.State, *st.ErrorMessage)
		}
	}
	return nil
}

// seedAWS plays the team that owns the shared resources in AWS.
func seedAWS(ctx context.Context, cfg aws.Config) (string, error) {
	if _, err := awsssm.NewFromConfig(cfg).PutParameter(ctx, &awsssm.PutParameterInput{
		Name: aws.String("/shared/db/host"), Type: ssmtypes.ParameterTypeString, Value: aws.String("db.internal:5432")}); err != nil {
		return "", err
	}
	out, err := awssm.NewFromConfig(cfg).CreateSecret(ctx, &awssm.CreateSecretInput{
		Name: aws.String("shared/db/password"), SecretString: aws.String("example-password")})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ARN), nil
}

// The code under test runs against the emulator with production's ARNs.
func TestLoadConfigUsesTheSharedResourcesByARN(t *testing.T) {
	got, err := LoadConfig(context.Background(), target, hostARN, secretARN)
	if err != nil {
		t.Fatal(err)
	}
	if got.DBHost != "db.internal:5432" {
		t.Errorf("DBHost = %q, want db.internal:5432", got.DBHost)
	}
	if got.DBPassword != "example-password" {
		t.Error("DBPassword is not the secret's value") // never print a secret
	}
}
