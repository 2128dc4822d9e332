// Command demo shows a replication end to end with no AWS account: it
// starts two local moto server processes, one playing a real AWS account
// (111111111111, eu-central-1) that holds shared resources owned by other
// teams (SSM parameters, a secret, a VPC with subnets and a security
// group), the other playing LocalStack; it replicates those resources with
// the same identifiers and ARNs (where the target can keep them), reads
// them back from the target, and stops both servers.
//
//	./scripts/demo          # installs moto into .venv if needed, then runs this
//	go run ./examples/demo  # when moto is already installed
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
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
	"github.com/awsreplicator/awsreplicator/resources/ssm"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stdout, stderr io.Writer) error {
	if err := testenv.MotoAvailable(); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "starting two moto servers on loopback: one plays AWS, one plays LocalStack...")
	env, err := testenv.Start(ctx)
	if err != nil {
		return err
	}
	defer env.Close()

	secretARN, vpcID, err := seed(ctx, fixture.Seeder(env.Source.URL()))
	if err != nil {
		return fmt.Errorf("seeding the source: %w", err)
	}

	// What a user writes: a source (their AWS credentials), a target (the
	// emulator, here in the source's own account so ARNs are identical),
	// and a job.
	src, err := credentials.LoadSource(ctx, fixture.Source(env.Source.URL()))
	if err != nil {
		return err
	}
	tgt, err := credentials.LoadTarget(ctx, credentials.Target{EndpointURL: env.Target.URL(), AccountID: fixture.SourceAccount}, src.Region)
	if err != nil {
		return err
	}
	runner, err := replicator.NewRunner(resources.NewRegistry())
	if err != nil {
		return err
	}
	// Three jobs: every parameter under a path (BATCH), a secret by its
	// ARN, and a VPC with its subnets and security groups (TREE).
	specs := []replicator.Spec{
		{ReplicationType: job.Batch, ResourceType: ssm.TypeName, Identifier: "/shared/"},
		{ARN: secretARN},
		{ResourceType: "AWS::EC2::VPC", Identifier: vpcID, ExploreStrategy: job.Tree},
	}
	var outcomes []job.Outcome
	for i, spec := range specs {
		spec.Source, spec.Target = src, tgt
		start := time.Now()
		st, err := runner.Run(ctx, spec)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "job %s ended %s in %v\n", st.JobID, st.State, time.Since(start).Round(time.Millisecond))
		if i == 0 { // the job document, as the HTTP API and the CLI print it
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(st); err != nil {
				return err
			}
			fmt.Fprintln(stdout)
		}
		if st.State != job.StateSucceeded {
			return fmt.Errorf("job %s ended in %s: %s", st.JobID, st.State, *st.ErrorMessage)
		}
		outcomes = append(outcomes, st.Resources.Succeeded...)
	}

	// moto keeps names and ARN suffixes but assigns its own EC2 ids; the
	// outcome says so ("different") and gives the target's id. LocalStack
	// keeps them all.
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tSOURCE\tTARGET\tIDENTITY")
	for _, o := range outcomes {
		srcID, tgtID := o.ResourceARN, o.TargetARN
		if srcID == "" || o.Identity == job.IdentityDifferent {
			srcID, tgtID = o.ResourceIdentifier, o.TargetIdentifier
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ResourceType, srcID, tgtID, o.Identity)
	}
	return tw.Flush()
}

// seed creates the shared resources other teams own in "AWS": parameters,
// a database secret, and a network.
func seed(ctx context.Context, cfg aws.Config) (secretARN, vpcID string, err error) {
	if err := seedParameters(ctx, cfg); err != nil {
		return "", "", err
	}
	sec, err := awssm.NewFromConfig(cfg).CreateSecret(ctx, &awssm.CreateSecretInput{
		Name: aws.String("shared/db/credentials"), SecretString: aws.String(`{"user":"app","password":"never-printed"}`)})
	if err != nil {
		return "", "", err
	}
	c := awsec2.NewFromConfig(cfg)
	vpc, err := c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")})
	if err != nil {
		return "", "", err
	}
	for i, az := range []string{"eu-central-1a", "eu-central-1b"} {
		if _, err := c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(az),
			CidrBlock: aws.String(fmt.Sprintf("10.40.%d.0/24", i+1))}); err != nil {
			return "", "", err
		}
	}
	web, err := c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web tier"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		return "", "", err
	}
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: web.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		return "", "", err
	}
	return aws.ToString(sec.ARN), aws.ToString(vpc.Vpc.VpcId), nil
}

func seedParameters(ctx context.Context, cfg aws.Config) error {
	c := awsssm.NewFromConfig(cfg)
	for _, p := range []awsssm.PutParameterInput{
		{Name: aws.String("/shared/network/vpc-id"), Type: ssmtypes.ParameterTypeString, Value: aws.String("vpc-0a1b2c3d4e5f60718"),
			Description: aws.String("VPC owned by the network team"), Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String("network")}}},
		{Name: aws.String("/shared/network/azs"), Type: ssmtypes.ParameterTypeStringList, Value: aws.String("eu-central-1a,eu-central-1b")},
		{Name: aws.String("/shared/db/password"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String("never-printed"),
			Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String("data")}}},
	} {
		if _, err := c.PutParameter(ctx, &p); err != nil {
			return err
		}
	}
	return nil
}
