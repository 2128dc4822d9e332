package resources_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/simulator"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/secretsmanager"
	"github.com/awsreplicator/awsreplicator/resources/ssm"
)

// With a fifth of the source calls answered by throttling errors, BATCH
// jobs still replicate every resource exactly once, and the job's
// statistics count exactly the throttled attempts the source answered.
func TestBatchJobsSurviveThrottling(t *testing.T) {
	if err := testenv.MotoAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	proxy, err := simulator.Start(simulator.Options{Upstream: env.Source.URL(), ThrottleFraction: 0.2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()

	seeder := fixture.Seeder(env.Source.URL())
	const params, secrets = 120, 40
	for i := range params {
		if _, err := awsssm.NewFromConfig(seeder).PutParameter(ctx, &awsssm.PutParameterInput{
			Name: aws.String(fmt.Sprintf("/throttled/p%03d", i)), Type: ssmtypes.ParameterTypeString, Value: aws.String("v"),
			Tags: []ssmtypes.Tag{{Key: aws.String("i"), Value: aws.String(fmt.Sprint(i))}}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range secrets {
		if _, err := awssm.NewFromConfig(seeder).CreateSecret(ctx, &awssm.CreateSecretInput{
			Name: aws.String(fmt.Sprintf("throttled/s%03d", i)), SecretString: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
	}
	src, err := credentials.LoadSource(ctx, fixture.Source(proxy.URL()))
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := credentials.LoadTarget(ctx, fixture.Target(env.Target.URL(), fixture.SourceAccount), fixture.Region)
	if err != nil {
		t.Fatal(err)
	}
	runner := fixture.Runner(t)
	tgtSSM, tgtSM := awsssm.NewFromConfig(tgt), awssm.NewFromConfig(tgt)
	for _, tc := range []struct {
		typ, filter string
		want        int
		count       func() (int, error)
	}{
		{ssm.TypeName, "/throttled/", params, func() (int, error) {
			n := 0
			pages := awsssm.NewDescribeParametersPaginator(tgtSSM, &awsssm.DescribeParametersInput{})
			for pages.HasMorePages() {
				p, err := pages.NextPage(ctx)
				if err != nil {
					return 0, err
				}
				n += len(p.Parameters)
			}
			return n, nil
		}},
		{secretsmanager.TypeName, `{"name":["throttled/"]}`, secrets, func() (int, error) {
			n := 0
			pages := awssm.NewListSecretsPaginator(tgtSM, &awssm.ListSecretsInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeAll, Values: []string{"throttled"}}}})
			for pages.HasMorePages() {
				p, err := pages.NextPage(ctx)
				if err != nil {
					return 0, err
				}
				n += len(p.SecretList)
			}
			return n, nil
		}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			proxy.ResetStats()
			st, err := runner.Run(ctx, replicator.Spec{ReplicationType: job.Batch, ResourceType: tc.typ, Identifier: tc.filter, Source: src, Target: tgt})
			if err != nil {
				t.Fatal(err)
			}
			if st.State != job.StateSucceeded || len(st.Resources.Succeeded) != tc.want {
				t.Fatalf("job %s with %d succeeded, %d failed (%v); want SUCCEEDED with %d", st.State,
					len(st.Resources.Succeeded), len(st.Resources.Failed), deref(st.ErrorMessage), tc.want)
			}
			if n, err := tc.count(); err != nil || n != tc.want {
				t.Errorf("the target holds %d, want exactly %d (%v)", n, tc.want, err)
			}
			throttled := proxy.Stats().TotalThrottled()
			if throttled == 0 || st.Statistics.SourceThrottled != throttled {
				t.Errorf("statistics count %d throttled source calls, the source throttled %d", st.Statistics.SourceThrottled, throttled)
			}
			t.Logf("%s: %d source calls, %d throttled and retried", tc.typ, st.Statistics.SourceCalls, st.Statistics.SourceThrottled)
		})
	}
}
