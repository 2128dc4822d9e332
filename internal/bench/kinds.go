package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/sync/errgroup"
)

func kinds(c config) []kind {
	srcVPC, probeVPC := onceVPC(), onceVPC()
	return []kind{
		{
			typ: "AWS::SSM::Parameter", count: c.params, filter: "/bench/",
			seed: func(ctx context.Context, cfg aws.Config, i int) error {
				_, err := awsssm.NewFromConfig(cfg).PutParameter(ctx, &awsssm.PutParameterInput{
					Name: aws.String(paramName(i)), Type: ssmtypes.ParameterTypeString,
					Value: aws.String(fmt.Sprintf("value-%d", i)), Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String("bench")}},
				})
				return err
			},
			create: func(ctx context.Context, cfg aws.Config, i int) error {
				_, err := awsssm.NewFromConfig(cfg).PutParameter(ctx, &awsssm.PutParameterInput{
					Name: aws.String(fmt.Sprintf("/probe/param%05d", i)), Type: ssmtypes.ParameterTypeString,
					Value: aws.String("v"), Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String("bench")}},
				})
				return err
			},
			readBatch: 10,
			read: func(ctx context.Context, cfg aws.Config, first int) error {
				var names []string
				for i := first; i < min(first+10, c.params); i++ {
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
			seed: func(ctx context.Context, cfg aws.Config, i int) error {
				_, err := awssm.NewFromConfig(cfg).CreateSecret(ctx, &awssm.CreateSecretInput{
					Name: aws.String(secretName(i)), SecretString: aws.String(fmt.Sprintf("s3cr3t-%d", i)),
					Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("bench")}},
				})
				return err
			},
			create: func(ctx context.Context, cfg aws.Config, i int) error {
				_, err := awssm.NewFromConfig(cfg).CreateSecret(ctx, &awssm.CreateSecretInput{
					Name: aws.String(fmt.Sprintf("probe/secret%04d", i)), SecretString: aws.String("v"),
					Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("bench")}},
				})
				return err
			},
			readBatch: 20,
			read: func(ctx context.Context, cfg aws.Config, first int) error {
				var ids []string
				for i := first; i < min(first+20, c.secrets); i++ {
					ids = append(ids, secretName(i))
				}
				c := awssm.NewFromConfig(cfg)
				if _, err := c.BatchGetSecretValue(ctx, &awssm.BatchGetSecretValueInput{SecretIdList: ids}); err != nil {
					return err
				}
				// A resource policy has no bulk read: one call per secret,
				// which any complete copy makes.
				g, gctx := errgroup.WithContext(ctx)
				for _, id := range ids {
					g.Go(func() error {
						_, err := c.GetResourcePolicy(gctx, &awssm.GetResourcePolicyInput{SecretId: aws.String(id)})
						return err
					})
				}
				return g.Wait()
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
			seed: func(ctx context.Context, cfg aws.Config, i int) error {
				vpc, err := srcVPC(ctx, cfg)
				if err != nil {
					return err
				}
				return createGroup(ctx, awsec2.NewFromConfig(cfg), vpc, groupName(i))
			},
			create: func(ctx context.Context, cfg aws.Config, i int) error {
				vpc, err := probeVPC(ctx, cfg)
				if err != nil {
					return err
				}
				_, err = awsec2.NewFromConfig(cfg).CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{
					GroupName: aws.String(groupName(i)), Description: aws.String("bench"), VpcId: aws.String(vpc)})
				return err
			},
			readBatch: 100,
			read: func(ctx context.Context, cfg aws.Config, first int) error {
				var names []string
				for i := first; i < min(first+100, c.groups); i++ {
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

// onceVPC returns a function creating one VPC on first use.
func onceVPC() func(context.Context, aws.Config) (string, error) {
	var once sync.Once
	var id string
	var err error
	return func(ctx context.Context, cfg aws.Config) (string, error) {
		once.Do(func() {
			var out *awsec2.CreateVpcOutput
			out, err = awsec2.NewFromConfig(cfg).CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
			if err == nil {
				id = aws.ToString(out.Vpc.VpcId)
			}
		})
		return id, err
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
