// Package ec2 replicates Amazon VPC networking: VPCs (AWS::EC2::VPC),
// subnets (AWS::EC2::Subnet) and security groups (AWS::EC2::SecurityGroup).
// Register adds all three adapters to a registry.
//
// # What is copied
//
// VPC: the primary IPv4 CIDR block and the secondary ones
// (AssociateVpcCidrBlock), the instance tenancy, the enableDnsSupport and
// enableDnsHostnames attributes, tags, and an Amazon-provided IPv6 block:
// the target is asked for one (AmazonProvidedIpv6CidrBlock) and picks its
// own addresses, so the IPv6 block is recorded in the description but
// differs in the target. A source default VPC becomes an ordinary VPC in
// the target, which keeps its own default VPC.
//
// Subnet: its VPC (a dependency, replicated first), IPv4 CIDR block,
// availability zone (by name, so the target region must have it), the
// MapPublicIpOnLaunch and AssignIpv6AddressOnCreation attributes, tags,
// and its IPv6 block: since the target VPC's IPv6 block differs, the same
// part of the target VPC's block is used (subnet 2400:6500:abcd:7b03::/64
// of VPC block 2400:6500:abcd:7b00::/56 becomes 2400:6500:1234:5603::/64
// in a target VPC with 2400:6500:1234:5600::/56).
//
// Security group: name, description, VPC (a dependency), tags, and every
// ingress and egress rule: IPv4 and IPv6 ranges, prefix lists and
// references to other groups, each with its description. A new group in
// the target comes with an allow-all egress rule; the target's rules are
// compared with the source's and only what differs is revoked and
// authorized, so that rule stays exactly when the source has it.
//
// Rules that refer to other groups of the account are rewritten to the
// target's ids of those groups (see [replicator.Target.TargetID]). Such
// references are not dependencies: groups often refer to each other (A
// allows B and B allows A), a cycle no creation order satisfies and the
// runner would refuse. Instead the description of a group records the
// name, description and VPC of every group its rules refer to, and Write
// uses the referenced group's copy if the target has it, or else creates a
// placeholder: a group with that name, description and VPC, no rules, and
// the tag [PlaceholderTag]. When the referenced group is replicated
// (later in a TREE or BATCH job, or by a job of its own), Write finds the
// placeholder and completes it, with its rules and tags, instead of
// reporting it as already existing. A TREE job on a VPC therefore
// reproduces all its groups and the rules between them, whatever the
// order; a single group leaves placeholders for the groups it refers to.
// A reference to a VPC's default group is rewritten to the default group
// of the target's copy of that VPC; a reference to a group in another VPC
// (peering) makes that VPC a dependency.
//
// Not copied: DHCP options sets, route tables, network ACLs, gateways,
// endpoints, peering connections and flow logs; IPv6 blocks from BYOIP or
// IPAM pools (only Amazon-provided blocks are requested); subnet DNS name
// options and Outposts settings; a VPC's default security group: the
// target creates one with the VPC, and it is left as the target made it
// (replicating it directly reports it as already existing); customer
// managed prefix lists (rules keep the prefix list id, which the target
// must know); and groups of other accounts, which rules keep referring to
// by their id and account, as is (moto refuses such rules).
//
// # Identifiers and ARNs
//
// Identifiers are the ids: VpcId (vpc-...), SubnetId (subnet-...) and
// GroupId (sg-...). ARNs are arn:PARTITION:ec2:REGION:ACCOUNT:vpc/ID,
// .../subnet/ID and .../security-group/ID, the partition following the
// region (aws-cn for cn-*, aws-us-gov for us-gov-*, else aws).
//
// Everything this package creates carries the tag _custom_id_ = the source
// id, with which LocalStack gives it the same id; moto 5.2.1 ignores it
// (and keeps it as a tag) and assigns new ids, which outcomes report as
// identity "different" with the new id as target identifier. Children
// refer to their parents through the runner's record of those ids.
// Everything created also carries [SourceIDTag] = the source id, so that
// on a target that assigns its own ids a resource is found again instead
// of being created twice: Write looks for the source id first, then for
// the tag, and reports a resource found either way as already existing
// (with its target id). Neither tag appears in descriptions, and tags
// starting with "aws:" (reserved by AWS) are not written.
//
// A resource whose creation fails part way (a secondary CIDR block, an
// attribute, a rule) is deleted again, so that a later job starts afresh.
//
// # BATCH
//
// Security groups only. The identifier is "" (every group) or a JSON
// object of DescribeSecurityGroups filters, either as
// {"vpc-id": ["vpc-0123"], "group-name": ["web", "db"]} (a value may be a
// single string) or in the request's own shape
// {"Filters": [{"Name": "vpc-id", "Values": ["vpc-0123"]}]}. Filter names
// are checked before anything is read. Default groups are always left out.
//
// A group is created first and looked up only if the target refuses it
// as a duplicate (a group's name is unique in its VPC): a new group costs
// its CreateSecurityGroup, one AuthorizeSecurityGroupIngress (and egress
// calls only where its outbound rules are not EC2's default), and a share
// of a read-back, which also checks the rules. The groups a job writes at the same time share their
// lookups in the target: existing copies are found with one DescribeTags
// (the SourceIDTag of many groups) and one DescribeSecurityGroups (a
// group-id filter of many ids), and groups are read back many at a time.
// The VPC they all depend on is read from the source once, however many
// of them ask for it at the same time.
//
// # TREE
//
// A VPC's children are its subnets, then its security groups other than
// its default group.
//
// # Source permissions
//
// VPC: ec2:DescribeVpcs, ec2:DescribeVpcAttribute, and for TREE
// ec2:DescribeSubnets and ec2:DescribeSecurityGroups. Subnet:
// ec2:DescribeSubnets, and ec2:DescribeVpcs for a subnet with an IPv6
// block. Security group: ec2:DescribeSecurityGroups.
//
// # Limitations
//
// The target region must have the source's availability zone names. A
// VPC's extra Amazon-provided IPv6 blocks are requested too, but moto
// allows one per VPC. Placeholders made for a group that is never
// replicated stay in the target with no rules. An existing resource is
// never updated: replicating again reports it as already existing.
package ec2
