package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func kinds(c config) []kind {
	vpcs := vpcPerAccount()
	secretReads := (c.secrets + 19) / 20
	return []kind{
		{
			typ: "AWS::SSM::Parameter", count: c.params, filter: "/bench/", refill: time.Second, // 40 at 40 TPS
			create: func(ctx context.Context, cfg aws.Config, _ string, i int) error {
				_, err := awsssm.NewFromConfig(cfg).PutParameter(ctx, &awsssm.PutParameterInput{
					Name: aws.String(paramName(i)), Type: ssmtypes.ParameterTypeString,
					Value: aws.String(fmt.Sprintf("value-%d", i)), Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String("bench")}},
				})
				return err
			},
			reads: (c.params + 9) / 10,
			read: func(ctx context.Context, cfg aws.Config, call int) error {
				var names []string
				for i := call * 10; i < min(call*10+10, c.params); i++ {
					names = append(names, paramName(i))
				}
				_, err := awsssm.NewFromConfig(cfg).GetParameters(ctx, &awsssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
				return err
			},
			list: func(ctx context.Context, cfg aws.Config) (int, error) {
				n := 0
				pages := awsssm.NewDescribeParametersPaginator(awsssm.NewFromConfig(cfg), &awsssm.DescribeParametersInput{
					ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{"/bench"}}},
				})
				for pages.HasMorePages() {
					p, err := pages.NextPage(ctx)
					if err != nil {
						return n, err
					}
					n += len(p.Parameters)
				}
				return n, nil
			},
		},
		{
			typ: "AWS::SecretsManager::Secret", count: c.secrets, filter: `{"name":["bench/"]}`,
			refill: time.Second, // 50 policy reads at 50 TPS
			create: func(ctx context.Context, cfg aws.Config, _ string, i int) error {
				_, err := awssm.NewFromConfig(cfg).CreateSecret(ctx, &awssm.CreateSecretInput{
					Name: aws.String(secretName(i)), SecretString: aws.String(fmt.Sprintf("s3cr3t-%d", i)),
					Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("bench")}},
				})
				return err
			},
			// BatchGetSecretValue of 20, and GetResourcePolicy of each
			// secret: a resource policy has no bulk read, and any complete
			// copy reads it.
			reads: secretReads + c.secrets,
			read: func(ctx context.Context, cfg aws.Config, call int) error {
				sm := awssm.NewFromConfig(cfg)
				if call >= secretReads {
					_, err := sm.GetResourcePolicy(ctx, &awssm.GetResourcePolicyInput{SecretId: aws.String(secretName(call - secretReads))})
					return err
				}
				var ids []string
				for i := call * 20; i < min(call*20+20, c.secrets); i++ {
					ids = append(ids, secretName(i))
				}
				_, err := sm.BatchGetSecretValue(ctx, &awssm.BatchGetSecretValueInput{SecretIdList: ids})
				return err
			},
			list: func(ctx context.Context, cfg aws.Config) (int, error) {
				n := 0
				pages := awssm.NewListSecretsPaginator(awssm.NewFromConfig(cfg), &awssm.ListSecretsInput{
					Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"bench/"}}},
				})
				for pages.HasMorePages() {
					p, err := pages.NextPage(ctx)
					if err != nil {
						return n, err
					}
					n += len(p.SecretList)
				}
				return n, nil
			},
		},
		{
			typ: "AWS::EC2::SecurityGroup", count: c.groups, filter: `{"tag:team": ["bench"]}`,
			refill: 5 * time.Second, // 100 at 20/s
			// The least a complete copy writes: the group with its tags,
			// then its rules (one refers to the group itself, so they
			// cannot be part of the create).
			create: func(ctx context.Context, cfg aws.Config, account string, i int) error {
				vpc, err := vpcs(ctx, cfg, account)
				if err != nil {
					return err
				}
				return createGroup(ctx, awsec2.NewFromConfig(cfg), vpc, groupName(i))
			},
			reads: (c.groups + 99) / 100,
			read: func(ctx context.Context, cfg aws.Config, call int) error {
				var names []string
				for i := call * 100; i < min(call*100+100, c.groups); i++ {
					names = append(names, groupName(i))
				}
				_, err := awsec2.NewFromConfig(cfg).DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{
					Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: names}}})
				return err
			},
			list: func(ctx context.Context, cfg aws.Config) (int, error) {
				n := 0
				pages := awsec2.NewDescribeSecurityGroupsPaginator(awsec2.NewFromConfig(cfg), &awsec2.DescribeSecurityGroupsInput{
					Filters: []ec2types.Filter{{Name: aws.String("tag:team"), Values: []string{"bench"}}}})
				for pages.HasMorePages() {
					p, err := pages.NextPage(ctx)
					if err != nil {
						return n, err
					}
					n += len(p.SecurityGroups)
				}
				return n, nil
			},
		},
	}
}

func paramName(i int) string  { return fmt.Sprintf("/bench/app%d/param%05d", i%10, i) }
func secretName(i int) string { return fmt.Sprintf("bench/secret%04d", i) }
func groupName(i int) string  { return fmt.Sprintf("bench-group-%04d", i) }

// vpcPerAccount returns a function returning the VPC of an account (a
// key), creating it on first use.
func vpcPerAccount() func(context.Context, aws.Config, string) (string, error) {
	var mu sync.Mutex
	ids := map[string]string{}
	return func(ctx context.Context, cfg aws.Config, account string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if id, ok := ids[account]; ok {
			return id, nil
		}
		out, err := awsec2.NewFromConfig(cfg).CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
		if err != nil {
			return "", err
		}
		ids[account] = aws.ToString(out.Vpc.VpcId)
		return ids[account], nil
	}
}

// createGroup creates a tagged group allowing HTTPS from anywhere and
// from the group before it (a cross-group reference).
func createGroup(ctx context.Context, c *awsec2.Client, vpc, name string) error {
	g, err := c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String("bench"),
		VpcId: aws.String(vpc), TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("bench")}}}}})
	if err != nil {
		return err
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(5432), ToPort: aws.Int32(5432), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: g.GroupId}}},
	}})
	return err
}
