package resources_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
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

// seeders create one resource of each type in the source (with admin
// credentials) and return the identifier a job names it by. Every
// registered type must have one, so the generated policy of every type is
// proven.
var seeders = map[string]func(ctx context.Context, admin aws.Config) (string, error){
	"AWS::EC2::VPC": func(ctx context.Context, admin aws.Config) (string, error) {
		vpc, _, _, err := seedNetwork(ctx, admin)
		return vpc, err
	},
	"AWS::EC2::Subnet": func(ctx context.Context, admin aws.Config) (string, error) {
		_, subnet, _, err := seedNetwork(ctx, admin)
		return subnet, err
	},
	"AWS::EC2::SecurityGroup": func(ctx context.Context, admin aws.Config) (string, error) {
		_, _, group, err := seedNetwork(ctx, admin)
		return group, err
	},
	"AWS::IAM::Policy": func(ctx context.Context, admin aws.Config) (string, error) {
		out, err := awsiam.NewFromConfig(admin).CreatePolicy(ctx, &awsiam.CreatePolicyInput{
			PolicyName: aws.String("seeded"), PolicyDocument: aws.String(readParams)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Policy.Arn), nil
	},
	"AWS::IAM::Role": func(ctx context.Context, admin aws.Config) (string, error) {
		c := awsiam.NewFromConfig(admin)
		if _, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("seeded"), AssumeRolePolicyDocument: aws.String(trust),
			Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}); err != nil {
			return "", err
		}
		if _, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("seeded"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readParams)}); err != nil {
			return "", err
		}
		p, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("attached"), PolicyDocument: aws.String(readParams)})
		if err != nil {
			return "", err
		}
		_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("seeded"), PolicyArn: p.Policy.Arn})
		return "seeded", err
	},
	"AWS::SecretsManager::Secret": func(ctx context.Context, admin aws.Config) (string, error) {
		c := awssm.NewFromConfig(admin)
		out, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("policy/secret"), SecretString: aws.String("v1")})
		if err != nil {
			return "", err
		}
		if _, err := c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: out.ARN, SecretString: aws.String("v2")}); err != nil {
			return "", err
		}
		_, err = c.PutResourcePolicy(ctx, &awssm.PutResourcePolicyInput{SecretId: out.ARN, ResourcePolicy: aws.String(readParams)})
		return aws.ToString(out.ARN), err
	},
	"AWS::KMS::Key": func(ctx context.Context, admin aws.Config) (string, error) {
		c := awskms.NewFromConfig(admin)
		k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("policy test")})
		if err != nil {
			return "", err
		}
		_, err = c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/policy"), TargetKeyId: k.KeyMetadata.KeyId})
		return aws.ToString(k.KeyMetadata.KeyId), err
	},
	"AWS::SSM::Parameter": func(ctx context.Context, admin aws.Config) (string, error) {
		_, err := awsssm.NewFromConfig(admin).PutParameter(ctx, &awsssm.PutParameterInput{
			Name: aws.String("/policy/param"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String("v"),
			Tags: []ssmtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
		})
		return "/policy/param", err
	},
}

// notEnforced lists the declared actions moto does not check, with why
// they are declared all the same.
var notEnforced = map[string]string{
	"kms:Decrypt": "AWS checks it when SSM or Secrets Manager decrypts a value made with a customer-managed key; moto does not",
}

// seedNetwork creates a VPC with an IPv6 block, a subnet with an IPv6
// block and a security group with a rule.
func seedNetwork(ctx context.Context, admin aws.Config) (vpc, subnet, group string, err error) {
	c := awsec2.NewFromConfig(admin)
	v, err := c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)})
	if err != nil {
		return "", "", "", err
	}
	vpc = aws.ToString(v.Vpc.VpcId)
	d, err := c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil || len(d.Vpcs) != 1 || len(d.Vpcs[0].Ipv6CidrBlockAssociationSet) == 0 {
		return "", "", "", fmt.Errorf("the seeded VPC has no IPv6 block: %v", err)
	}
	v6 := aws.ToString(d.Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock) // e.g. 2600:1f18::/56
	s, err := c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.1.1.0/24"),
		Ipv6CidrBlock: aws.String(strings.Replace(v6, "/56", "/64", 1))})
	if err != nil {
		return "", "", "", err
	}
	g, err := c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: aws.String(vpc)})
	if err != nil {
		return "", "", "", err
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	return vpc, aws.ToString(s.Subnet.SubnetId), aws.ToString(g.GroupId), err
}

const (
	readParams = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"*"}]}`
	trust      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// enforcing starts a source moto server that enforces IAM after the first
// three requests, which create an admin user with an access key.
func enforcing(t *testing.T) (url string, admin aws.Config) {
	t.Helper()
	if err := testenv.MotoAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx := context.Background()
	srv, err := testenv.StartMoto(ctx, testenv.Options{Name: "IAM-enforcing source", Env: []string{"INITIAL_NO_AUTH_ACTION_COUNT=3"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("source server log:\n%s", srv.Logs())
		}
		srv.Close()
	})
	key, secret := newUser(t, iamClient(fixture.Seeder(srv.URL())), "admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	admin = fixture.Seeder(srv.URL())
	admin.Credentials = credentialsOf(key, secret)
	return srv.URL(), admin
}

func iamClient(cfg aws.Config) *awsiam.Client { return awsiam.NewFromConfig(cfg) }

func credentialsOf(key, secret string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, nil
	})
}

// newUser creates an IAM user with policy as its only permissions and
// returns its access key.
func newUser(t *testing.T, c *awsiam.Client, name, policy string) (key, secret string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("replication"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)
}

// The policy the library generates for a type is enough to replicate it
// (with its dependencies), and every action the type declares for a single
// resource is needed.
func TestGeneratedPolicyIsMinimal(t *testing.T) {
	reg := resources.NewRegistry()
	for _, typ := range reg.TypeNames() {
		if seeders[typ] == nil {
			t.Errorf("%s has no seeder in this test: add one so its policy is proven", typ)
		}
	}
	target, err := testenv.StartMoto(context.Background(), testenv.Options{Name: "target"})
	if err != nil {
		if os.Getenv("CI") == "" && testenv.MotoAvailable() != nil {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer target.Close()

	for _, typ := range reg.TypeNames() {
		seed := seeders[typ]
		if seed == nil {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			srcURL, admin := enforcing(t)
			ctx := context.Background()
			id, err := seed(ctx, admin)
			if err != nil {
				t.Fatalf("seeding: %v", err)
			}
			doc, err := reg.Policy(typ)
			if err != nil {
				t.Fatal(err)
			}
			actions := doc.Statement[0].Action
			adapter, _ := reg.Lookup(typ)
			replicate := func(user string, actions []string) job.Status {
				t.Helper()
				d := doc
				d.Statement = []replicator.PolicyStatement{{Sid: "R", Effect: "Allow", Action: actions, Resource: "*"}}
				b, _ := json.Marshal(d)
				key, secret := newUser(t, iamClient(admin), user, string(b))
				src, err := credentials.LoadSource(ctx, credentials.Source{AccessKeyID: key, SecretAccessKey: job.Secret(secret),
					Region: fixture.Region, EndpointURL: srcURL})
				if err != nil {
					t.Fatal(err)
				}
				if err := target.Reset(ctx); err != nil {
					t.Fatal(err)
				}
				tgt, err := credentials.LoadTarget(ctx, fixture.Target(target.URL(), ""), fixture.Region)
				if err != nil {
					t.Fatal(err)
				}
				r := fixture.Runner(t)
				runCtx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				spec := replicator.Spec{ResourceType: typ, Identifier: id, Source: src, Target: tgt}
				if len(adapter.Info().Tree) > 0 {
					spec.ExploreStrategy = job.Tree // its actions include those that find children
				}
				st, err := r.Run(runCtx, spec)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			if st := replicate("exact", actions); st.State != job.StateSucceeded {
				t.Fatalf("with exactly the generated policy %v: %s %v", actions, st.State, deref(st.ErrorMessage))
			}
			// Each action the type itself declares for a single resource is
			// needed (those of BATCH and of dependency types are needed by
			// other jobs).
			for i, a := range actions {
				if !slices.Contains(adapter.Info().Actions, a) || notEnforced[a] != "" {
					continue
				}
				without := slices.Delete(slices.Clone(actions), i, i+1)
				st := replicate(fmt.Sprintf("without-%d", i), without)
				if st.State != job.StateError || !denied(deref(st.ErrorMessage)) {
					t.Errorf("without %s the job ended %s (%s); want ERROR for lack of authorization: the action is not needed",
						a, st.State, deref(st.ErrorMessage))
				}
			}
		})
	}
}

// denied reports whether a job error is an authorization failure. moto
// answers JSON-protocol services with an XML AccessDenied body, which the
// SDK cannot decode, so the status code is what is left to check.
func denied(msg string) bool {
	return strings.Contains(msg, "not authorized") || strings.Contains(msg, "AccessDenied") || strings.Contains(msg, "StatusCode: 403")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
