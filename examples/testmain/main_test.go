package testmain

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
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

// The ARNs and ids production uses; in a real project they come from the
// application's configuration.
var (
	hostARN   = "arn:aws:ssm:eu-central-1:111111111111:parameter/shared/db/host"
	secretARN string // AWS's random suffix: learnt when the example seeds its "AWS"
	vpcID     string // the network team's VPC, likewise
)

// targetIDs maps a source id to the id the target gave it: the same id on
// LocalStack, which keeps EC2 ids; a new one on moto, which does not.
var targetIDs = map[string]string{}

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
	if secretARN, vpcID, err = seedAWS(ctx, fixture.Seeder(env.Source.URL())); err != nil {
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
// the database secret by ARN, and the VPC with its subnets and security
// groups (TREE). Existing copies are fine (skipped), so it can run against
// a long-lived LocalStack too.
func replicateShared(ctx context.Context, src, tgt aws.Config) error {
	runner, err := replicator.NewRunner(resources.NewRegistry())
	if err != nil {
		return err
	}
	for _, spec := range []replicator.Spec{
		{ReplicationType: job.Batch, ResourceType: "AWS::SSM::Parameter", Identifier: "/shared/"},
		{ARN: secretARN},
		{ResourceType: "AWS::EC2::VPC", Identifier: vpcID, ExploreStrategy: job.Tree},
	} {
		spec.Source, spec.Target, spec.IgnoreAlreadyExisting = src, tgt, true
		st, err := runner.Run(ctx, spec)
		if err != nil {
			return err
		}
		if st.State != job.StateSucceeded {
			return fmt.Errorf("job %s: %s", st.State, *st.ErrorMessage)
		}
		for _, o := range st.Resources.Succeeded {
			targetIDs[o.ResourceIdentifier] = o.TargetIdentifier
		}
	}
	return nil
}

// seedAWS plays the teams that own the shared resources in AWS.
func seedAWS(ctx context.Context, cfg aws.Config) (secret, vpc string, err error) {
	if _, err := awsssm.NewFromConfig(cfg).PutParameter(ctx, &awsssm.PutParameterInput{
		Name: aws.String("/shared/db/host"), Type: ssmtypes.ParameterTypeString, Value: aws.String("db.internal:5432")}); err != nil {
		return "", "", err
	}
	out, err := awssm.NewFromConfig(cfg).CreateSecret(ctx, &awssm.CreateSecretInput{
		Name: aws.String("shared/db/password"), SecretString: aws.String("example-password")})
	if err != nil {
		return "", "", err
	}
	ec2c := awsec2.NewFromConfig(cfg)
	v, err := ec2c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		return "", "", err
	}
	if _, err := ec2c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.20.1.0/24"),
		AvailabilityZone: aws.String("eu-central-1a")}); err != nil {
		return "", "", err
	}
	return aws.ToString(out.ARN), aws.ToString(v.Vpc.VpcId), nil
}

// Code that places resources in the shared network finds it in the target:
// under its production id on LocalStack, under the mapped id elsewhere.
func TestTheSharedNetworkIsThere(t *testing.T) {
	ctx := context.Background()
	id, ok := targetIDs[vpcID]
	if !ok {
		t.Fatalf("the VPC %s was not replicated", vpcID)
	}
	subnets, err := awsec2.NewFromConfig(target).DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{id}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(subnets.Subnets) != 1 || aws.ToString(subnets.Subnets[0].CidrBlock) != "10.20.1.0/24" ||
		aws.ToString(subnets.Subnets[0].AvailabilityZone) != "eu-central-1a" {
		t.Errorf("subnets of the replicated VPC %s: %+v", id, subnets.Subnets)
	}
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
