package ec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// amazonPool is the Ipv6Pool of an Amazon-provided IPv6 block.
const amazonPool = "Amazon"

// VPC replicates AWS::EC2::VPC: its IPv4 CIDR blocks (primary and
// secondary), Amazon-provided IPv6 block, instance tenancy, DNS support and
// DNS hostnames attributes, and tags. Its identifier is the VPC id; a TREE
// job also replicates its subnets and security groups.
type VPC struct {
	newClient func(aws.Config) ec2API
}

// NewVPC returns the AWS::EC2::VPC adapter.
func NewVPC() *VPC { return &VPC{newClient: newEC2} }

var (
	_ replicator.ResourceReplicator = (*VPC)(nil)
	_ replicator.ARNResolver        = (*VPC)(nil)
	_ replicator.TreeExplorer       = (*VPC)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*VPC) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeNameVPC,
		Identifier:      "VpcId",
		ARNService:      "ec2",
		ARNResourceType: "vpc",
		Tree:            []string{TypeNameSubnet, TypeNameSecurityGroup},
		Actions: []string{
			"ec2:DescribeVpcs",
			"ec2:DescribeVpcAttribute",
			"ec2:DescribeSubnets",        // TREE: the VPC's subnets
			"ec2:DescribeSecurityGroups", // TREE: the VPC's security groups
		},
	}
}

// vpcProps is the adapter's description of a VPC.
type vpcProps struct {
	CidrBlock string `json:"cidr_block"`
	// SecondaryCidrBlocks are the other associated IPv4 blocks, in order.
	SecondaryCidrBlocks []string `json:"secondary_cidr_blocks,omitempty"`
	// Ipv6CidrBlocks are the associated IPv6 blocks. Amazon-provided ones
	// are requested anew in the target, which picks its own addresses.
	Ipv6CidrBlocks     []ipv6Block `json:"ipv6_cidr_blocks,omitempty"`
	InstanceTenancy    string      `json:"instance_tenancy,omitempty"`
	EnableDNSSupport   bool        `json:"enable_dns_support"`
	EnableDNSHostnames bool        `json:"enable_dns_hostnames"`
	// IsDefault records that the VPC is the source region's default VPC;
	// the copy is an ordinary VPC (the target has its own default VPC).
	IsDefault bool `json:"is_default,omitempty"`
}

// ipv6Block is one IPv6 block of a VPC.
type ipv6Block struct {
	CidrBlock          string `json:"cidr_block"`
	Pool               string `json:"pool,omitempty"` // "Amazon" for Amazon-provided blocks
	NetworkBorderGroup string `json:"network_border_group,omitempty"`
}

func (v *VPC) client(e *replicator.Endpoint) ec2API { return client(e, v.newClient) }

// IdentifierFromARN implements replicator.ARNResolver.
func (*VPC) IdentifierFromARN(_ context.Context, _ *replicator.Source, a arn.ARN) (string, error) {
	return idFromARN(TypeNameVPC, a, "vpc", "vpc-")
}

// Read implements replicator.ResourceReplicator: one DescribeVpcs and two
// DescribeVpcAttribute, all three at once (a VPC is the parent every
// subnet and group of a job waits for).
func (v *VPC) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	if err := checkID(TypeNameVPC, id, "vpc-"); err != nil {
		return nil, err
	}
	c := v.client(&src.Endpoint)
	var vpc *types.Vpc
	var props vpcProps
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { vpc, err = describeVPC(gctx, c, id); return err })
	g.Go(func() (err error) {
		props.EnableDNSSupport, err = vpcAttribute(gctx, c, id, types.VpcAttributeNameEnableDnsSupport)
		return err
	})
	g.Go(func() (err error) {
		props.EnableDNSHostnames, err = vpcAttribute(gctx, c, id, types.VpcAttributeNameEnableDnsHostnames)
		return err
	})
	err := g.Wait()
	if vpc == nil && (err == nil || apierr.Has(err, "InvalidVpcID.NotFound", "InvalidVpcID.Malformed")) {
		return nil, fmt.Errorf("%w: VPC %q", replicator.ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	props.CidrBlock = aws.ToString(vpc.CidrBlock)
	props.InstanceTenancy = string(vpc.InstanceTenancy)
	props.IsDefault = aws.ToBool(vpc.IsDefault)
	for _, a := range vpc.CidrBlockAssociationSet {
		cidr := aws.ToString(a.CidrBlock)
		if cidr == props.CidrBlock || (a.CidrBlockState != nil && !liveVPCCidrState(a.CidrBlockState.State)) {
			continue
		}
		props.SecondaryCidrBlocks = append(props.SecondaryCidrBlocks, cidr)
	}
	props.Ipv6CidrBlocks = vpcIPv6Blocks(vpc)
	res := &replicator.Resource{Type: TypeNameVPC, Identifier: id, ARN: resourceARN(&src.Endpoint, "vpc", id), Tags: readTags(vpc.Tags)}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

// liveVPCCidrState reports whether a CIDR block in this state belongs to
// the VPC (is not being removed or failed).
func liveVPCCidrState(s types.VpcCidrBlockStateCode) bool {
	switch s {
	case types.VpcCidrBlockStateCodeDisassociating, types.VpcCidrBlockStateCodeDisassociated,
		types.VpcCidrBlockStateCodeFailing, types.VpcCidrBlockStateCodeFailed:
		return false
	}
	return true
}

// vpcIPv6Blocks returns the live IPv6 blocks of a VPC, in order.
func vpcIPv6Blocks(vpc *types.Vpc) []ipv6Block {
	var out []ipv6Block
	for _, a := range vpc.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState != nil && !liveVPCCidrState(a.Ipv6CidrBlockState.State) {
			continue
		}
		out = append(out, ipv6Block{
			CidrBlock:          aws.ToString(a.Ipv6CidrBlock),
			Pool:               aws.ToString(a.Ipv6Pool),
			NetworkBorderGroup: aws.ToString(a.NetworkBorderGroup),
		})
	}
	return out
}

// describeVPC returns the VPC with the given id, or nil if there is none.
func describeVPC(ctx context.Context, c ec2API, id string) (*types.Vpc, error) {
	out, err := c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{VpcIds: []string{id}})
	if apierr.Has(err, "InvalidVpcID.NotFound", "InvalidVpcID.Malformed") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing VPC %s: %w", id, err)
	}
	for i := range out.Vpcs {
		if aws.ToString(out.Vpcs[i].VpcId) == id {
			return &out.Vpcs[i], nil
		}
	}
	return nil, nil
}

func vpcAttribute(ctx context.Context, c ec2API, id string, name types.VpcAttributeName) (bool, error) {
	out, err := c.DescribeVpcAttribute(ctx, &awsec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: name})
	if err != nil {
		return false, fmt.Errorf("reading attribute %s of VPC %s: %w", name, id, err)
	}
	var v *types.AttributeBooleanValue
	switch name {
	case types.VpcAttributeNameEnableDnsSupport:
		v = out.EnableDnsSupport
	case types.VpcAttributeNameEnableDnsHostnames:
		v = out.EnableDnsHostnames
	}
	return v != nil && aws.ToBool(v.Value), nil
}

// findTargetVPC returns the VPC the target holds for the source VPC
// srcID, or nil: the one with the same id (LocalStack keeps ids), else the
// one tagged with SourceIDTag = srcID (moto assigns its own).
func findTargetVPC(ctx context.Context, c ec2API, tgt *replicator.Target, srcID string) (*types.Vpc, error) {
	vpc, err := describeVPC(ctx, c, tgt.TargetID(TypeNameVPC, srcID))
	if vpc != nil || err != nil {
		return vpc, err
	}
	pages := awsec2.NewDescribeVpcsPaginator(c, &awsec2.DescribeVpcsInput{Filters: []types.Filter{markerFilter(srcID)}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("looking for the target VPC of %s: %w", srcID, err)
		}
		if len(page.Vpcs) > 0 {
			return &page.Vpcs[0], nil
		}
	}
	return nil, nil
}

// Children implements replicator.TreeExplorer: the VPC's subnets, then its
// security groups except its default group (which every VPC gets when it
// is created, in the target too).
func (v *VPC) Children(ctx context.Context, src *replicator.Source, r *replicator.Resource) ([]replicator.Ref, error) {
	c := v.client(&src.Endpoint)
	byVPC := []types.Filter{filter("vpc-id", r.Identifier)}
	var subnets, groups []replicator.Ref
	sp := awsec2.NewDescribeSubnetsPaginator(c, &awsec2.DescribeSubnetsInput{Filters: byVPC})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the subnets of VPC %s: %w", r.Identifier, err)
		}
		for _, s := range page.Subnets {
			subnets = append(subnets, replicator.Ref{Type: TypeNameSubnet, Identifier: aws.ToString(s.SubnetId), Reason: "a subnet of the VPC"})
		}
	}
	gp := awsec2.NewDescribeSecurityGroupsPaginator(c, &awsec2.DescribeSecurityGroupsInput{Filters: byVPC})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the security groups of VPC %s: %w", r.Identifier, err)
		}
		for _, g := range page.SecurityGroups {
			if isDefaultGroup(g) {
				continue
			}
			groups = append(groups, replicator.Ref{Type: TypeNameSecurityGroup, Identifier: aws.ToString(g.GroupId), Reason: "a security group of the VPC"})
		}
	}
	return append(sortedRefs(subnets), sortedRefs(groups)...), nil
}

// Write implements replicator.ResourceReplicator. A VPC already in the
// target (same id, or tagged as the copy of this one) is left unchanged.
// Otherwise: CreateVpc (with an Amazon-provided IPv6 block if the source
// has one), AssociateVpcCidrBlock per secondary block, ModifyVpcAttribute
// for the DNS attributes, and DescribeVpcs to read it back. A VPC that
// cannot be completed is deleted again.
func (v *VPC) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var p vpcProps
	if err := r.DecodeProperties(&p); err != nil {
		return replicator.Placed{}, err
	}
	c := v.client(&tgt.Endpoint)
	existing, err := findTargetVPC(ctx, c, tgt, r.Identifier)
	if err != nil {
		return replicator.Placed{}, err
	}
	if existing != nil {
		id := aws.ToString(existing.VpcId)
		return placed(tgt, "vpc", id), fmt.Errorf("%w: VPC %s is in the target as %s", replicator.ErrAlreadyExists, r.Identifier, id)
	}
	var amazonV6 []ipv6Block
	for _, b := range p.Ipv6CidrBlocks {
		if b.Pool == amazonPool {
			amazonV6 = append(amazonV6, b)
		}
	}
	in := &awsec2.CreateVpcInput{
		CidrBlock:         aws.String(p.CidrBlock),
		InstanceTenancy:   types.Tenancy(p.InstanceTenancy),
		TagSpecifications: createTags(types.ResourceTypeVpc, r.Identifier, r.Tags),
	}
	if len(amazonV6) > 0 {
		in.AmazonProvidedIpv6CidrBlock = aws.Bool(true)
	}
	out, err := c.CreateVpc(ctx, in)
	if err != nil {
		return replicator.Placed{}, fmt.Errorf("creating VPC %s: %w", r.Identifier, err)
	}
	id := aws.ToString(out.Vpc.VpcId)
	if err := v.complete(ctx, c, id, p, amazonV6); err != nil {
		return replicator.Placed{}, rollback(ctx, err, "VPC "+id, func(ctx context.Context) error {
			_, err := c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: aws.String(id)})
			return err
		})
	}
	got, err := describeVPC(ctx, c, id)
	if err != nil {
		return replicator.Placed{}, fmt.Errorf("reading VPC %s back from the target: %w", id, err)
	}
	if got == nil {
		return replicator.Placed{}, fmt.Errorf("VPC %s was created as %s but the target does not return it", r.Identifier, id)
	}
	return placed(tgt, "vpc", aws.ToString(got.VpcId)), nil
}

// complete sets what CreateVpc cannot: secondary blocks and attributes.
func (v *VPC) complete(ctx context.Context, c ec2API, id string, p vpcProps, amazonV6 []ipv6Block) error {
	for _, cidr := range p.SecondaryCidrBlocks {
		if _, err := c.AssociateVpcCidrBlock(ctx, &awsec2.AssociateVpcCidrBlockInput{VpcId: aws.String(id), CidrBlock: aws.String(cidr)}); err != nil {
			return fmt.Errorf("associating CIDR block %s with VPC %s: %w", cidr, id, err)
		}
	}
	for range amazonV6[min(1, len(amazonV6)):] { // the first came with CreateVpc
		if _, err := c.AssociateVpcCidrBlock(ctx, &awsec2.AssociateVpcCidrBlockInput{VpcId: aws.String(id), AmazonProvidedIpv6CidrBlock: aws.Bool(true)}); err != nil {
			return fmt.Errorf("associating another Amazon-provided IPv6 block with VPC %s: %w", id, err)
		}
	}
	// DNS hostnames need DNS support: enable support first, or disable
	// hostnames first.
	support := func() error {
		return setVPCAttribute(ctx, c, id, types.VpcAttributeNameEnableDnsSupport, p.EnableDNSSupport)
	}
	hostnames := func() error {
		return setVPCAttribute(ctx, c, id, types.VpcAttributeNameEnableDnsHostnames, p.EnableDNSHostnames)
	}
	steps := []func() error{support, hostnames}
	if !p.EnableDNSSupport {
		steps = []func() error{hostnames, support}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func setVPCAttribute(ctx context.Context, c ec2API, id string, name types.VpcAttributeName, value bool) error {
	in := &awsec2.ModifyVpcAttributeInput{VpcId: aws.String(id)}
	v := &types.AttributeBooleanValue{Value: aws.Bool(value)}
	switch name {
	case types.VpcAttributeNameEnableDnsSupport:
		in.EnableDnsSupport = v
	case types.VpcAttributeNameEnableDnsHostnames:
		in.EnableDnsHostnames = v
	}
	if _, err := c.ModifyVpcAttribute(ctx, in); err != nil {
		return fmt.Errorf("setting %s of VPC %s to %t: %w", name, id, value, err)
	}
	return nil
}
