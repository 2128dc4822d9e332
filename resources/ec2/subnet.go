package ec2

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// Subnet replicates AWS::EC2::Subnet: its VPC (a dependency), IPv4 CIDR
// block, IPv6 CIDR block, availability zone, the MapPublicIpOnLaunch and
// AssignIpv6AddressOnCreation attributes, and tags. Its identifier is the
// subnet id.
type Subnet struct {
	newClient func(aws.Config) ec2API
}

// NewSubnet returns the AWS::EC2::Subnet adapter.
func NewSubnet() *Subnet { return &Subnet{newClient: newEC2} }

var (
	_ replicator.ResourceReplicator = (*Subnet)(nil)
	_ replicator.ARNResolver        = (*Subnet)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*Subnet) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeNameSubnet,
		Identifier:      "SubnetId",
		ARNService:      "ec2",
		ARNResourceType: "subnet",
		// A subnet lives in its VPC, which is replicated first.
		Dependencies: []string{TypeNameVPC},
		Actions: []string{
			"ec2:DescribeSubnets",
			"ec2:DescribeVpcs", // only for a subnet with an IPv6 block: the VPC block it is carved from
		},
	}
}

// subnetProps is the adapter's description of a subnet.
type subnetProps struct {
	VpcID            string `json:"vpc_id"`
	CidrBlock        string `json:"cidr_block,omitempty"`
	AvailabilityZone string `json:"availability_zone"`
	// Ipv6CidrBlock is the subnet's IPv6 block, carved from the VPC's
	// block VpcIpv6CidrBlock, the VpcIpv6BlockIndex-th IPv6 block of the
	// VPC. The target VPC's IPv6 block differs (Amazon-provided blocks are
	// assigned anew), so Write carves the same part of the target block.
	Ipv6CidrBlock               string `json:"ipv6_cidr_block,omitempty"`
	VpcIpv6CidrBlock            string `json:"vpc_ipv6_cidr_block,omitempty"`
	VpcIpv6BlockIndex           int    `json:"vpc_ipv6_block_index,omitempty"`
	Ipv6Native                  bool   `json:"ipv6_native,omitempty"`
	MapPublicIPOnLaunch         bool   `json:"map_public_ip_on_launch,omitempty"`
	AssignIpv6AddressOnCreation bool   `json:"assign_ipv6_address_on_creation,omitempty"`
	// DefaultForAz records that the subnet is a default subnet of the
	// source's default VPC; the copy is an ordinary subnet.
	DefaultForAz bool `json:"default_for_az,omitempty"`
}

func (s *Subnet) client(e *replicator.Endpoint) ec2API { return client(e, s.newClient) }

// IdentifierFromARN implements replicator.ARNResolver.
func (*Subnet) IdentifierFromARN(_ context.Context, _ *replicator.Source, a arn.ARN) (string, error) {
	return idFromARN(TypeNameSubnet, a, "subnet", "subnet-")
}

// describeSubnet returns the subnet with the given id, or nil if there is none.
func describeSubnet(ctx context.Context, c ec2API, id string) (*types.Subnet, error) {
	out, err := c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{SubnetIds: []string{id}})
	if apierr.Has(err, "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing subnet %s: %w", id, err)
	}
	for i := range out.Subnets {
		if aws.ToString(out.Subnets[i].SubnetId) == id {
			return &out.Subnets[i], nil
		}
	}
	return nil, nil
}

// Read implements replicator.ResourceReplicator: one DescribeSubnets, and
// for a subnet with an IPv6 block one DescribeVpcs.
func (s *Subnet) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	if err := checkID(TypeNameSubnet, id, "subnet-"); err != nil {
		return nil, err
	}
	c := s.client(&src.Endpoint)
	sn, err := describeSubnet(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if sn == nil {
		return nil, fmt.Errorf("%w: subnet %q", replicator.ErrNotFound, id)
	}
	props := subnetProps{
		VpcID:                       aws.ToString(sn.VpcId),
		CidrBlock:                   aws.ToString(sn.CidrBlock),
		AvailabilityZone:            aws.ToString(sn.AvailabilityZone),
		Ipv6CidrBlock:               subnetIPv6Block(sn),
		Ipv6Native:                  aws.ToBool(sn.Ipv6Native),
		MapPublicIPOnLaunch:         aws.ToBool(sn.MapPublicIpOnLaunch),
		AssignIpv6AddressOnCreation: aws.ToBool(sn.AssignIpv6AddressOnCreation),
		DefaultForAz:                aws.ToBool(sn.DefaultForAz),
	}
	if props.Ipv6CidrBlock != "" {
		vpc, err := describeVPC(ctx, c, props.VpcID)
		if err != nil {
			return nil, err
		}
		if vpc == nil {
			return nil, fmt.Errorf("the VPC %s of subnet %s is not in the source", props.VpcID, id)
		}
		props.VpcIpv6BlockIndex, props.VpcIpv6CidrBlock = containingBlock(props.Ipv6CidrBlock, vpcIPv6Blocks(vpc))
	}
	res := &replicator.Resource{
		Type: TypeNameSubnet, Identifier: id, ARN: resourceARN(&src.Endpoint, "subnet", id), Tags: readTags(sn.Tags),
		DependsOn: []replicator.Ref{{Type: TypeNameVPC, Identifier: props.VpcID, Reason: "a subnet lives in its VPC"}},
	}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

// subnetIPv6Block returns the subnet's live IPv6 block, or "". (moto 5.2.1
// reports the state of a subnet's IPv6 association as the text
// "{'State': 'associated'}", so only states known to be dead are left out.)
func subnetIPv6Block(sn *types.Subnet) string {
	for _, a := range sn.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState != nil {
			switch a.Ipv6CidrBlockState.State {
			case types.SubnetCidrBlockStateCodeDisassociating, types.SubnetCidrBlockStateCodeDisassociated,
				types.SubnetCidrBlockStateCodeFailing, types.SubnetCidrBlockStateCodeFailed:
				continue
			}
		}
		return aws.ToString(a.Ipv6CidrBlock)
	}
	return ""
}

// containingBlock returns the index and CIDR of the VPC IPv6 block that
// contains the subnet block, or (0, "") if none does.
func containingBlock(subnet string, blocks []ipv6Block) (int, string) {
	sp, err := netip.ParsePrefix(subnet)
	if err != nil {
		return 0, ""
	}
	for i, b := range blocks {
		bp, err := netip.ParsePrefix(b.CidrBlock)
		if err == nil && bp.Bits() <= sp.Bits() && bp.Masked().Contains(sp.Addr()) {
			return i, b.CidrBlock
		}
	}
	return 0, ""
}

// carveIPv6 returns the block of the target VPC that corresponds to the
// source subnet block: the same bits below the VPC prefix, on top of the
// target VPC block. srcVPCBlock is the source VPC block the subnet comes
// from, index its position among the source VPC's IPv6 blocks, and
// tgtBlocks the target VPC's IPv6 blocks. If the target VPC has the
// source VPC block itself, the subnet block is kept.
func carveIPv6(subnet, srcVPCBlock string, index int, tgtBlocks []string) (string, error) {
	sp, err := netip.ParsePrefix(subnet)
	if err != nil {
		return "", fmt.Errorf("IPv6 block %q of the subnet: %w", subnet, err)
	}
	for _, b := range tgtBlocks {
		if samePrefix(b, srcVPCBlock) {
			return sp.Masked().String(), nil
		}
	}
	if len(tgtBlocks) == 0 {
		return "", fmt.Errorf("the subnet has IPv6 block %s but the target VPC has no IPv6 block", subnet)
	}
	if index >= len(tgtBlocks) {
		index = 0
	}
	tp, err := netip.ParsePrefix(tgtBlocks[index])
	if err != nil {
		return "", fmt.Errorf("IPv6 block %q of the target VPC: %w", tgtBlocks[index], err)
	}
	if !sp.Addr().Is6() || !tp.Addr().Is6() || tp.Bits() > sp.Bits() {
		return "", fmt.Errorf("cannot carve the subnet IPv6 block %s out of the target VPC block %s", subnet, tp)
	}
	out := tp.Masked().Addr().As16()
	in := sp.Addr().As16()
	for bit := tp.Bits(); bit < sp.Bits(); bit++ {
		mask := byte(0x80 >> (bit % 8))
		out[bit/8] = out[bit/8]&^mask | in[bit/8]&mask
	}
	return netip.PrefixFrom(netip.AddrFrom16(out), sp.Bits()).Masked().String(), nil
}

// samePrefix reports whether two CIDR strings name the same block,
// whatever their spelling ("2400:6500:09fd::/56" and "2400:6500:9fd::/56").
func samePrefix(a, b string) bool {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	return errA == nil && errB == nil && pa.Masked() == pb.Masked()
}

// findTargetSubnet returns the subnet the target holds for the source
// subnet srcID, or nil: by id, then by SourceIDTag.
func findTargetSubnet(ctx context.Context, c ec2API, tgt *replicator.Target, srcID string) (*types.Subnet, error) {
	sn, err := describeSubnet(ctx, c, tgt.TargetID(TypeNameSubnet, srcID))
	if sn != nil || err != nil {
		return sn, err
	}
	pages := awsec2.NewDescribeSubnetsPaginator(c, &awsec2.DescribeSubnetsInput{Filters: []types.Filter{markerFilter(srcID)}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("looking for the target subnet of %s: %w", srcID, err)
		}
		if len(page.Subnets) > 0 {
			return &page.Subnets[0], nil
		}
	}
	return nil, nil
}

// Write implements replicator.ResourceReplicator. A subnet already in the
// target (same id, or tagged as the copy of this one) is left unchanged.
// Otherwise: CreateSubnet in the target's copy of the VPC (an IPv6 block
// is carved from the target VPC's block), ModifySubnetAttribute for each
// attribute that is set, and DescribeSubnets to read it back. A subnet
// that cannot be completed is deleted again.
func (s *Subnet) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var p subnetProps
	if err := r.DecodeProperties(&p); err != nil {
		return replicator.Placed{}, err
	}
	c := s.client(&tgt.Endpoint)
	existing, err := findTargetSubnet(ctx, c, tgt, r.Identifier)
	if err != nil {
		return replicator.Placed{}, err
	}
	if existing != nil {
		id := aws.ToString(existing.SubnetId)
		return placed(tgt, "subnet", id), fmt.Errorf("%w: subnet %s is in the target as %s", replicator.ErrAlreadyExists, r.Identifier, id)
	}
	vpcID := tgt.TargetID(TypeNameVPC, p.VpcID)
	in := &awsec2.CreateSubnetInput{
		VpcId:             aws.String(vpcID),
		AvailabilityZone:  aws.String(p.AvailabilityZone),
		TagSpecifications: createTags(types.ResourceTypeSubnet, r.Identifier, r.Tags),
	}
	if p.CidrBlock != "" && !p.Ipv6Native {
		in.CidrBlock = aws.String(p.CidrBlock)
	}
	if p.Ipv6Native {
		in.Ipv6Native = aws.Bool(true)
	}
	if p.Ipv6CidrBlock != "" {
		vpc, err := describeVPC(ctx, c, vpcID)
		if err != nil {
			return replicator.Placed{}, err
		}
		if vpc == nil {
			return replicator.Placed{}, fmt.Errorf("the VPC %s (the copy of %s) of subnet %s is not in the target", vpcID, p.VpcID, r.Identifier)
		}
		var blocks []string
		for _, b := range vpcIPv6Blocks(vpc) {
			blocks = append(blocks, b.CidrBlock)
		}
		v6, err := carveIPv6(p.Ipv6CidrBlock, p.VpcIpv6CidrBlock, p.VpcIpv6BlockIndex, blocks)
		if err != nil {
			return replicator.Placed{}, fmt.Errorf("subnet %s: %w", r.Identifier, err)
		}
		in.Ipv6CidrBlock = aws.String(v6)
	}
	out, err := c.CreateSubnet(ctx, in)
	if err != nil {
		return replicator.Placed{}, fmt.Errorf("creating subnet %s in VPC %s: %w", r.Identifier, vpcID, err)
	}
	id := aws.ToString(out.Subnet.SubnetId)
	if err := s.setAttributes(ctx, c, id, p); err != nil {
		return replicator.Placed{}, rollback(ctx, err, "subnet "+id, func(ctx context.Context) error {
			_, err := c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: aws.String(id)})
			return err
		})
	}
	got, err := describeSubnet(ctx, c, id)
	if err != nil {
		return replicator.Placed{}, fmt.Errorf("reading subnet %s back from the target: %w", id, err)
	}
	if got == nil {
		return replicator.Placed{}, fmt.Errorf("subnet %s was created as %s but the target does not return it", r.Identifier, id)
	}
	return placed(tgt, "subnet", aws.ToString(got.SubnetId)), nil
}

// setAttributes sets the attributes that are on in the source (a new
// subnet has both off); ModifySubnetAttribute takes one at a time.
func (s *Subnet) setAttributes(ctx context.Context, c ec2API, id string, p subnetProps) error {
	on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	if p.MapPublicIPOnLaunch {
		if _, err := c.ModifySubnetAttribute(ctx, &awsec2.ModifySubnetAttributeInput{SubnetId: aws.String(id), MapPublicIpOnLaunch: on}); err != nil {
			return fmt.Errorf("setting MapPublicIpOnLaunch of subnet %s: %w", id, err)
		}
	}
	if p.AssignIpv6AddressOnCreation {
		if _, err := c.ModifySubnetAttribute(ctx, &awsec2.ModifySubnetAttributeInput{SubnetId: aws.String(id), AssignIpv6AddressOnCreation: on}); err != nil {
			return fmt.Errorf("setting AssignIpv6AddressOnCreation of subnet %s: %w", id, err)
		}
	}
	return nil
}
