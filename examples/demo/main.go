// Command demo shows a replication end to end with no AWS account: it
// starts two local moto server processes, one playing a real AWS account
// (111111111111, eu-central-1) that holds shared resources owned by
// another team, the other playing LocalStack; it replicates those
// resources with the same identifiers and ARNs, reads them back from the
// target, and stops both servers.
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

	if err := seed(ctx, fixture.Seeder(env.Source.URL())); err != nil {
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
	start := time.Now()
	st, err := runner.Run(ctx, replicator.Spec{
		ReplicationType: job.Batch,
		ResourceType:    ssm.TypeName,
		Identifier:      "/shared/",
		Source:          src,
		Target:          tgt,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "job %s ended %s in %v\n\n", st.JobID, st.State, time.Since(start).Round(time.Millisecond))

	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE ARN\tTARGET ARN\tIDENTITY")
	for _, o := range st.Resources.Succeeded {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", o.ResourceARN, o.TargetARN, o.Identity)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if st.State != job.StateSucceeded {
		return fmt.Errorf("the job ended in %s", st.State)
	}
	return nil
}

// seed creates the shared resources another team owns in "AWS".
func seed(ctx context.Context, cfg aws.Config) error {
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
