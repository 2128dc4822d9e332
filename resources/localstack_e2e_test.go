package resources_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/resources"
)

// lsEnv has the source (moto, playing AWS) and a real LocalStack as the
// target. (TestGeneratedPolicyIsMinimal starts its own servers.)
var lsEnv *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, &lsEnv, testenv.WithLocalStack("ssm", "kms", "secretsmanager", "ec2", "iam", "sts"))
}

// seeded is a resource made in the source: the identifier a job names it
// by, its ARN, and the id LocalStack must keep.
type seeded struct {
	identifier, arn, id string
}

// identityCase is a resource type whose identifier LocalStack keeps
// (REFERENCE.md section 3). Adding a type is adding one.
type identityCase struct {
	typ   string // CloudFormation type
	pkg   string // the adapter's package, named when it is not registered
	keeps string // what LocalStack keeps, and how
	// seed creates one resource in the source (in fixture.SourceAccount).
	seed func(ctx context.Context, t *testing.T, src aws.Config) seeded
	// read reads the copy of s from the target through cfg, independently
	// of the job, and returns its ARN and id as the target reports them; an
	// error when it is not there.
	read func(ctx context.Context, cfg aws.Config, s seeded) (arnStr, id string, err error)
}

// ec2ARN is the ARN of an EC2 resource (whose APIs mostly return no ARN).
func ec2ARN(account, resource, id string) string {
	return arn.ARN{Partition: "aws", Service: "ec2", Region: fixture.Region, AccountID: account, Resource: resource + "/" + id}.String()
}

// seedVPC creates a VPC in the source.
func seedVPC(ctx context.Context, t *testing.T, c *awsec2.Client, cidr string) string {
	t.Helper()
	out, err := c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String(cidr), TagSpecifications: []ec2types.TagSpecification{{
		ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("shared")}}}}})
	if err != nil {
		t.Fatalf("seeding a VPC: %v", err)
	}
	return aws.ToString(out.Vpc.VpcId)
}

var identityCases = []identityCase{
	{
		typ: "AWS::SSM::Parameter", pkg: "resources/ssm", keeps: "the name, so the ARN",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			c := awsssm.NewFromConfig(src)
			name := "/shared/ls/endpoint"
			if _, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String("https://api.internal"),
				Type: ssmtypes.ParameterTypeString, Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}); err != nil {
				t.Fatal(err)
			}
			out, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			return seeded{identifier: name, arn: aws.ToString(out.Parameter.ARN), id: name}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			out, err := awsssm.NewFromConfig(cfg).GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(s.id)})
			if err != nil {
				return "", "", err
			}
			return aws.ToString(out.Parameter.ARN), aws.ToString(out.Parameter.Name), nil
		},
	},
	{
		typ: "AWS::KMS::Key", pkg: "resources/kms", keeps: "the KeyId, via the _custom_id_ tag",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			c := awskms.NewFromConfig(src)
			k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("shared key")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/shared-ls"), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(k.KeyMetadata.KeyId)
			return seeded{identifier: id, arn: aws.ToString(k.KeyMetadata.Arn), id: id}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			out, err := awskms.NewFromConfig(cfg).DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(s.id)})
			if err != nil {
				return "", "", err
			}
			return aws.ToString(out.KeyMetadata.Arn), aws.ToString(out.KeyMetadata.KeyId), nil
		},
	},
	{
		typ: "AWS::SecretsManager::Secret", pkg: "resources/secretsmanager", keeps: "the 6-character ARN suffix, via the _custom_id_ tag",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			out, err := awssm.NewFromConfig(src).CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("shared/ls/db"), SecretString: aws.String("s3cr3t")})
			if err != nil {
				t.Fatal(err)
			}
			a := aws.ToString(out.ARN)
			return seeded{identifier: a, arn: a, id: a[len(a)-6:]}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			// By name: LocalStack finds a secret named by its full ARN
			// from any account (cross-account access).
			out, err := awssm.NewFromConfig(cfg).DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String("shared/ls/db")})
			if err != nil {
				return "", "", err
			}
			a := aws.ToString(out.ARN)
			return a, a[max(0, len(a)-6):], nil
		},
	},
	{
		typ: "AWS::EC2::VPC", pkg: "resources/ec2", keeps: "the VpcId, via the _custom_id_ tag",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			id := seedVPC(ctx, t, awsec2.NewFromConfig(src), "10.20.0.0/16")
			return seeded{identifier: id, arn: ec2ARN(fixture.SourceAccount, "vpc", id), id: id}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			out, err := awsec2.NewFromConfig(cfg).DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{VpcIds: []string{s.id}})
			if err != nil {
				return "", "", err
			}
			v := out.Vpcs[0]
			return ec2ARN(aws.ToString(v.OwnerId), "vpc", aws.ToString(v.VpcId)), aws.ToString(v.VpcId), nil
		},
	},
	{
		typ: "AWS::EC2::Subnet", pkg: "resources/ec2", keeps: "the SubnetId (and its VPC's VpcId), via the _custom_id_ tag",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			c := awsec2.NewFromConfig(src)
			vpc := seedVPC(ctx, t, c, "10.21.0.0/16")
			out, err := c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.21.1.0/24"),
				AvailabilityZone: aws.String(fixture.Region + "a")})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(out.Subnet.SubnetId)
			return seeded{identifier: id, arn: ec2ARN(fixture.SourceAccount, "subnet", id), id: id}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			out, err := awsec2.NewFromConfig(cfg).DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{SubnetIds: []string{s.id}})
			if err != nil {
				return "", "", err
			}
			// LocalStack reports subnet ARNs itself.
			return aws.ToString(out.Subnets[0].SubnetArn), aws.ToString(out.Subnets[0].SubnetId), nil
		},
	},
	{
		typ: "AWS::EC2::SecurityGroup", pkg: "resources/ec2", keeps: "the GroupId (and its VPC's VpcId), via the _custom_id_ tag",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			c := awsec2.NewFromConfig(src)
			vpc := seedVPC(ctx, t, c, "10.22.0.0/16")
			out, err := c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{VpcId: aws.String(vpc), GroupName: aws.String("shared-ls"),
				Description: aws.String("shared group")})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(out.GroupId)
			if _, err := c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id),
				IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}}); err != nil {
				t.Fatal(err)
			}
			return seeded{identifier: id, arn: ec2ARN(fixture.SourceAccount, "security-group", id), id: id}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			out, err := awsec2.NewFromConfig(cfg).DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{s.id}})
			if err != nil {
				return "", "", err
			}
			// Not SecurityGroupArn: LocalStack 2026.3.0 reports one with a
			// random id of its own there (see TestLocalStackKeepsIdentity).
			g := out.SecurityGroups[0]
			return ec2ARN(aws.ToString(g.OwnerId), "security-group", aws.ToString(g.GroupId)), aws.ToString(g.GroupId), nil
		},
	},
	{
		typ: "AWS::IAM::Role", pkg: "resources/iam", keeps: "the RoleId, via the _custom_id_ tag",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			out, err := awsiam.NewFromConfig(src).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("shared-ls-app"), Path: aws.String("/apps/"),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			return seeded{identifier: aws.ToString(out.Role.RoleName), arn: aws.ToString(out.Role.Arn), id: aws.ToString(out.Role.RoleId)}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			out, err := awsiam.NewFromConfig(cfg).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String(s.identifier)})
			if err != nil {
				return "", "", err
			}
			return aws.ToString(out.Role.Arn), aws.ToString(out.Role.RoleId), nil
		},
	},
	{
		typ: "AWS::IAM::Policy", pkg: "resources/iam", keeps: "the PolicyId, via the _custom_id_ tag",
		seed: func(ctx context.Context, t *testing.T, src aws.Config) seeded {
			out, err := awsiam.NewFromConfig(src).CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("shared-ls-read"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			a := aws.ToString(out.Policy.Arn)
			return seeded{identifier: a, arn: a, id: aws.ToString(out.Policy.PolicyId)}
		},
		read: func(ctx context.Context, cfg aws.Config, s seeded) (string, string, error) {
			out, err := awsiam.NewFromConfig(cfg).GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(s.arn)})
			if err != nil {
				return "", "", err
			}
			return aws.ToString(out.Policy.Arn), aws.ToString(out.Policy.PolicyId), nil
		},
	},
}

// Replicated into a real LocalStack with the target account set to the
// source account, every resource lands in that account with the source's
// ARN, and the target keeps the id wherever LocalStack can: proven by the
// job's outcomes and by reading LocalStack back independently of the job.
//
// The cases share one clean source and LocalStack (a LocalStack reset is a
// restart, about a second): each makes resources of its own names, and the
// ids are random.
func TestLocalStackKeepsIdentity(t *testing.T) {
	tgt := testenv.RequireTarget(t, lsEnv, testenv.KindLocalStack)
	registered := resources.NewRegistry().TypeNames()
	for _, c := range identityCases {
		t.Run(c.typ, func(t *testing.T) {
			if !slices.Contains(registered, c.typ) {
				t.Skipf("%s is not registered in resources.Register yet (package %s missing)", c.typ, c.pkg)
			}
			ctx := context.Background()
			s := c.seed(ctx, t, fixture.Seeder(lsEnv.Source.URL()))

			spec := fixture.Spec(ctx, t, lsEnv.Source.URL(), tgt.URL(), fixture.SourceAccount)
			spec.ResourceType, spec.Identifier = c.typ, s.identifier
			runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			st, err := fixture.Runner(t).Run(runCtx, spec)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			doc, _ := json.MarshalIndent(st, "", "  ")
			if st.State != job.StateSucceeded || len(st.Resources.Failed) > 0 {
				t.Fatalf("job ended %s, want SUCCEEDED:\n%s", st.State, doc)
			}

			// The job's account of it: every resource, dependencies
			// included, has the source ARN and identifier in the target.
			var own *job.Outcome
			for i, o := range st.Resources.Succeeded {
				if o.TargetARN == "" || o.TargetARN != o.ResourceARN {
					t.Errorf("%s %s: target ARN %q differs from the source ARN %q", o.ResourceType, o.ResourceIdentifier, o.TargetARN, o.ResourceARN)
				}
				if o.Identity != job.IdentitySame {
					t.Errorf("%s %s: identity %q (target identifier %q), want %q", o.ResourceType, o.ResourceIdentifier, o.Identity, o.TargetIdentifier, job.IdentitySame)
				}
				if !o.Dependency && o.ResourceType == c.typ {
					own = &st.Resources.Succeeded[i]
				}
			}
			if own == nil || own.ResourceARN != s.arn {
				t.Fatalf("no outcome for %s with the source ARN %s:\n%s", c.typ, s.arn, doc)
			}

			// LocalStack's own account of it, in the source account.
			gotARN, gotID, err := c.read(ctx, fixture.Reader(ctx, t, tgt.URL(), fixture.SourceAccount), s)
			if err != nil {
				t.Fatalf("reading the copy back from LocalStack in account %s: %v", fixture.SourceAccount, err)
			}
			if gotARN != s.arn {
				t.Errorf("LocalStack reports ARN %s, want the source ARN %s", gotARN, s.arn)
			}
			if gotID != s.id {
				t.Errorf("LocalStack kept id %q, want the source's %q (%s)", gotID, s.id, c.keeps)
			}
			// ...and nowhere else: not in LocalStack's default account.
			if a, _, err := c.read(ctx, fixture.Reader(ctx, t, tgt.URL(), ""), s); err == nil {
				t.Errorf("the copy is also in LocalStack's default account 000000000000 (ARN %s)", a)
			}
			t.Logf("LocalStack kept %s: id %s, ARN %s", c.keeps, gotID, gotARN)

			if c.typ == "AWS::EC2::SecurityGroup" {
				out, err := awsec2.NewFromConfig(fixture.Reader(ctx, t, tgt.URL(), fixture.SourceAccount)).DescribeSecurityGroups(ctx,
					&awsec2.DescribeSecurityGroupsInput{GroupIds: []string{s.id}})
				if err == nil && !strings.HasSuffix(aws.ToString(out.SecurityGroups[0].SecurityGroupArn), "/"+s.id) {
					t.Logf("known LocalStack 2026.3.0 deviation: DescribeSecurityGroups reports SecurityGroupArn %s for group %s",
						aws.ToString(out.SecurityGroups[0].SecurityGroupArn), s.id)
				}
			}
		})
	}
}

// The target account is selected the LocalStack way: the 12-digit access
// key id the target configuration sends.
func TestLocalStackTargetAccountSelection(t *testing.T) {
	tgt := testenv.RequireTarget(t, lsEnv, testenv.KindLocalStack)
	ctx := context.Background()
	for account, want := range map[string]string{fixture.SourceAccount: fixture.SourceAccount, "": "000000000000", "222222222222": "222222222222"} {
		out, err := sts.NewFromConfig(fixture.Reader(ctx, t, tgt.URL(), account)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Account); got != want {
			t.Errorf("target account %q: LocalStack acts in %s, want %s", account, got, want)
		}
	}
}

// Every registered type is either proven here or named as one LocalStack
// cannot keep the identity of, so a new adapter is not forgotten.
func TestLocalStackIdentityCasesCoverRegisteredTypes(t *testing.T) {
	for _, typ := range resources.NewRegistry().TypeNames() {
		if !slices.ContainsFunc(identityCases, func(c identityCase) bool { return c.typ == typ }) {
			t.Errorf("%s is registered but has no identityCase in this file: add one", typ)
		}
	}
}
