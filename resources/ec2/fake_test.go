package ec2

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// fakeGroup is a security group held by fakeEC2.
type fakeGroup struct {
	id, name, desc, vpc string
	tags                []types.Tag
	ingress, egress     []rule
}

// fakeEC2 is an in-memory target holding security groups, enough for the
// security group adapter's Write. Methods it does not implement panic
// (through the nil embedded interface).
type fakeEC2 struct {
	ec2API

	mu      sync.Mutex
	account string
	next    int
	groups  []*fakeGroup // in creation order
	calls   []string
	// beforeCreate, if set, runs at the start of CreateSecurityGroup
	// (with the lock released), to play a concurrent job.
	beforeCreate func(name string)
	// newEgress, if set, are the egress rules of a new group, instead of
	// EC2's one allow-all IPv4 rule.
	newEgress []rule
	// lookups counts DescribeSecurityGroups and DescribeTags calls, which
	// take lookupDelay each (a round trip, so that concurrent writes have
	// a chance to share them).
	lookups     map[string]int
	lookupDelay time.Duration
}

func newFake() *fakeEC2 { return &fakeEC2{account: "000000000000", lookups: map[string]int{}} }

// lookup counts a lookup call and waits lookupDelay, before the lock is taken.
func (f *fakeEC2) lookup(op string) {
	f.mu.Lock()
	f.lookups[op]++
	d := f.lookupDelay
	f.mu.Unlock()
	time.Sleep(d)
}

// lookupCalls returns how many lookup calls of op were made.
func (f *fakeEC2) lookupCalls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups[op]
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

// add puts a group into the fake directly and returns it.
func (f *fakeEC2) add(id, name, vpc string, tags ...types.Tag) *fakeGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := &fakeGroup{id: id, name: name, desc: name, vpc: vpc, tags: tags,
		egress: []rule{{Protocol: "-1", CidrIPv4: "0.0.0.0/0"}}}
	f.groups = append(f.groups, g)
	return g
}

func (f *fakeEC2) byID(id string) *fakeGroup {
	for _, g := range f.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

// group returns a copy of the group with the given id, or nil.
func (f *fakeEC2) group(id string) *fakeGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.byID(id)
	if g == nil {
		return nil
	}
	c := *g
	c.tags, c.ingress, c.egress = slices.Clone(g.tags), slices.Clone(g.ingress), slices.Clone(g.egress)
	return &c
}

func (f *fakeEC2) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (g *fakeGroup) sdk(account string) types.SecurityGroup {
	return types.SecurityGroup{
		GroupId: aws.String(g.id), GroupName: aws.String(g.name), Description: aws.String(g.desc), VpcId: aws.String(g.vpc),
		OwnerId: aws.String(account), Tags: slices.Clone(g.tags),
		IpPermissions: permissions(g.ingress), IpPermissionsEgress: permissions(g.egress),
	}
}

func (g *fakeGroup) matches(f types.Filter) bool {
	name := aws.ToString(f.Name)
	var have string
	switch {
	case name == "group-id":
		have = g.id
	case name == "group-name":
		have = g.name
	case name == "vpc-id":
		have = g.vpc
	case strings.HasPrefix(name, "tag:"):
		if !hasTag(g.tags, strings.TrimPrefix(name, "tag:")) {
			return false
		}
		have = tagValue(g.tags, strings.TrimPrefix(name, "tag:"))
	default:
		panic("fake: unsupported filter " + name)
	}
	return slices.Contains(f.Values, have)
}

func (f *fakeEC2) DescribeSecurityGroups(_ context.Context, in *awsec2.DescribeSecurityGroupsInput, _ ...func(*awsec2.Options)) (*awsec2.DescribeSecurityGroupsOutput, error) {
	f.lookup("DescribeSecurityGroups")
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &awsec2.DescribeSecurityGroupsOutput{}
	for _, id := range in.GroupIds {
		g := f.byID(id)
		if g == nil {
			return nil, apiErr("InvalidGroup.NotFound")
		}
		out.SecurityGroups = append(out.SecurityGroups, g.sdk(f.account))
	}
	if len(in.GroupIds) > 0 {
		return out, nil
	}
next:
	for _, g := range f.groups {
		for _, flt := range in.Filters {
			if !g.matches(flt) {
				continue next
			}
		}
		out.SecurityGroups = append(out.SecurityGroups, g.sdk(f.account))
	}
	return out, nil
}

func (f *fakeEC2) CreateSecurityGroup(_ context.Context, in *awsec2.CreateSecurityGroupInput, _ ...func(*awsec2.Options)) (*awsec2.CreateSecurityGroupOutput, error) {
	if f.beforeCreate != nil {
		f.beforeCreate(aws.ToString(in.GroupName))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CreateSecurityGroup %s", aws.ToString(in.GroupName))
	for _, g := range f.groups {
		if g.name == aws.ToString(in.GroupName) && g.vpc == aws.ToString(in.VpcId) {
			return nil, apiErr("InvalidGroup.Duplicate")
		}
	}
	f.next++
	g := &fakeGroup{id: fmt.Sprintf("sg-tgt%d", f.next), name: aws.ToString(in.GroupName), desc: aws.ToString(in.Description),
		vpc: aws.ToString(in.VpcId), egress: []rule{{Protocol: "-1", CidrIPv4: "0.0.0.0/0"}}}
	if f.newEgress != nil {
		g.egress = slices.Clone(f.newEgress)
	}
	for _, ts := range in.TagSpecifications {
		g.tags = append(g.tags, ts.Tags...)
	}
	f.groups = append(f.groups, g)
	return &awsec2.CreateSecurityGroupOutput{GroupId: aws.String(g.id)}, nil
}

func (f *fakeEC2) DeleteSecurityGroup(_ context.Context, in *awsec2.DeleteSecurityGroupInput, _ ...func(*awsec2.Options)) (*awsec2.DeleteSecurityGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("DeleteSecurityGroup %s", aws.ToString(in.GroupId))
	f.groups = slices.DeleteFunc(f.groups, func(g *fakeGroup) bool { return g.id == aws.ToString(in.GroupId) })
	return &awsec2.DeleteSecurityGroupOutput{}, nil
}

// change applies an authorize or revoke to one rule list.
func (f *fakeEC2) change(op, id string, perms []types.IpPermission, list func(*fakeGroup) *[]rule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.byID(id)
	if g == nil {
		return apiErr("InvalidGroup.NotFound")
	}
	rules := flatten(perms, f.account)
	for _, r := range rules {
		f.record("%s %s %s", op, id, r)
	}
	l := list(g)
	for _, r := range rules {
		if r.GroupID != "" && r.UserID == "" && f.byID(r.GroupID) == nil {
			return apiErr("InvalidGroup.NotFound")
		}
		i := slices.IndexFunc(*l, func(x rule) bool { return x.key() == r.key() })
		switch {
		case strings.HasPrefix(op, "Authorize") && i >= 0:
			return apiErr("InvalidPermission.Duplicate")
		case strings.HasPrefix(op, "Authorize"):
			*l = append(*l, r)
		case i < 0:
			return apiErr("InvalidPermission.NotFound")
		default:
			*l = slices.Delete(*l, i, i+1)
		}
	}
	return nil
}

func ingressOf(g *fakeGroup) *[]rule { return &g.ingress }
func egressOf(g *fakeGroup) *[]rule  { return &g.egress }

func (f *fakeEC2) AuthorizeSecurityGroupIngress(_ context.Context, in *awsec2.AuthorizeSecurityGroupIngressInput, _ ...func(*awsec2.Options)) (*awsec2.AuthorizeSecurityGroupIngressOutput, error) {
	return &awsec2.AuthorizeSecurityGroupIngressOutput{}, f.change("AuthorizeIngress", aws.ToString(in.GroupId), in.IpPermissions, ingressOf)
}

func (f *fakeEC2) AuthorizeSecurityGroupEgress(_ context.Context, in *awsec2.AuthorizeSecurityGroupEgressInput, _ ...func(*awsec2.Options)) (*awsec2.AuthorizeSecurityGroupEgressOutput, error) {
	return &awsec2.AuthorizeSecurityGroupEgressOutput{}, f.change("AuthorizeEgress", aws.ToString(in.GroupId), in.IpPermissions, egressOf)
}

func (f *fakeEC2) RevokeSecurityGroupIngress(_ context.Context, in *awsec2.RevokeSecurityGroupIngressInput, _ ...func(*awsec2.Options)) (*awsec2.RevokeSecurityGroupIngressOutput, error) {
	return &awsec2.RevokeSecurityGroupIngressOutput{}, f.change("RevokeIngress", aws.ToString(in.GroupId), in.IpPermissions, ingressOf)
}

func (f *fakeEC2) RevokeSecurityGroupEgress(_ context.Context, in *awsec2.RevokeSecurityGroupEgressInput, _ ...func(*awsec2.Options)) (*awsec2.RevokeSecurityGroupEgressOutput, error) {
	return &awsec2.RevokeSecurityGroupEgressOutput{}, f.change("RevokeEgress", aws.ToString(in.GroupId), in.IpPermissions, egressOf)
}

// DescribeTags supports what the adapter asks: security group tags by
// resource type, key and value.
func (f *fakeEC2) DescribeTags(_ context.Context, in *awsec2.DescribeTagsInput, _ ...func(*awsec2.Options)) (*awsec2.DescribeTagsOutput, error) {
	f.lookup("DescribeTags")
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &awsec2.DescribeTagsOutput{}
	for _, g := range f.groups {
	tags:
		for _, t := range g.tags {
			for _, flt := range in.Filters {
				var have string
				switch name := aws.ToString(flt.Name); name {
				case "resource-type":
					have = string(types.ResourceTypeSecurityGroup)
				case "key":
					have = aws.ToString(t.Key)
				case "value":
					have = aws.ToString(t.Value)
				default:
					panic("fake: unsupported tag filter " + name)
				}
				if !slices.Contains(flt.Values, have) {
					continue tags
				}
			}
			out.Tags = append(out.Tags, types.TagDescription{ResourceId: aws.String(g.id), ResourceType: types.ResourceTypeSecurityGroup,
				Key: t.Key, Value: t.Value})
		}
	}
	return out, nil
}

func (f *fakeEC2) CreateTags(_ context.Context, in *awsec2.CreateTagsInput, _ ...func(*awsec2.Options)) (*awsec2.CreateTagsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range in.Resources {
		g := f.byID(id)
		if g == nil {
			return nil, apiErr("InvalidID")
		}
		for _, t := range in.Tags {
			g.tags = slices.DeleteFunc(g.tags, func(x types.Tag) bool { return aws.ToString(x.Key) == aws.ToString(t.Key) })
			g.tags = append(g.tags, t)
		}
	}
	return &awsec2.CreateTagsOutput{}, nil
}

func (f *fakeEC2) DeleteTags(_ context.Context, in *awsec2.DeleteTagsInput, _ ...func(*awsec2.Options)) (*awsec2.DeleteTagsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range in.Resources {
		if g := f.byID(id); g != nil {
			for _, t := range in.Tags {
				g.tags = slices.DeleteFunc(g.tags, func(x types.Tag) bool { return aws.ToString(x.Key) == aws.ToString(t.Key) })
			}
		}
	}
	return &awsec2.DeleteTagsOutput{}, nil
}
