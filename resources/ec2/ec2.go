package ec2

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// Type names of the adapters of this package.
const (
	// TypeNameVPC is the CloudFormation type of a VPC.
	TypeNameVPC = "AWS::EC2::VPC"
	// TypeNameSubnet is the CloudFormation type of a subnet.
	TypeNameSubnet = "AWS::EC2::Subnet"
	// TypeNameSecurityGroup is the CloudFormation type of a security group.
	TypeNameSecurityGroup = "AWS::EC2::SecurityGroup"
)

// Tags the adapters put on what they create in the target.
const (
	// SourceIDTag holds, on every resource this package creates in a
	// target, the identifier of the source resource it replicates. It is how
	// a later job finds the resource again on a target that assigned its own
	// identifier (moto), so that nothing is created twice.
	SourceIDTag = "awsreplicator:source-id"
	// PlaceholderTag marks a security group created in the target only so
	// that another group's rule can refer to it: it has the source group's
	// name, description and VPC but none of its rules or tags yet.
	// Replicating that group later completes it and removes the tag.
	PlaceholderTag = "awsreplicator:placeholder"
	// customIDTag asks LocalStack to give the new resource this identifier
	// (REFERENCE.md section 3); moto 5.2.1 ignores it for EC2 and keeps it
	// as an ordinary tag.
	customIDTag = "_custom_id_"
)

// ec2API is the part of the EC2 client the adapters use.
type ec2API interface {
	DescribeVpcs(context.Context, *awsec2.DescribeVpcsInput, ...func(*awsec2.Options)) (*awsec2.DescribeVpcsOutput, error)
	DescribeVpcAttribute(context.Context, *awsec2.DescribeVpcAttributeInput, ...func(*awsec2.Options)) (*awsec2.DescribeVpcAttributeOutput, error)
	CreateVpc(context.Context, *awsec2.CreateVpcInput, ...func(*awsec2.Options)) (*awsec2.CreateVpcOutput, error)
	AssociateVpcCidrBlock(context.Context, *awsec2.AssociateVpcCidrBlockInput, ...func(*awsec2.Options)) (*awsec2.AssociateVpcCidrBlockOutput, error)
	ModifyVpcAttribute(context.Context, *awsec2.ModifyVpcAttributeInput, ...func(*awsec2.Options)) (*awsec2.ModifyVpcAttributeOutput, error)
	DeleteVpc(context.Context, *awsec2.DeleteVpcInput, ...func(*awsec2.Options)) (*awsec2.DeleteVpcOutput, error)

	DescribeSubnets(context.Context, *awsec2.DescribeSubnetsInput, ...func(*awsec2.Options)) (*awsec2.DescribeSubnetsOutput, error)
	CreateSubnet(context.Context, *awsec2.CreateSubnetInput, ...func(*awsec2.Options)) (*awsec2.CreateSubnetOutput, error)
	ModifySubnetAttribute(context.Context, *awsec2.ModifySubnetAttributeInput, ...func(*awsec2.Options)) (*awsec2.ModifySubnetAttributeOutput, error)
	DeleteSubnet(context.Context, *awsec2.DeleteSubnetInput, ...func(*awsec2.Options)) (*awsec2.DeleteSubnetOutput, error)

	DescribeSecurityGroups(context.Context, *awsec2.DescribeSecurityGroupsInput, ...func(*awsec2.Options)) (*awsec2.DescribeSecurityGroupsOutput, error)
	CreateSecurityGroup(context.Context, *awsec2.CreateSecurityGroupInput, ...func(*awsec2.Options)) (*awsec2.CreateSecurityGroupOutput, error)
	DeleteSecurityGroup(context.Context, *awsec2.DeleteSecurityGroupInput, ...func(*awsec2.Options)) (*awsec2.DeleteSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *awsec2.AuthorizeSecurityGroupIngressInput, ...func(*awsec2.Options)) (*awsec2.AuthorizeSecurityGroupIngressOutput, error)
	AuthorizeSecurityGroupEgress(context.Context, *awsec2.AuthorizeSecurityGroupEgressInput, ...func(*awsec2.Options)) (*awsec2.AuthorizeSecurityGroupEgressOutput, error)
	RevokeSecurityGroupIngress(context.Context, *awsec2.RevokeSecurityGroupIngressInput, ...func(*awsec2.Options)) (*awsec2.RevokeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupEgress(context.Context, *awsec2.RevokeSecurityGroupEgressInput, ...func(*awsec2.Options)) (*awsec2.RevokeSecurityGroupEgressOutput, error)

	DescribeTags(context.Context, *awsec2.DescribeTagsInput, ...func(*awsec2.Options)) (*awsec2.DescribeTagsOutput, error)
	CreateTags(context.Context, *awsec2.CreateTagsInput, ...func(*awsec2.Options)) (*awsec2.CreateTagsOutput, error)
	DeleteTags(context.Context, *awsec2.DeleteTagsInput, ...func(*awsec2.Options)) (*awsec2.DeleteTagsOutput, error)
}

var _ ec2API = (*awsec2.Client)(nil)

func newEC2(cfg aws.Config) ec2API { return awsec2.NewFromConfig(cfg) }

// client returns the endpoint's EC2 client, made once per endpoint and
// shared by the three adapters.
func client(e *replicator.Endpoint, mk func(aws.Config) ec2API) ec2API {
	return replicator.Client(e, "ec2", mk)
}

// Register adds the adapters of this package to reg: VPC, Subnet and
// SecurityGroup.
func Register(reg *replicator.Registry) {
	reg.Register(NewVPC())
	reg.Register(NewSubnet())
	reg.Register(NewSecurityGroup())
}

// partition returns the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// resourceARN returns the ARN of an EC2 resource:
// arn:PARTITION:ec2:REGION:ACCOUNT:RESOURCETYPE/ID.
func resourceARN(e *replicator.Endpoint, resourceType, id string) string {
	return arn.ARN{Partition: partition(e.Region), Service: "ec2", Region: e.Region, AccountID: e.AccountID,
		Resource: resourceType + "/" + id}.String()
}

// placed returns what the target holds for an id read back from it.
func placed(tgt *replicator.Target, resourceType, id string) replicator.Placed {
	return replicator.Placed{Identifier: id, ARN: resourceARN(&tgt.Endpoint, resourceType, id)}
}

// checkID returns an ErrInvalidIdentifier error unless id looks like an id
// of the given prefix ("vpc-").
func checkID(typeName, id, prefix string) error {
	if !strings.HasPrefix(id, prefix) || len(id) == len(prefix) {
		return fmt.Errorf("%w: %q cannot name a %s: its identifiers start with %q", replicator.ErrInvalidIdentifier, id, typeName, prefix)
	}
	return nil
}

// idFromARN returns the id an EC2 ARN names, checking that it is of the
// expected resource type and id prefix.
func idFromARN(typeName string, a arn.ARN, resourceType, prefix string) (string, error) {
	if a.Service != "ec2" || a.ResourceType() != resourceType {
		return "", fmt.Errorf("%w: ARN %s does not name a %s (want arn:aws:ec2:REGION:ACCOUNT:%s/%sID)",
			replicator.ErrInvalidIdentifier, a, typeName, resourceType, prefix)
	}
	id := a.ResourceID()
	if err := checkID(typeName, id, prefix); err != nil {
		return "", err
	}
	return id, nil
}

// internalTag reports whether a tag key is one this package or the target
// uses for itself, which is not part of a resource's description.
func internalTag(k string) bool {
	return k == customIDTag || k == SourceIDTag || k == PlaceholderTag
}

// readTags returns the tags of a resource without the internal ones, or nil.
func readTags(tags []types.Tag) map[string]string {
	var out map[string]string
	for _, t := range tags {
		k := aws.ToString(t.Key)
		if internalTag(k) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = aws.ToString(t.Value)
	}
	return out
}

// hasTag reports whether tags hold key (with any value).
func hasTag(tags []types.Tag, key string) bool {
	return slices.ContainsFunc(tags, func(t types.Tag) bool { return aws.ToString(t.Key) == key })
}

// tagValue returns the value of key in tags, or "".
func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// writableTags returns tags as SDK tags, sorted by key, without internal
// keys and without keys starting with "aws:", which AWS reserves and
// refuses in CreateTags.
func writableTags(tags map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if internalTag(k) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			continue
		}
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// createTags returns the tag specification of a resource created in the
// target: its own tags, the custom id (kept by LocalStack) and the
// source-id marker, plus extra.
func createTags(rt types.ResourceType, sourceID string, tags map[string]string, extra ...types.Tag) []types.TagSpecification {
	all := append(writableTags(tags),
		types.Tag{Key: aws.String(customIDTag), Value: aws.String(sourceID)},
		types.Tag{Key: aws.String(SourceIDTag), Value: aws.String(sourceID)})
	all = append(all, extra...)
	return []types.TagSpecification{{ResourceType: rt, Tags: all}}
}

// markerFilter selects target resources created for sourceID.
func markerFilter(sourceID string) types.Filter {
	return types.Filter{Name: aws.String("tag:" + SourceIDTag), Values: []string{sourceID}}
}

// filter returns one EC2 filter.
func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// sortedRefs sorts references by identifier, for a stable order.
func sortedRefs(refs []replicator.Ref) []replicator.Ref {
	slices.SortFunc(refs, func(a, b replicator.Ref) int { return cmp.Compare(a.Identifier, b.Identifier) })
	return refs
}

// rollback undoes a partly written resource after err, with a context
// that outlives a cancelled ctx, so a later job can write it afresh instead
// of finding an incomplete resource "already existing". It returns err,
// joined with the undo's own failure if any.
func rollback(ctx context.Context, err error, what string, undo func(context.Context) error) error {
	if uerr := undo(context.WithoutCancel(ctx)); uerr != nil {
		return errors.Join(err, fmt.Errorf("removing the partly written %s from the target: %w", what, uerr))
	}
	return err
}
