package kms_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/resources/kms"
	"github.com/awsreplicator/awsreplicator/resources/ssm"
)

// Replicating a SecureString encrypted with a customer-managed key copies
// the key first, as a dependency, whether the parameter names the key by
// alias or by KeyId.
func TestSecureStringParameterBringsItsKey(t *testing.T) {
	const paramName, value = "/shared/db/password", "s3cr3t-Pa55w0rd!"
	for name, byAlias := range map[string]bool{"by-alias": true, "by-key-id": false} {
		t.Run(name, func(t *testing.T) {
			testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
				c, spec, r := setup(t, tgt, fixture.SourceAccount, ssm.Register)
				ctx := context.Background()
				srcSSM := awsssm.NewFromConfig(fixture.Seeder(env.Source.URL()))
				tgtSSM := awsssm.NewFromConfig(fixture.Reader(ctx, t, tgt.URL(), fixture.SourceAccount))

				srcKeyID, srcKeyARN := seed(t, c.src, teamKey)
				keyRef := "alias/team-key"
				if !byAlias {
					keyRef = srcKeyID
				}
				if _, err := srcSSM.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(paramName), Type: ssmtypes.ParameterTypeSecureString,
					Value: aws.String(value), KeyId: aws.String(keyRef)}); err != nil {
					t.Fatal(err)
				}

				spec.ReplicationType, spec.ExploreStrategy = job.SingleResource, job.Simple
				spec.ResourceType, spec.Identifier = ssm.TypeName, paramName
				st := run(t, r, spec)
				mustSucceed(t, st)

				if len(st.Resources.Succeeded) != 2 {
					t.Fatalf("%d succeeded outcomes, want the key and the parameter:\n%s", len(st.Resources.Succeeded), dump(st))
				}
				keyOut, paramOut := st.Resources.Succeeded[0], st.Resources.Succeeded[1]
				if keyOut.ResourceType != kms.TypeName || keyOut.ResourceIdentifier != srcKeyID || keyOut.ResourceARN != srcKeyARN || !keyOut.Dependency {
					t.Errorf("first outcome %+v, want the key %s replicated first as a dependency", keyOut, srcKeyID)
				}
				if tgt.IsLocalStack() && (keyOut.Identity != job.IdentitySame || keyOut.TargetIdentifier != srcKeyID || keyOut.TargetARN != srcKeyARN) {
					// LocalStack keeps the KeyId (_custom_id_), and in the
					// source account the ARN with it.
					t.Errorf("key outcome %+v, want identity same with the source id %s and ARN %s", keyOut, srcKeyID, srcKeyARN)
				}
				if paramOut.ResourceType != ssm.TypeName || paramOut.ResourceIdentifier != paramName || paramOut.Dependency {
					t.Errorf("second outcome %+v, want the parameter %s (not a dependency)", paramOut, paramName)
				}

				// The alias the parameter may name now leads to the copy.
				d, err := c.tgt.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/team-key")})
				if err != nil {
					t.Fatalf("alias/team-key in the target: %v", err)
				}
				if got := aws.ToString(d.KeyMetadata.KeyId); got != keyOut.TargetIdentifier {
					t.Errorf("alias/team-key in the target points at %s, want the copy %s", got, keyOut.TargetIdentifier)
				}
				if _, _, marker, _ := read(t, c.tgt, keyOut.TargetIdentifier); marker != srcKeyID {
					t.Errorf("copy tagged with source key %q, want %s", marker, srcKeyID)
				}

				got, err := tgtSSM.GetParameters(ctx, &awsssm.GetParametersInput{Names: []string{paramName}, WithDecryption: aws.Bool(true)})
				if err != nil || len(got.Parameters) != 1 {
					t.Fatalf("parameter in the target: %v (%d found)", err, len(got.Parameters))
				}
				if p := got.Parameters[0]; p.Type != ssmtypes.ParameterTypeSecureString || aws.ToString(p.Value) != value {
					t.Errorf("target parameter is %s with a different value, want SecureString with the source value", p.Type)
				}
				md, err := tgtSSM.DescribeParameters(ctx, &awsssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
					{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{paramName}}}})
				if err != nil || len(md.Parameters) != 1 {
					t.Fatalf("describing the target parameter: %v", err)
				}
				tgtKeyRef := aws.ToString(md.Parameters[0].KeyId)
				if byAlias && tgtKeyRef != "alias/team-key" {
					t.Errorf("target parameter's key is %q, want alias/team-key", tgtKeyRef)
				}
				if !byAlias && tgtKeyRef != keyOut.TargetIdentifier {
					// moto gives the copy a new id: the parameter must name the
					// copy, not the source key (on LocalStack the copy has the
					// source KeyId, checked above).
					t.Errorf("target parameter names key %q, want the copy %s", tgtKeyRef, keyOut.TargetIdentifier)
				}
			})
		})
	}
}
