package ec2

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/replicator"
)

func port(p int32) *int32 { return &p }

func tcp(from, to int32) rule { return rule{Protocol: "tcp", FromPort: port(from), ToPort: port(to)} }

func (r rule) from(peer string) rule {
	switch {
	case strings.HasPrefix(peer, "sg-"):
		r.GroupID = peer
	case strings.HasPrefix(peer, "pl-"):
		r.PrefixListID = peer
	case strings.Contains(peer, ":"):
		r.CidrIPv6 = peer
	default:
		r.CidrIPv4 = peer
	}
	return r
}

func (r rule) desc(d string) rule { r.Description = d; return r }

var allOut = rule{Protocol: "-1", CidrIPv4: "0.0.0.0/0"}

func testTarget() *replicator.Target {
	return &replicator.Target{Endpoint: replicator.Endpoint{AccountID: "000000000000", Region: "eu-central-1"}}
}

// groupResource is the description of a source group, as Read makes it.
func groupResource(t *testing.T, id string, p groupProps, tags map[string]string) *replicator.Resource {
	t.Helper()
	r := &replicator.Resource{Type: TypeNameSecurityGroup, Identifier: id, Tags: tags}
	if err := r.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	return r
}

func sortRules(rs []rule) []rule {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b rule) int { return strings.Compare(a.key(), b.key()) })
	return rs
}

func wantRules(t *testing.T, what string, got, want []rule) {
	t.Helper()
	if diff := cmp.Diff(sortRules(want), sortRules(got), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// Source groups A and B refer to each other, and A to itself. Written
// one after the other into a target that assigns its own ids, every rule
// must refer to the target ids, B must first be a placeholder and then be
// completed in place, and a second write must report A as existing.
func TestWriteRewritesCrossAndSelfReferences(t *testing.T) {
	f := newFake()
	adapter := &SecurityGroup{newClient: func(aws.Config) ec2API { return f }}
	tgt := testTarget()
	ctx := context.Background()
	refB := groupRef{ID: "sg-b", Name: "b", Description: "group B", VpcID: "vpc-src"}
	refA := groupRef{ID: "sg-a", Name: "a", Description: "group A", VpcID: "vpc-src"}
	a := groupResource(t, "sg-a", groupProps{
		GroupName: "a", Description: "group A", VpcID: "vpc-src",
		Ingress:    []rule{tcp(443, 443).from("sg-b").desc("from b"), tcp(22, 22).from("sg-a"), tcp(22, 22).from("10.0.0.0/8")},
		Egress:     []rule{tcp(5432, 5432).from("sg-b")},
		Referenced: []groupRef{refB},
	}, map[string]string{"team": "a"})
	b := groupResource(t, "sg-b", groupProps{
		GroupName: "b", Description: "group B", VpcID: "vpc-src",
		Ingress:    []rule{{Protocol: "-1", GroupID: "sg-a"}},
		Egress:     []rule{allOut},
		Referenced: []groupRef{refA},
	}, map[string]string{"team": "b"})

	pa, err := adapter.Write(ctx, tgt, a)
	if err != nil {
		t.Fatalf("Write A: %v", err)
	}
	if pa.Identifier != "sg-tgt1" || pa.ARN != "arn:aws:ec2:eu-central-1:000000000000:security-group/sg-tgt1" {
		t.Errorf("A placed as %+v", pa)
	}
	ga, gb := f.group("sg-tgt1"), f.group("sg-tgt2")
	if gb == nil || gb.name != "b" || gb.desc != "group B" || !hasTag(gb.tags, PlaceholderTag) || tagValue(gb.tags, SourceIDTag) != "sg-b" ||
		tagValue(gb.tags, customIDTag) != "sg-b" || len(gb.ingress) != 0 {
		t.Fatalf("B in the target after writing A = %+v, want a placeholder named b", gb)
	}
	wantRules(t, "A ingress", ga.ingress, []rule{tcp(443, 443).from("sg-tgt2").desc("from b"), tcp(22, 22).from("sg-tgt1"), tcp(22, 22).from("10.0.0.0/8")})
	wantRules(t, "A egress (the default allow-all rule replaced)", ga.egress, []rule{tcp(5432, 5432).from("sg-tgt2")})
	if got := readTags(ga.tags); !cmp.Equal(got, map[string]string{"team": "a"}) || tagValue(ga.tags, SourceIDTag) != "sg-a" || hasTag(ga.tags, PlaceholderTag) {
		t.Errorf("A tags = %v", ga.tags)
	}

	f.calls = nil
	groups := len(f.groups)
	pb, err := adapter.Write(ctx, tgt, b)
	if err != nil {
		t.Fatalf("Write B: %v", err)
	}
	if pb.Identifier != "sg-tgt2" {
		t.Errorf("B placed as %s, want the placeholder sg-tgt2 completed", pb.Identifier)
	}
	if len(f.groups) != groups {
		t.Errorf("writing B created a group: %v", f.calls)
	}
	gb = f.group("sg-tgt2")
	wantRules(t, "B ingress", gb.ingress, []rule{{Protocol: "-1", GroupID: "sg-tgt1"}})
	wantRules(t, "B egress (default kept)", gb.egress, []rule{allOut})
	if hasTag(gb.tags, PlaceholderTag) || !cmp.Equal(readTags(gb.tags), map[string]string{"team": "b"}) {
		t.Errorf("B tags after completion = %v", gb.tags)
	}
	if slices.ContainsFunc(f.calls, func(c string) bool { return strings.Contains(c, "Egress") }) {
		t.Errorf("B's egress equals the default, yet it was changed: %v", f.calls)
	}

	again, err := adapter.Write(ctx, tgt, a)
	if !errors.Is(err, replicator.ErrAlreadyExists) || again.Identifier != "sg-tgt1" {
		t.Errorf("second Write of A = %+v, %v; want ErrAlreadyExists with sg-tgt1", again, err)
	}
	if n := len(f.groups); n != 2 {
		t.Errorf("%d groups in the target, want 2", n)
	}
}

// A referenced group that is already in the target (tagged as the copy of
// the source group) is used, not made again; a default group reference
// goes to the target VPC's own default group; a group of another account
// is referred to verbatim.
func TestWriteResolvesExistingDefaultAndForeignGroups(t *testing.T) {
	f := newFake()
	f.add("sg-existing", "b", "vpc-src", types.Tag{Key: aws.String(SourceIDTag), Value: aws.String("sg-b")})
	f.add("sg-tgtdefault", "default", "vpc-src")
	f.add("sg-foreign", "theirs", "vpc-other")
	adapter := &SecurityGroup{newClient: func(aws.Config) ec2API { return f }}
	foreign := tcp(80, 80).from("sg-foreign")
	foreign.UserID = "999999999999"
	a := groupResource(t, "sg-a", groupProps{
		GroupName: "a", Description: "A", VpcID: "vpc-src",
		Ingress: []rule{tcp(1, 1).from("sg-b"), tcp(2, 2).from("sg-srcdefault"), foreign, tcp(3, 3).from("sg-gone")},
		Egress:  []rule{allOut},
		Referenced: []groupRef{{ID: "sg-b", Name: "b", Description: "B", VpcID: "vpc-src"},
			{ID: "sg-srcdefault", Name: "default", Description: "default VPC security group", VpcID: "vpc-src"}},
	}, nil)
	f.add("sg-gone", "stale", "vpc-src") // the target knows it by the source id (as LocalStack would)
	if _, err := adapter.Write(context.Background(), testTarget(), a); err != nil {
		t.Fatal(err)
	}
	g := f.group("sg-tgt1")
	wantRules(t, "ingress", g.ingress, []rule{tcp(1, 1).from("sg-existing"), tcp(2, 2).from("sg-tgtdefault"), foreign, tcp(3, 3).from("sg-gone")})
	if n := len(f.groups); n != 5 {
		t.Errorf("%d groups in the target, want 5 (no placeholder)", n)
	}
}

// When a concurrent job creates a placeholder for the group while Write is
// creating it, CreateSecurityGroup fails as a duplicate; Write must find
// the placeholder and complete it.
func TestWriteCompletesAPlaceholderMadeConcurrently(t *testing.T) {
	f := newFake()
	f.beforeCreate = func(name string) {
		f.beforeCreate = nil
		f.add("sg-racer", name, "vpc-src",
			types.Tag{Key: aws.String(SourceIDTag), Value: aws.String("sg-b")},
			types.Tag{Key: aws.String(PlaceholderTag), Value: aws.String("true")})
	}
	adapter := &SecurityGroup{newClient: func(aws.Config) ec2API { return f }}
	b := groupResource(t, "sg-b", groupProps{GroupName: "b", Description: "B", VpcID: "vpc-src",
		Ingress: []rule{tcp(5, 5).from("sg-b")}}, map[string]string{"k": "v"})
	p, err := adapter.Write(context.Background(), testTarget(), b)
	if err != nil || p.Identifier != "sg-racer" {
		t.Fatalf("Write = %+v, %v; want the concurrent placeholder sg-racer", p, err)
	}
	g := f.group("sg-racer")
	wantRules(t, "ingress", g.ingress, []rule{tcp(5, 5).from("sg-racer")})
	wantRules(t, "egress (source has none)", g.egress, nil)
	if hasTag(g.tags, PlaceholderTag) || tagValue(g.tags, "k") != "v" {
		t.Errorf("tags = %v", g.tags)
	}
}

// A group that cannot be completed is deleted again; a group of the same
// name that is the copy of another source group is not taken over.
func TestWriteRollsBackAndRefusesSomeoneElsesGroup(t *testing.T) {
	f := newFake()
	adapter := &SecurityGroup{newClient: func(aws.Config) ec2API { return f }}
	bad := groupResource(t, "sg-a", groupProps{GroupName: "a", Description: "A", VpcID: "vpc-src",
		Ingress: []rule{tcp(1, 1).from("sg-nowhere")}}, nil)
	if _, err := adapter.Write(context.Background(), testTarget(), bad); err == nil {
		t.Fatal("Write with a rule the target refuses succeeded")
	}
	if n := len(f.groups); n != 0 {
		t.Errorf("%d groups left in the target after a failed write, want 0", n)
	}

	f.add("sg-other", "a", "vpc-src", types.Tag{Key: aws.String(SourceIDTag), Value: aws.String("sg-zzz")})
	ok := groupResource(t, "sg-a", groupProps{GroupName: "a", Description: "A", VpcID: "vpc-src"}, nil)
	_, err := adapter.Write(context.Background(), testTarget(), ok)
	if err == nil || errors.Is(err, replicator.ErrAlreadyExists) || !strings.Contains(err.Error(), "sg-zzz") {
		t.Errorf("Write over another source group's copy: %v, want an error naming sg-zzz", err)
	}
}

func TestWriteDefaultGroupIsAlreadyThere(t *testing.T) {
	f := newFake()
	f.add("sg-tgtdefault", "default", "vpc-src")
	adapter := &SecurityGroup{newClient: func(aws.Config) ec2API { return f }}
	d := groupResource(t, "sg-srcdefault", groupProps{GroupName: "default", Description: "default VPC security group", VpcID: "vpc-src",
		Ingress: []rule{{Protocol: "-1", GroupID: "sg-srcdefault"}}}, nil)
	p, err := adapter.Write(context.Background(), testTarget(), d)
	if !errors.Is(err, replicator.ErrAlreadyExists) || p.Identifier != "sg-tgtdefault" {
		t.Errorf("Write of a default group = %+v, %v; want ErrAlreadyExists with the target's default group", p, err)
	}
	if len(f.calls) != 0 {
		t.Errorf("writes made: %v", f.calls)
	}
}

func TestFlattenAndPermissionsRoundTrip(t *testing.T) {
	perms := []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
		IpRanges:         []types.IpRange{{CidrIp: aws.String("10.0.0.0/8"), Description: aws.String("corp")}, {CidrIp: aws.String("192.168.0.0/16")}},
		Ipv6Ranges:       []types.Ipv6Range{{CidrIpv6: aws.String("2001:db8::/32")}},
		PrefixListIds:    []types.PrefixListId{{PrefixListId: aws.String("pl-1")}},
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-1"), UserId: aws.String("111111111111")}, {GroupId: aws.String("sg-2"), UserId: aws.String("222222222222"), VpcId: aws.String("vpc-2")}},
	}, {
		IpProtocol: aws.String("-1"), FromPort: aws.Int32(-1), ToPort: aws.Int32(-1),
		IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
	}}
	got := flatten(perms, "111111111111")
	foreign := tcp(22, 22).from("sg-2")
	foreign.UserID, foreign.VpcID = "222222222222", "vpc-2"
	want := []rule{tcp(22, 22).from("10.0.0.0/8").desc("corp"), tcp(22, 22).from("192.168.0.0/16"), tcp(22, 22).from("2001:db8::/32"),
		tcp(22, 22).from("pl-1"), tcp(22, 22).from("sg-1"), foreign, allOut}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("flatten (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, flatten(permissions(got), "111111111111")); diff != "" {
		t.Errorf("flatten(permissions(rules)) (-want +got):\n%s", diff)
	}
	if ids := referencedGroups("sg-1", got); len(ids) != 0 {
		t.Errorf("referencedGroups without self and foreign = %v, want none", ids)
	}
	if ids := referencedGroups("sg-x", got, got); !cmp.Equal(ids, []string{"sg-1"}) {
		t.Errorf("referencedGroups = %v, want [sg-1]", ids)
	}
}

func TestDiffRules(t *testing.T) {
	want := []rule{tcp(1, 1).from("10.0.0.0/8").desc("new"), tcp(2, 2).from("sg-x"), tcp(2, 2).from("sg-x")}
	have := []rule{tcp(1, 1).from("10.0.0.0/8").desc("old"), allOut}
	add, remove := diffRules(want, have)
	if diff := cmp.Diff([]rule{want[0], want[1]}, add); diff != "" {
		t.Errorf("add (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(have, remove); diff != "" {
		t.Errorf("remove (-want +got):\n%s", diff)
	}
}

func TestCarveIPv6(t *testing.T) {
	for _, tc := range []struct {
		subnet, srcVPC string
		index          int
		tgt            []string
		want, err      string
	}{
		{"2400:6500:abcd:7b03::/64", "2400:6500:abcd:7b00::/56", 0, []string{"2400:6500:1234:5600::/56"}, "2400:6500:1234:5603::/64", ""},
		{"2400:6500:09fd:7bff::/64", "2400:6500:09fd:7b00::/56", 0, []string{"2a05:d014:0:100::/56"}, "2a05:d014:0:1ff::/64", ""},
		{"2400:6500:abcd:7b03::/64", "2400:6500:abcd:7b00::/56", 0, []string{"2400:6500:abcd:7b00::/56"}, "2400:6500:abcd:7b03::/64", ""},
		{"2001:db8:0:1::/64", "2001:db8::/56", 1, []string{"2001:db9::/56", "2001:dba::/56"}, "2001:dba:0:1::/64", ""},
		{"2001:db8:0:1::/64", "2001:db8::/56", 0, nil, "", "no IPv6 block"},
		{"2001:db8:0:1::/64", "2001:db8::/56", 0, []string{"2001:db9::/72"}, "", "cannot carve"},
	} {
		got, err := carveIPv6(tc.subnet, tc.srcVPC, tc.index, tc.tgt)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("carveIPv6(%s in %v) = %q, %v; want error %q", tc.subnet, tc.tgt, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("carveIPv6(%s of %s into %v) = %q, %v; want %s", tc.subnet, tc.srcVPC, tc.tgt, got, err, tc.want)
		}
	}
}

func TestContainingBlock(t *testing.T) {
	blocks := []ipv6Block{{CidrBlock: "2001:db8::/56"}, {CidrBlock: "2400:6500:09fd:7b00::/56"}}
	if i, b := containingBlock("2400:6500:9fd:7b03::/64", blocks); i != 1 || b != "2400:6500:09fd:7b00::/56" {
		t.Errorf("containingBlock = %d %s", i, b)
	}
	if _, b := containingBlock("2001:db9::/64", blocks); b != "" {
		t.Errorf("containingBlock of an outside block = %s", b)
	}
}

func TestParseGroupFilters(t *testing.T) {
	f := func(name string, values ...string) types.Filter { return filter(name, values...) }
	for _, tc := range []struct {
		in   string
		want []types.Filter
		err  string
	}{
		{in: "", want: nil},
		{in: "  ", want: nil},
		{in: "{}", want: nil},
		{in: `{"vpc-id": ["vpc-1", "vpc-2"], "group-name": "web"}`, want: []types.Filter{f("group-name", "web"), f("vpc-id", "vpc-1", "vpc-2")}},
		{in: `{"tag:team": ["a"]}`, want: []types.Filter{f("tag:team", "a")}},
		{in: `{"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]}`, want: []types.Filter{f("vpc-id", "vpc-1")}},
		{in: `vpc-1`, err: "is not a JSON object"},
		{in: `["vpc-1"]`, err: "is not a JSON object"},
		{in: `{"vpc": ["vpc-1"]}`, err: `unknown filter "vpc"`},
		{in: `{"tag:": ["x"]}`, err: `unknown filter "tag:"`},
		{in: `{"vpc-id": []}`, err: `filter "vpc-id" has no values`},
		{in: `{"vpc-id": 3}`, err: "neither a string nor a list of strings"},
		{in: `{"Filters": [{"Name": "vpc-id", "Value": ["x"]}]}`, err: `"Filters" is not a list`},
	} {
		got, err := parseGroupFilters(tc.in)
		if tc.err != "" {
			if !errors.Is(err, replicator.ErrInvalidIdentifier) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseGroupFilters(%s) error = %v, want ErrInvalidIdentifier containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseGroupFilters(%s): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b types.Filter) bool {
			return aws.ToString(a.Name) == aws.ToString(b.Name) && slices.Equal(a.Values, b.Values)
		})); diff != "" {
			t.Errorf("parseGroupFilters(%s) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestARNs(t *testing.T) {
	for _, tc := range []struct{ region, want string }{
		{"eu-central-1", "arn:aws:ec2:eu-central-1:111111111111:vpc/vpc-1"},
		{"cn-north-1", "arn:aws-cn:ec2:cn-north-1:111111111111:vpc/vpc-1"},
		{"us-gov-west-1", "arn:aws-us-gov:ec2:us-gov-west-1:111111111111:vpc/vpc-1"},
	} {
		if got := resourceARN(&replicator.Endpoint{AccountID: "111111111111", Region: tc.region}, "vpc", "vpc-1"); got != tc.want {
			t.Errorf("resourceARN in %s = %s, want %s", tc.region, got, tc.want)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		r    replicator.ARNResolver
		arn  string
		want string
	}{
		{NewVPC(), "arn:aws:ec2:eu-central-1:111111111111:vpc/vpc-0abc", "vpc-0abc"},
		{NewSubnet(), "arn:aws:ec2:eu-central-1:111111111111:subnet/subnet-0abc", "subnet-0abc"},
		{NewSecurityGroup(), "arn:aws:ec2:eu-central-1:111111111111:security-group/sg-0abc", "sg-0abc"},
		{NewVPC(), "arn:aws:ec2:eu-central-1:111111111111:vpc/subnet-0abc", ""},
		{NewSubnet(), "arn:aws:ec2:eu-central-1:111111111111:vpc/vpc-0abc", ""},
	} {
		a, err := arn.Parse(tc.arn)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tc.r.IdentifierFromARN(ctx, nil, a)
		if tc.want == "" {
			if !errors.Is(err, replicator.ErrInvalidIdentifier) {
				t.Errorf("IdentifierFromARN(%s) = %q, %v; want ErrInvalidIdentifier", tc.arn, got, err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("IdentifierFromARN(%s) = %q, %v; want %s", tc.arn, got, err, tc.want)
		}
	}
}

func TestTagsWrittenAndRead(t *testing.T) {
	specs := createTags(types.ResourceTypeVpc, "vpc-src", map[string]string{"b": "2", "a": "1", "aws:cloudformation:stack-name": "s", customIDTag: "x"})
	var got []string
	for _, tg := range specs[0].Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	want := []string{"a=1", "b=2", customIDTag + "=vpc-src", SourceIDTag + "=vpc-src"}
	if !slices.Equal(got, want) || specs[0].ResourceType != types.ResourceTypeVpc {
		t.Errorf("createTags = %v %s, want %v", got, specs[0].ResourceType, want)
	}
	if m := readTags(specs[0].Tags); !cmp.Equal(m, map[string]string{"a": "1", "b": "2"}) {
		t.Errorf("readTags = %v", m)
	}
	if m := readTags([]types.Tag{{Key: aws.String(customIDTag), Value: aws.String("x")}}); m != nil {
		t.Errorf("readTags of internal tags only = %v, want nil", m)
	}
}

// Write assumes a new group has EC2's one allow-all IPv4 egress rule and
// checks it with the read-back: a target that made the group otherwise
// (moto adds allow-all IPv6 in a VPC with IPv6; an emulator might
// add nothing) is corrected, whether the difference makes a rule change
// fail or goes unnoticed until the read-back.
func TestWriteCorrectsOtherInitialRules(t *testing.T) {
	allOut6 := rule{Protocol: "-1", CidrIPv6: "::/0"}
	for _, tc := range []struct {
		name           string
		newEgress      []rule
		want           []rule
		wantRuleWrites int
	}{
		{"extra IPv6 rule unwanted", []rule{allOut, allOut6}, []rule{allOut}, 1},
		{"extra IPv6 rule wanted", []rule{allOut, allOut6}, []rule{allOut, allOut6}, 1},
		{"no default rule", []rule{}, []rule{allOut}, 1},
		{"as assumed", []rule{allOut}, []rule{allOut}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.newEgress = tc.newEgress
			adapter := &SecurityGroup{newClient: func(aws.Config) ec2API { return f }}
			r := groupResource(t, "sg-src", groupProps{GroupName: "web", Description: "web", VpcID: "vpc-src", Egress: tc.want}, nil)
			p, err := adapter.Write(context.Background(), testTarget(), r)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			wantRules(t, "egress", f.group(p.Identifier).egress, tc.want)
			writes := 0
			for _, c := range f.calls {
				if strings.Contains(c, "Egress") {
					writes++
				}
			}
			if writes != tc.wantRuleWrites {
				t.Errorf("%d egress changes (%v), want %d", writes, f.calls, tc.wantRuleWrites)
			}
		})
	}
}
