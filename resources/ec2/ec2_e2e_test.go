package ec2_test

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/ec2"
)

// Shared end-to-end helpers.
var (
	mustSucceed = fixture.MustSucceed
	dump        = fixture.Dump
)

var env *testenv.Env

// Every end-to-end test runs against both targets (testenv.ForEachTarget):
// moto server and a real LocalStack.
func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.WithLocalStack("ec2", "sts")) }

// world is one test's source and target clients, job spec and runner.
type world struct {
	t        *testing.T
	target   testenv.Target
	src, tgt *awsec2.Client
	spec     replicator.Spec
	runner   *replicator.Runner
	account  string // target account
}

// setup returns the world of a test replicating from the source into tgt
// (in targetAccount, "" for the default). ForEachTarget has reset both.
func setup(t *testing.T, tgt testenv.Target, targetAccount string) *world {
	t.Helper()
	ctx := context.Background()
	reg := replicator.NewRegistry()
	ec2.Register(reg)
	r, err := replicator.NewRunner(reg)
	if err != nil {
		t.Fatal(err)
	}
	account := targetAccount
	if account == "" {
		account = "000000000000"
	}
	return &world{
		t:       t,
		target:  tgt,
		src:     awsec2.NewFromConfig(fixture.Seeder(env.Source.URL())),
		tgt:     awsec2.NewFromConfig(fixture.Reader(ctx, t, tgt.URL(), targetAccount)),
		spec:    fixture.Spec(ctx, t, env.Source.URL(), tgt.URL(), targetAccount),
		runner:  r,
		account: account,
	}
}

func (w *world) run(spec replicator.Spec) job.Status {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := w.runner.Run(ctx, spec)
	if err != nil {
		w.t.Fatalf("Run: %v", err)
	}
	return st
}

// checkIdentity checks what the outcome o says about the target's
// identifier against what the target does with ids. moto 5.2.1 ignores
// _custom_id_ for EC2 and assigns ids of its own: identity "different".
// LocalStack keeps the source id (via _custom_id_): identity "same" when
// the target account is the source account (the ARN is the source's too),
// "same_identifier" otherwise (the account in the ARN differs).
func (w *world) checkIdentity(o job.Outcome) {
	w.t.Helper()
	if !w.target.IsLocalStack() {
		if o.TargetIdentifier == o.ResourceIdentifier || o.Identity != job.IdentityDifferent {
			w.t.Errorf("%s %s: target id %s, identity %q; want a new id on moto, identity %q",
				o.ResourceType, o.ResourceIdentifier, o.TargetIdentifier, o.Identity, job.IdentityDifferent)
		}
		return
	}
	want := job.IdentitySameIdentifier
	if w.account == fixture.SourceAccount {
		want = job.IdentitySame
	}
	if o.TargetIdentifier != o.ResourceIdentifier || o.Identity != want {
		w.t.Errorf("%s %s: target id %s, identity %q; want the source id kept on LocalStack, identity %q",
			o.ResourceType, o.ResourceIdentifier, o.TargetIdentifier, o.Identity, want)
	}
	if want == job.IdentitySame && o.TargetARN != o.ResourceARN {
		w.t.Errorf("%s %s: target ARN %s, want the source ARN %s", o.ResourceType, o.ResourceIdentifier, o.TargetARN, o.ResourceARN)
	}
}

// checkIdentities checks every outcome of a list with checkIdentity.
func (w *world) checkIdentities(list []job.Outcome) {
	w.t.Helper()
	for _, o := range list {
		w.checkIdentity(o)
	}
}

// outcome returns the outcome of one resource in a list, failing if absent.
func outcome(t *testing.T, list []job.Outcome, typ, id string) job.Outcome {
	t.Helper()
	for _, o := range list {
		if o.ResourceType == typ && o.ResourceIdentifier == id {
			return o
		}
	}
	t.Fatalf("no outcome for %s %s in %+v", typ, id, list)
	return job.Outcome{}
}

// ---- seeding the source ----

func tagSpec(rt types.ResourceType, tags map[string]string) []types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	var ts []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		ts = append(ts, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return []types.TagSpecification{{ResourceType: rt, Tags: ts}}
}

// vpcSeed is a VPC to create in the source.
type vpcSeed struct {
	Cidr         string
	Secondary    []string
	IPv6         bool
	DNSHostnames bool
	DNSSupport   bool
	Tags         map[string]string
}

func mkVPC(t *testing.T, c *awsec2.Client, s vpcSeed) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String(s.Cidr), AmazonProvidedIpv6CidrBlock: aws.Bool(s.IPv6),
		TagSpecifications: tagSpec(types.ResourceTypeVpc, s.Tags)})
	if err != nil {
		t.Fatalf("seeding VPC %s: %v", s.Cidr, err)
	}
	id := aws.ToString(out.Vpc.VpcId)
	for _, cidr := range s.Secondary {
		if _, err := c.AssociateVpcCidrBlock(ctx, &awsec2.AssociateVpcCidrBlockInput{VpcId: aws.String(id), CidrBlock: aws.String(cidr)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ModifyVpcAttribute(ctx, &awsec2.ModifyVpcAttributeInput{VpcId: aws.String(id),
		EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(s.DNSSupport)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ModifyVpcAttribute(ctx, &awsec2.ModifyVpcAttributeInput{VpcId: aws.String(id),
		EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(s.DNSHostnames)}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// subnetSeed is a subnet to create in the source. IPv6Index, if not
// negative, carves the subnet's /64 as that index of the VPC's /56.
type subnetSeed struct {
	Cidr, AZ          string
	IPv6Index         int
	MapPublic, Assign bool
	Tags              map[string]string
}

func mkSubnet(t *testing.T, c *awsec2.Client, vpc string, s subnetSeed) string {
	t.Helper()
	ctx := context.Background()
	in := &awsec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(s.Cidr), AvailabilityZone: aws.String(s.AZ),
		TagSpecifications: tagSpec(types.ResourceTypeSubnet, s.Tags)}
	if s.IPv6Index >= 0 {
		v := describeVPC(t, c, vpc)
		block := netip.MustParsePrefix(aws.ToString(v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock))
		a := block.Addr().As16()
		a[7] = byte(s.IPv6Index)
		in.Ipv6CidrBlock = aws.String(netip.PrefixFrom(netip.AddrFrom16(a), 64).String())
	}
	out, err := c.CreateSubnet(ctx, in)
	if err != nil {
		t.Fatalf("seeding subnet %s: %v", s.Cidr, err)
	}
	id := aws.ToString(out.Subnet.SubnetId)
	on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	if s.MapPublic {
		if _, err := c.ModifySubnetAttribute(ctx, &awsec2.ModifySubnetAttributeInput{SubnetId: aws.String(id), MapPublicIpOnLaunch: on}); err != nil {
			t.Fatal(err)
		}
	}
	if s.Assign {
		if _, err := c.ModifySubnetAttribute(ctx, &awsec2.ModifySubnetAttributeInput{SubnetId: aws.String(id), AssignIpv6AddressOnCreation: on}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func mkGroup(t *testing.T, c *awsec2.Client, vpc, name, desc string, tags map[string]string) string {
	t.Helper()
	out, err := c.CreateSecurityGroup(context.Background(), &awsec2.CreateSecurityGroupInput{GroupName: aws.String(name),
		Description: aws.String(desc), VpcId: aws.String(vpc), TagSpecifications: tagSpec(types.ResourceTypeSecurityGroup, tags)})
	if err != nil {
		t.Fatalf("seeding group %s: %v", name, err)
	}
	return aws.ToString(out.GroupId)
}

// perm builds one IpPermission: peer is a CIDR, an IPv6 CIDR, a prefix
// list (pl-) or a group (sg-).
func perm(proto string, from, to int32, peer, desc string) types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String(proto)}
	if proto != "-1" {
		p.FromPort, p.ToPort = aws.Int32(from), aws.Int32(to)
	}
	var d *string
	if desc != "" {
		d = aws.String(desc)
	}
	switch {
	case strings.HasPrefix(peer, "sg-"):
		p.UserIdGroupPairs = []types.UserIdGroupPair{{GroupId: aws.String(peer), Description: d}}
	case strings.HasPrefix(peer, "pl-"):
		p.PrefixListIds = []types.PrefixListId{{PrefixListId: aws.String(peer), Description: d}}
	case strings.Contains(peer, ":"):
		p.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(peer), Description: d}}
	default:
		p.IpRanges = []types.IpRange{{CidrIp: aws.String(peer), Description: d}}
	}
	return p
}

func ingress(t *testing.T, c *awsec2.Client, group string, perms ...types.IpPermission) {
	t.Helper()
	if _, err := c.AuthorizeSecurityGroupIngress(context.Background(), &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(group), IpPermissions: perms}); err != nil {
		t.Fatalf("ingress of %s: %v", group, err)
	}
}

func egress(t *testing.T, c *awsec2.Client, group string, perms ...types.IpPermission) {
	t.Helper()
	if _, err := c.AuthorizeSecurityGroupEgress(context.Background(), &awsec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(group), IpPermissions: perms}); err != nil {
		t.Fatalf("egress of %s: %v", group, err)
	}
}

// noDefaultEgress removes the allow-all egress rule every group starts with.
func noDefaultEgress(t *testing.T, c *awsec2.Client, group string) {
	t.Helper()
	if _, err := c.RevokeSecurityGroupEgress(context.Background(), &awsec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(group),
		IpPermissions: []types.IpPermission{perm("-1", 0, 0, "0.0.0.0/0", "")}}); err != nil {
		t.Fatal(err)
	}
}

// ---- reading either side ----

func describeVPC(t *testing.T, c *awsec2.Client, id string) types.Vpc {
	t.Helper()
	out, err := c.DescribeVpcs(context.Background(), &awsec2.DescribeVpcsInput{VpcIds: []string{id}})
	if err != nil || len(out.Vpcs) != 1 {
		t.Fatalf("describing VPC %s: %v", id, err)
	}
	return out.Vpcs[0]
}

// userTags drops the tags the replicator and the target add.
func userTags(tags []types.Tag) map[string]string {
	out := map[string]string{}
	for _, tg := range tags {
		k := aws.ToString(tg.Key)
		if k == "_custom_id_" || k == ec2.SourceIDTag {
			continue
		}
		out[k] = aws.ToString(tg.Value)
	}
	return out
}

func tagOf(tags []types.Tag, key string) (string, bool) {
	for _, tg := range tags {
		if aws.ToString(tg.Key) == key {
			return aws.ToString(tg.Value), true
		}
	}
	return "", false
}

// vpcView is what a test compares of a VPC.
type vpcView struct {
	Cidr                     string
	Secondary                []string
	AmazonIPv6               int // number of Amazon-provided IPv6 blocks
	Tenancy                  string
	DNSSupport, DNSHostnames bool
	Tags                     map[string]string
}

func viewVPC(t *testing.T, c *awsec2.Client, id string) vpcView {
	t.Helper()
	v := describeVPC(t, c, id)
	out := vpcView{Cidr: aws.ToString(v.CidrBlock), Tenancy: string(v.InstanceTenancy), Tags: userTags(v.Tags)}
	for _, a := range v.CidrBlockAssociationSet {
		if cidr := aws.ToString(a.CidrBlock); cidr != out.Cidr {
			out.Secondary = append(out.Secondary, cidr)
		}
	}
	for _, a := range v.Ipv6CidrBlockAssociationSet {
		if aws.ToString(a.Ipv6Pool) == "Amazon" {
			out.AmazonIPv6++
		}
	}
	ctx := context.Background()
	s, err := c.DescribeVpcAttribute(ctx, &awsec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: types.VpcAttributeNameEnableDnsSupport})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.DescribeVpcAttribute(ctx, &awsec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: types.VpcAttributeNameEnableDnsHostnames})
	if err != nil {
		t.Fatal(err)
	}
	out.DNSSupport, out.DNSHostnames = aws.ToBool(s.EnableDnsSupport.Value), aws.ToBool(h.EnableDnsHostnames.Value)
	return out
}

// subnetView is what a test compares of a subnet. IPv6Index is the byte
// of the subnet's IPv6 block below the VPC's /56 (-1: no IPv6 block).
type subnetView struct {
	Cidr, AZ          string
	IPv6Index         int
	MapPublic, Assign bool
	Tags              map[string]string
}

func viewSubnet(t *testing.T, c *awsec2.Client, sn types.Subnet) subnetView {
	t.Helper()
	out := subnetView{Cidr: aws.ToString(sn.CidrBlock), AZ: aws.ToString(sn.AvailabilityZone), IPv6Index: -1,
		MapPublic: aws.ToBool(sn.MapPublicIpOnLaunch), Assign: aws.ToBool(sn.AssignIpv6AddressOnCreation), Tags: userTags(sn.Tags)}
	if len(sn.Ipv6CidrBlockAssociationSet) > 0 {
		p := netip.MustParsePrefix(aws.ToString(sn.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock))
		v := describeVPC(t, c, aws.ToString(sn.VpcId))
		block := netip.MustParsePrefix(aws.ToString(v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock))
		if !block.Contains(p.Addr()) || p.Bits() != 64 {
			t.Errorf("subnet %s: IPv6 block %s is not a /64 of its VPC's block %s", aws.ToString(sn.SubnetId), p, block)
		}
		out.IPv6Index = int(p.Addr().As16()[7])
	}
	return out
}

func subnetsOf(t *testing.T, c *awsec2.Client, vpc string) []types.Subnet {
	t.Helper()
	var out []types.Subnet
	pages := awsec2.NewDescribeSubnetsPaginator(c, &awsec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Subnets...)
	}
	return out
}

func groupsOf(t *testing.T, c *awsec2.Client, filters ...types.Filter) []types.SecurityGroup {
	t.Helper()
	var out []types.SecurityGroup
	pages := awsec2.NewDescribeSecurityGroupsPaginator(c, &awsec2.DescribeSecurityGroupsInput{Filters: filters})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.SecurityGroups...)
	}
	return out
}

func byVPC(vpc string) types.Filter {
	return types.Filter{Name: aws.String("vpc-id"), Values: []string{vpc}}
}

// groupView is what a test compares of a security group. Rules are
// rendered as text, a referenced group by its NAME, so the source and the
// target (whose ids differ) compare equal exactly when every rule refers
// to the corresponding group.
type groupView struct {
	Name, Description string
	Tags              map[string]string
	Ingress, Egress   []string
}

// viewGroups renders groups; names maps group ids to names (of the same
// side: source or target).
func viewGroups(groups []types.SecurityGroup, names map[string]string) map[string]groupView {
	render := func(perms []types.IpPermission) []string {
		var out []string
		for _, p := range perms {
			head := aws.ToString(p.IpProtocol)
			if head != "-1" {
				head += fmt.Sprintf(" %d-%d", aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort))
			}
			for _, r := range p.IpRanges {
				out = append(out, fmt.Sprintf("%s %s %q", head, aws.ToString(r.CidrIp), aws.ToString(r.Description)))
			}
			for _, r := range p.Ipv6Ranges {
				out = append(out, fmt.Sprintf("%s %s %q", head, aws.ToString(r.CidrIpv6), aws.ToString(r.Description)))
			}
			for _, r := range p.PrefixListIds {
				out = append(out, fmt.Sprintf("%s %s %q", head, aws.ToString(r.PrefixListId), aws.ToString(r.Description)))
			}
			for _, r := range p.UserIdGroupPairs {
				name, ok := names[aws.ToString(r.GroupId)]
				if !ok {
					name = "UNKNOWN " + aws.ToString(r.GroupId)
				}
				out = append(out, fmt.Sprintf("%s group:%s %q", head, name, aws.ToString(r.Description)))
			}
		}
		slices.Sort(out)
		return out
	}
	views := map[string]groupView{}
	for _, g := range groups {
		views[aws.ToString(g.GroupName)] = groupView{Name: aws.ToString(g.GroupName), Description: aws.ToString(g.Description),
			Tags: userTags(g.Tags), Ingress: render(g.IpPermissions), Egress: render(g.IpPermissionsEgress)}
	}
	return views
}

// names maps the ids of groups to their names.
func names(groups []types.SecurityGroup) map[string]string {
	m := map[string]string{}
	for _, g := range groups {
		m[aws.ToString(g.GroupId)] = aws.ToString(g.GroupName)
	}
	return m
}

func countVPCsCopiedFrom(t *testing.T, c *awsec2.Client, srcID string) int {
	t.Helper()
	out, err := c.DescribeVpcs(context.Background(), &awsec2.DescribeVpcsInput{Filters: []types.Filter{
		{Name: aws.String("tag:" + ec2.SourceIDTag), Values: []string{srcID}}}})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Vpcs)
}

var equateEmpty = cmpopts.EquateEmpty()

// noDefaultGroupBug is a LocalStack 2026.3.0 bug: a VPC created with a
// _custom_id_ tag (as this package creates every VPC, so that LocalStack
// keeps the VpcId) gets no default security group. Its ec2_create_vpc
// patch (localstack/services/ec2/patches.py) finds the default group moto
// made for the random VpcId, and because it found one neither deletes it
// nor creates one for the custom id: the group stays behind on the
// discarded VpcId, and DescribeSecurityGroups with vpc-id = the custom id
// has no "default".
const noDefaultGroupBug = "LocalStack 2026.3.0 creates no default security group for a VPC created with a _custom_id_ tag " +
	"(its ec2_create_vpc patch leaves moto's default group on the discarded random VpcId)"

// hasDefaultGroup reports whether groups hold a VPC's default group.
func hasDefaultGroup(groups []types.SecurityGroup) bool {
	return slices.ContainsFunc(groups, func(g types.SecurityGroup) bool { return aws.ToString(g.GroupName) == "default" })
}

// ---- tests ----

func TestVPCSingleIntoDefaultAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		seed := vpcSeed{Cidr: "10.10.0.0/16", Secondary: []string{"10.11.0.0/16", "100.64.0.0/20"}, IPv6: true,
			DNSSupport: true, DNSHostnames: true, Tags: map[string]string{"Name": "shared", "team": "network"}}
		id := mkVPC(t, w.src, seed)
		spec := w.spec
		spec.ResourceType, spec.Identifier = ec2.TypeNameVPC, id
		st := w.run(spec)
		mustSucceed(t, st)

		if n := len(st.Resources.Succeeded); n != 1 {
			t.Fatalf("%d succeeded, want 1:\n%s", n, dump(st))
		}
		o := st.Resources.Succeeded[0]
		wantSrcARN := "arn:aws:ec2:eu-central-1:111111111111:vpc/" + id
		if o.ResourceARN != wantSrcARN || o.TargetIdentifier == "" ||
			o.TargetARN != "arn:aws:ec2:eu-central-1:000000000000:vpc/"+o.TargetIdentifier {
			t.Errorf("outcome = %+v, want source ARN %s and a target ARN in 000000000000", o, wantSrcARN)
		}
		// moto 5.2.1 ignores _custom_id_ for EC2: the identity must be reported as different.
		if o.TargetIdentifier != id && o.Identity != job.IdentityDifferent {
			t.Errorf("target id %s differs from %s but identity is %q", o.TargetIdentifier, id, o.Identity)
		}
		// moto assigns a new VpcId (identity different); LocalStack keeps
		// it, in another account than the source's: same_identifier.
		w.checkIdentity(o)
		if tgt.IsLocalStack() && o.TargetARN != "arn:aws:ec2:eu-central-1:000000000000:vpc/"+id {
			t.Errorf("target ARN %s, want the source VpcId %s in account 000000000000", o.TargetARN, id)
		}
		want := viewVPC(t, w.src, id)
		if want.AmazonIPv6 != 1 || !want.DNSHostnames || len(want.Secondary) != 2 {
			t.Fatalf("source VPC not seeded as intended: %+v", want)
		}
		got := viewVPC(t, w.tgt, o.TargetIdentifier)
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Errorf("target VPC differs (-source +target):\n%s", diff)
		}
		v := describeVPC(t, w.tgt, o.TargetIdentifier)
		if marker, _ := tagOf(v.Tags, ec2.SourceIDTag); marker != id {
			t.Errorf("target VPC tag %s = %q, want %s", ec2.SourceIDTag, marker, id)
		}
	})
}

// DNS support off (and so hostnames off) must be copied too: the target's
// default is on.
func TestVPCWithDNSOff(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		id := mkVPC(t, w.src, vpcSeed{Cidr: "10.30.0.0/16"})
		spec := w.spec
		spec.ResourceType, spec.Identifier = ec2.TypeNameVPC, id
		st := w.run(spec)
		mustSucceed(t, st)
		w.checkIdentity(st.Resources.Succeeded[0])
		got := viewVPC(t, w.tgt, st.Resources.Succeeded[0].TargetIdentifier)
		if diff := cmp.Diff(viewVPC(t, w.src, id), got, equateEmpty); diff != "" {
			t.Errorf("target VPC differs (-source +target):\n%s", diff)
		}
	})
}

func TestVPCByARNIntoSourceAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, fixture.SourceAccount)
		id := mkVPC(t, w.src, vpcSeed{Cidr: "10.20.0.0/16", DNSSupport: true})
		spec := w.spec
		spec.ARN = "arn:aws:ec2:eu-central-1:111111111111:vpc/" + id
		st := w.run(spec)
		mustSucceed(t, st)
		o := outcome(t, st.Resources.Succeeded, ec2.TypeNameVPC, id)
		if o.TargetARN != "arn:aws:ec2:eu-central-1:111111111111:vpc/"+o.TargetIdentifier {
			t.Errorf("target ARN %s, want the source account's ARN of %s", o.TargetARN, o.TargetIdentifier)
		}
		switch {
		case o.TargetIdentifier == id && o.Identity != job.IdentitySame:
			t.Errorf("same id in the same account but identity %q", o.Identity)
		case o.TargetIdentifier != id && o.Identity != job.IdentityDifferent:
			t.Errorf("different id %s but identity %q", o.TargetIdentifier, o.Identity)
		}
		// moto assigns a new VpcId (identity different); LocalStack keeps
		// it, in the source account: identity same, the source ARN.
		w.checkIdentity(o)
		if got := viewVPC(t, w.tgt, o.TargetIdentifier); got.Cidr != "10.20.0.0/16" {
			t.Errorf("target VPC = %+v", got)
		}
	})
}

// A subnet's VPC is replicated first, as a dependency, and the subnet is
// created in the target's copy of it.
func TestSubnetSingleReplicatesItsVPC(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		vpc := mkVPC(t, w.src, vpcSeed{Cidr: "10.40.0.0/16", IPv6: true, DNSSupport: true})
		seed := subnetSeed{Cidr: "10.40.7.0/24", AZ: "eu-central-1b", IPv6Index: 7, MapPublic: true, Assign: true,
			Tags: map[string]string{"Name": "public-b", "tier": "public"}}
		id := mkSubnet(t, w.src, vpc, seed)
		spec := w.spec
		spec.ARN = "arn:aws:ec2:eu-central-1:111111111111:subnet/" + id
		st := w.run(spec)
		mustSucceed(t, st)

		vo := outcome(t, st.Resources.Succeeded, ec2.TypeNameVPC, vpc)
		so := outcome(t, st.Resources.Succeeded, ec2.TypeNameSubnet, id)
		if !vo.Dependency || so.Dependency {
			t.Errorf("dependency flags: VPC %t (want true), subnet %t (want false)", vo.Dependency, so.Dependency)
		}
		if so.TargetARN != "arn:aws:ec2:eu-central-1:000000000000:subnet/"+so.TargetIdentifier {
			t.Errorf("subnet target ARN = %s", so.TargetARN)
		}
		// moto assigns new ids (identity different); LocalStack keeps the
		// SubnetId and its VPC's VpcId (same_identifier: another account).
		w.checkIdentities(st.Resources.Succeeded)
		out, err := w.tgt.DescribeSubnets(context.Background(), &awsec2.DescribeSubnetsInput{SubnetIds: []string{so.TargetIdentifier}})
		if err != nil || len(out.Subnets) != 1 {
			t.Fatalf("target subnet %s: %v", so.TargetIdentifier, err)
		}
		sn := out.Subnets[0]
		if got := aws.ToString(sn.VpcId); got != vo.TargetIdentifier {
			t.Errorf("target subnet is in VPC %s, want the copy of the source VPC, %s", got, vo.TargetIdentifier)
		}
		src, err := w.src.DescribeSubnets(context.Background(), &awsec2.DescribeSubnetsInput{SubnetIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		want := viewSubnet(t, w.src, src.Subnets[0])
		if want.IPv6Index != 7 || !want.MapPublic || !want.Assign {
			t.Fatalf("source subnet not seeded as intended: %+v", want)
		}
		if diff := cmp.Diff(want, viewSubnet(t, w.tgt, sn), equateEmpty); diff != "" {
			t.Errorf("target subnet differs (-source +target):\n%s", diff)
		}
	})
}

// Groups A and B refer to each other, and A to itself: replicating A alone
// makes a placeholder for B; replicating B then completes it. Every rule
// must refer to the target's ids.
func TestSecurityGroupCrossAndSelfReferences(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		vpc := mkVPC(t, w.src, vpcSeed{Cidr: "10.50.0.0/16", DNSSupport: true})
		a := mkGroup(t, w.src, vpc, "app", "application servers", map[string]string{"tier": "app"})
		b := mkGroup(t, w.src, vpc, "lb", "load balancers", map[string]string{"tier": "lb"})
		ingress(t, w.src, a,
			perm("tcp", 8080, 8080, b, "from the load balancers"),
			perm("tcp", 9000, 9100, a, "cluster traffic"),
			perm("tcp", 22, 22, "10.0.0.0/8", "corp"),
			perm("tcp", 22, 22, "2001:db8::/32", ""),
			perm("tcp", 443, 443, "pl-12345678", "via prefix list"))
		noDefaultEgress(t, w.src, a)
		egress(t, w.src, a, perm("tcp", 5432, 5432, "10.50.9.0/24", "database"), perm("-1", 0, 0, b, ""))
		ingress(t, w.src, b, perm("tcp", 443, 443, "0.0.0.0/0", ""), perm("icmp", -1, -1, a, "ping"))
		egress(t, w.src, b, perm("tcp", 8080, 8080, a, "to app"))

		srcGroups := groupsOf(t, w.src, byVPC(vpc))
		want := viewGroups(srcGroups, names(srcGroups))

		spec := w.spec
		spec.ResourceType, spec.Identifier = ec2.TypeNameSecurityGroup, a
		st := w.run(spec)
		mustSucceed(t, st)
		vo := outcome(t, st.Resources.Succeeded, ec2.TypeNameVPC, vpc)
		ao := outcome(t, st.Resources.Succeeded, ec2.TypeNameSecurityGroup, a)
		if n := len(st.Resources.Succeeded); n != 2 {
			t.Errorf("%d succeeded, want the VPC and A:\n%s", n, dump(st))
		}
		w.checkIdentities(st.Resources.Succeeded)
		tgtGroups := groupsOf(t, w.tgt, byVPC(vo.TargetIdentifier))
		got := viewGroups(tgtGroups, names(tgtGroups))
		if diff := cmp.Diff(want["app"], got["app"], equateEmpty); diff != "" {
			t.Errorf("A in the target differs (-source +target):\n%s", diff)
		}
		var placeholder types.SecurityGroup
		for _, g := range tgtGroups {
			if aws.ToString(g.GroupName) == "lb" {
				placeholder = g
			}
		}
		if _, ok := tagOf(placeholder.Tags, ec2.PlaceholderTag); !ok || len(placeholder.IpPermissions) != 0 ||
			aws.ToString(placeholder.Description) != "load balancers" {
			t.Fatalf("B after replicating A = %+v, want a placeholder without rules", placeholder)
		}
		// The placeholder carries B's source id as _custom_id_: LocalStack
		// gives it B's GroupId already (moto a new one of its own).
		if tgt.IsLocalStack() && aws.ToString(placeholder.GroupId) != b {
			t.Errorf("placeholder for B has id %s on LocalStack, want B's source id %s", aws.ToString(placeholder.GroupId), b)
		}
		// A's rules name B's and A's own target ids.
		tgtA := describeGroup(t, w.tgt, ao.TargetIdentifier)
		var refs []string
		for _, p := range append(tgtA.IpPermissions, tgtA.IpPermissionsEgress...) {
			for _, pair := range p.UserIdGroupPairs {
				refs = append(refs, aws.ToString(pair.GroupId))
			}
		}
		slices.Sort(refs)
		wantRefs := []string{ao.TargetIdentifier, aws.ToString(placeholder.GroupId), aws.ToString(placeholder.GroupId)}
		slices.Sort(wantRefs)
		if !slices.Equal(refs, wantRefs) {
			t.Errorf("A's group references = %v, want %v (the target ids)", refs, wantRefs)
		}

		spec.Identifier = b
		st = w.run(spec)
		mustSucceed(t, st)
		bo := outcome(t, st.Resources.Succeeded, ec2.TypeNameSecurityGroup, b)
		if bo.TargetIdentifier != aws.ToString(placeholder.GroupId) {
			t.Errorf("B written as %s, want the placeholder %s completed", bo.TargetIdentifier, aws.ToString(placeholder.GroupId))
		}
		w.checkIdentities(st.Resources.Succeeded)
		tgtGroups = groupsOf(t, w.tgt, byVPC(vo.TargetIdentifier))
		got = viewGroups(tgtGroups, names(tgtGroups))
		delete(want, "default")
		delete(got, "default")
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Errorf("groups in the target differ (-source +target):\n%s", diff)
		}
		if _, ok := tagOf(describeGroup(t, w.tgt, bo.TargetIdentifier).Tags, ec2.PlaceholderTag); ok {
			t.Error("B still carries the placeholder tag")
		}
	})
}

func describeGroup(t *testing.T, c *awsec2.Client, id string) types.SecurityGroup {
	t.Helper()
	out, err := c.DescribeSecurityGroups(context.Background(), &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatalf("describing group %s: %v", id, err)
	}
	return out.SecurityGroups[0]
}

func TestSecurityGroupBatchByVPCFilter(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		vpc1 := mkVPC(t, w.src, vpcSeed{Cidr: "10.60.0.0/16", DNSSupport: true})
		vpc2 := mkVPC(t, w.src, vpcSeed{Cidr: "10.61.0.0/16", DNSSupport: true})
		g1 := mkGroup(t, w.src, vpc1, "web", "web", nil)
		g2 := mkGroup(t, w.src, vpc1, "cache", "cache", map[string]string{"k": "v"})
		g3 := mkGroup(t, w.src, vpc2, "other", "other", nil)
		ingress(t, w.src, g1, perm("tcp", 80, 80, g2, ""))
		ingress(t, w.src, g2, perm("tcp", 6379, 6379, g1, "from web"))

		spec := w.spec
		spec.ReplicationType, spec.ResourceType = job.Batch, ec2.TypeNameSecurityGroup
		spec.Identifier = fmt.Sprintf(`{"vpc-id": [%q]}`, vpc1)
		st := w.run(spec)
		mustSucceed(t, st)
		vo := outcome(t, st.Resources.Succeeded, ec2.TypeNameVPC, vpc1)
		outcome(t, st.Resources.Succeeded, ec2.TypeNameSecurityGroup, g1)
		outcome(t, st.Resources.Succeeded, ec2.TypeNameSecurityGroup, g2)
		if n := len(st.Resources.Succeeded); n != 3 {
			t.Errorf("%d succeeded, want VPC + 2 groups (no default group, nothing of the other VPC):\n%s", n, dump(st))
		}
		w.checkIdentities(st.Resources.Succeeded)
		srcGroups := groupsOf(t, w.src, byVPC(vpc1))
		want := viewGroups(srcGroups, names(srcGroups))
		tgtGroups := groupsOf(t, w.tgt, byVPC(vo.TargetIdentifier))
		got := viewGroups(tgtGroups, names(tgtGroups))
		// The default group is no part of the job (each side's own); only
		// LocalStack's bug leaves the target VPC without one. Compared
		// whenever the target has it.
		if !hasDefaultGroup(tgtGroups) && tgt.IsLocalStack() {
			t.Logf("not comparing the default group: %s", noDefaultGroupBug)
			delete(want, "default")
		}
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Errorf("groups differ (-source +target):\n%s", diff)
		}
		for _, g := range tgtGroups {
			if _, ok := tagOf(g.Tags, ec2.PlaceholderTag); ok {
				t.Errorf("group %s is still a placeholder", aws.ToString(g.GroupName))
			}
		}
		if others := groupsOf(t, w.tgt, types.Filter{Name: aws.String("tag:" + ec2.SourceIDTag), Values: []string{g3}}); len(others) != 0 {
			t.Errorf("group %s of the other VPC was replicated", g3)
		}

		// The request's own shape selects the same; a bad filter ends the job in ERROR.
		spec.Identifier = `{"Filters": [{"Name": "group-name", "Values": ["other"]}]}`
		st = w.run(spec)
		mustSucceed(t, st)
		outcome(t, st.Resources.Succeeded, ec2.TypeNameSecurityGroup, g3)
		w.checkIdentities(st.Resources.Succeeded)
		for _, bad := range []string{`{"vpc": ["x"]}`, `vpc-123`} {
			spec.Identifier = bad
			st = w.run(spec)
			if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, "DescribeSecurityGroups filters") {
				t.Errorf("BATCH %s: %s, want ERROR explaining the filter format", bad, dump(st))
			}
		}
	})
}

// The acceptance scenario: a TREE job on a VPC with 3 subnets and 4
// security groups referring to each other (in cycles, to themselves and to
// the VPC's default group) reproduces the whole network. A second job
// skips everything (with ignore_already_existing) or fails, and creates
// nothing twice.
func TestVPCTreeReproducesTheNetwork(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		vpc := mkVPC(t, w.src, vpcSeed{Cidr: "10.70.0.0/16", Secondary: []string{"10.71.0.0/16"}, IPv6: true, DNSSupport: true,
			DNSHostnames: true, Tags: map[string]string{"Name": "prod"}})
		subnets := []subnetSeed{
			{Cidr: "10.70.1.0/24", AZ: "eu-central-1a", IPv6Index: 1, MapPublic: true, Assign: true, Tags: map[string]string{"Name": "public-a"}},
			{Cidr: "10.70.2.0/24", AZ: "eu-central-1b", IPv6Index: -1, Tags: map[string]string{"Name": "private-b"}},
			{Cidr: "10.71.3.0/24", AZ: "eu-central-1c", IPv6Index: 200, Tags: map[string]string{"Name": "data-c", "tier": "data"}},
		}
		for _, s := range subnets {
			mkSubnet(t, w.src, vpc, s)
		}
		lb := mkGroup(t, w.src, vpc, "lb", "load balancers", map[string]string{"tier": "edge"})
		app := mkGroup(t, w.src, vpc, "app", "application", nil)
		db := mkGroup(t, w.src, vpc, "db", "database", map[string]string{"backup": "daily"})
		bastion := mkGroup(t, w.src, vpc, "bastion", "ssh jump host", nil)
		def := groupsOf(t, w.src, byVPC(vpc), types.Filter{Name: aws.String("group-name"), Values: []string{"default"}})[0]
		ingress(t, w.src, lb, perm("tcp", 443, 443, "0.0.0.0/0", "https"), perm("tcp", 443, 443, "::/0", "https v6"))
		noDefaultEgress(t, w.src, lb)
		egress(t, w.src, lb, perm("tcp", 8080, 8080, app, "to app"))
		ingress(t, w.src, app, perm("tcp", 8080, 8080, lb, "from lb"), perm("tcp", 7000, 7001, app, "gossip"),
			perm("tcp", 22, 22, bastion, "ssh"))
		egress(t, w.src, app, perm("tcp", 5432, 5432, db, "postgres"))
		ingress(t, w.src, db, perm("tcp", 5432, 5432, app, "from app"), perm("tcp", 22, 22, bastion, ""),
			perm("tcp", 5432, 5432, aws.ToString(def.GroupId), "from default"))
		noDefaultEgress(t, w.src, db)
		ingress(t, w.src, bastion, perm("tcp", 22, 22, "203.0.113.0/24", "office"), perm("icmp", 8, 0, db, "ping from db"),
			perm("udp", 53, 53, "pl-0abc1234", "dns"))
		egress(t, w.src, bastion, perm("tcp", 22, 22, app, ""), perm("tcp", 22, 22, db, ""))

		spec := w.spec
		spec.ResourceType, spec.Identifier, spec.ExploreStrategy = ec2.TypeNameVPC, vpc, job.Tree
		st := w.run(spec)
		// db's rule naming the source VPC's default group must name the
		// target VPC's default group, which LocalStack does not create.
		if tgt.IsLocalStack() && st.State == job.StateError && st.ErrorMessage != nil &&
			strings.Contains(*st.ErrorMessage, "has no default group") {
			t.Skipf("%s, so db's rule referring to the source VPC's default group cannot be written; the job failed: %s",
				noDefaultGroupBug, *st.ErrorMessage)
		}
		mustSucceed(t, st)
		if n := len(st.Resources.Succeeded); n != 8 {
			t.Errorf("%d succeeded, want 1 VPC + 3 subnets + 4 groups:\n%s", n, dump(st))
		}
		w.checkIdentities(st.Resources.Succeeded)
		vo := outcome(t, st.Resources.Succeeded, ec2.TypeNameVPC, vpc)
		tv := vo.TargetIdentifier

		if diff := cmp.Diff(viewVPC(t, w.src, vpc), viewVPC(t, w.tgt, tv), equateEmpty); diff != "" {
			t.Errorf("VPC differs (-source +target):\n%s", diff)
		}
		subnetViews := func(c *awsec2.Client, v string) map[string]subnetView {
			m := map[string]subnetView{}
			for _, sn := range subnetsOf(t, c, v) {
				m[aws.ToString(sn.CidrBlock)] = viewSubnet(t, c, sn)
			}
			return m
		}
		wantSubnets, gotSubnets := subnetViews(w.src, vpc), subnetViews(w.tgt, tv)
		if len(wantSubnets) != 3 {
			t.Fatalf("source has %d subnets, want 3", len(wantSubnets))
		}
		if diff := cmp.Diff(wantSubnets, gotSubnets, equateEmpty); diff != "" {
			t.Errorf("subnets differ (-source +target):\n%s", diff)
		}
		srcGroups, tgtGroups := groupsOf(t, w.src, byVPC(vpc)), groupsOf(t, w.tgt, byVPC(tv))
		wantGroups, gotGroups := viewGroups(srcGroups, names(srcGroups)), viewGroups(tgtGroups, names(tgtGroups))
		// The default groups are each side's own (rules not replicated); the
		// rule of db that refers to the source default group must refer to
		// the target's default group, which the names make equal.
		delete(wantGroups, "default")
		delete(gotGroups, "default")
		if len(wantGroups) != 4 {
			t.Fatalf("source has %d groups besides default, want 4", len(wantGroups))
		}
		if diff := cmp.Diff(wantGroups, gotGroups, equateEmpty); diff != "" {
			t.Errorf("security groups differ (-source +target):\n%s", diff)
		}
		for _, g := range tgtGroups {
			if _, ok := tagOf(g.Tags, ec2.PlaceholderTag); ok {
				t.Errorf("group %s is still a placeholder", aws.ToString(g.GroupName))
			}
		}

		// Again, with ignore_already_existing: everything is skipped.
		spec.IgnoreAlreadyExisting = true
		st = w.run(spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 8 || len(st.Resources.Succeeded) != 0 {
			t.Errorf("second run: %d skipped, %d succeeded; want 8 skipped:\n%s", len(st.Resources.Skipped), len(st.Resources.Succeeded), dump(st))
		}
		// Again, without: the job fails on the VPC.
		spec.IgnoreAlreadyExisting = false
		st = w.run(spec)
		if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, "ignore_already_existing") {
			t.Errorf("third run: %s, want ERROR about an existing resource", dump(st))
		}
		if n := countVPCsCopiedFrom(t, w.tgt, vpc); n != 1 {
			t.Errorf("%d target VPCs are copies of %s, want 1", n, vpc)
		}
		if n := len(subnetsOf(t, w.tgt, tv)); n != 3 {
			t.Errorf("%d subnets in the target VPC, want 3", n)
		}
		if n := len(groupsOf(t, w.tgt, byVPC(tv))); n != 5 {
			t.Errorf("%d groups in the target VPC, want 5 (4 + default)", n)
		}
	})
}

// A resource already in the target is an error, or skipped with
// ignore_already_existing; its dependency is skipped silently either way.
func TestSubnetAlreadyExisting(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		vpc := mkVPC(t, w.src, vpcSeed{Cidr: "10.80.0.0/16", DNSSupport: true})
		id := mkSubnet(t, w.src, vpc, subnetSeed{Cidr: "10.80.1.0/24", AZ: "eu-central-1a", IPv6Index: -1})
		spec := w.spec
		spec.ResourceType, spec.Identifier = ec2.TypeNameSubnet, id
		first := w.run(spec)
		mustSucceed(t, first)
		firstSubnet := outcome(t, first.Resources.Succeeded, ec2.TypeNameSubnet, id).TargetIdentifier
		w.checkIdentities(first.Resources.Succeeded)

		st := w.run(spec)
		if st.State != job.StateError || len(st.Resources.Failed) != 1 || st.ErrorMessage == nil ||
			!strings.Contains(*st.ErrorMessage, "already exists") {
			t.Errorf("second run: %s, want ERROR for the subnet", dump(st))
		}
		outcome(t, st.Resources.Skipped, ec2.TypeNameVPC, vpc) // the dependency

		spec.IgnoreAlreadyExisting = true
		st = w.run(spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 2 || len(st.Resources.Succeeded) != 0 {
			t.Errorf("third run: %s, want VPC and subnet skipped", dump(st))
		}
		tv := outcome(t, first.Resources.Succeeded, ec2.TypeNameVPC, vpc).TargetIdentifier
		sns := subnetsOf(t, w.tgt, tv)
		if len(sns) != 1 || aws.ToString(sns[0].SubnetId) != firstSubnet || countVPCsCopiedFrom(t, w.tgt, vpc) != 1 {
			t.Errorf("target holds %d subnets in %s (want only %s) and %d copies of the VPC", len(sns), tv, firstSubnet, countVPCsCopiedFrom(t, w.tgt, vpc))
		}
	})
}

func TestNotFoundAndInvalidIdentifiers(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		for _, tc := range []struct{ typ, id, want string }{
			{ec2.TypeNameVPC, "vpc-0123456789abcdef0", `"vpc-0123456789abcdef0" does not exist in the source (account 111111111111, region eu-central-1)`},
			{ec2.TypeNameSubnet, "subnet-0123456789abcdef0", `"subnet-0123456789abcdef0" does not exist in the source`},
			{ec2.TypeNameSecurityGroup, "sg-0123456789abcdef0", `"sg-0123456789abcdef0" does not exist in the source`},
			{ec2.TypeNameVPC, "my-vpc", `"my-vpc" cannot name a AWS::EC2::VPC: its identifiers start with "vpc-"`},
			{ec2.TypeNameSecurityGroup, "web", `identifiers start with "sg-"`},
		} {
			spec := w.spec
			spec.ResourceType, spec.Identifier = tc.typ, tc.id
			st := w.run(spec)
			if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, tc.want) {
				t.Errorf("%s %s: %s\nwant ERROR containing %s", tc.typ, tc.id, dump(st), tc.want)
			}
		}
	})
}

// Six groups that all refer to each other, replicated by a BATCH job
// whose resources are written concurrently: placeholders made by one
// group's write race the referenced group's own write, and every group
// must still end up once, complete, with rules naming the target ids.
func TestSecurityGroupBatchMeshConcurrently(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		w := setup(t, tgt, "")
		vpc := mkVPC(t, w.src, vpcSeed{Cidr: "10.90.0.0/16", DNSSupport: true})
		var ids []string
		for i := range 6 {
			ids = append(ids, mkGroup(t, w.src, vpc, fmt.Sprintf("g%d", i), fmt.Sprintf("group %d", i), nil))
		}
		for i, id := range ids {
			var perms []types.IpPermission
			for j, other := range ids {
				perms = append(perms, perm("tcp", int32(1000+j), int32(1000+j), other, fmt.Sprintf("from g%d to g%d", j, i)))
			}
			ingress(t, w.src, id, perms...)
		}
		spec := w.spec
		spec.ReplicationType, spec.ResourceType = job.Batch, ec2.TypeNameSecurityGroup
		spec.Identifier = fmt.Sprintf(`{"vpc-id": %q}`, vpc)
		st := w.run(spec)
		mustSucceed(t, st)
		if n := len(st.Resources.Succeeded); n != 7 {
			t.Errorf("%d succeeded, want the VPC and 6 groups:\n%s", n, dump(st))
		}
		w.checkIdentities(st.Resources.Succeeded)
		tv := outcome(t, st.Resources.Succeeded, ec2.TypeNameVPC, vpc).TargetIdentifier
		srcGroups, tgtGroups := groupsOf(t, w.src, byVPC(vpc)), groupsOf(t, w.tgt, byVPC(tv))
		// 6 + default; only LocalStack's bug leaves the target VPC without
		// its default group.
		wantN := 7
		if !hasDefaultGroup(tgtGroups) && tgt.IsLocalStack() {
			t.Logf("not counting a default group: %s", noDefaultGroupBug)
			wantN = 6
		}
		if len(tgtGroups) != wantN {
			t.Errorf("%d groups in the target VPC, want %d (6 + default)", len(tgtGroups), wantN)
		}
		want, got := viewGroups(srcGroups, names(srcGroups)), viewGroups(tgtGroups, names(tgtGroups))
		delete(want, "default")
		delete(got, "default")
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Errorf("groups differ (-source +target):\n%s", diff)
		}
		for _, g := range tgtGroups {
			if _, ok := tagOf(g.Tags, ec2.PlaceholderTag); ok {
				t.Errorf("group %s is still a placeholder", aws.ToString(g.GroupName))
			}
		}
	})
}
