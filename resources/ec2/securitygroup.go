package ec2

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/internal/coalesce"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// defaultGroupName is the name of the security group every VPC gets when
// it is created; no other group can have it.
const defaultGroupName = "default"

// SecurityGroup replicates AWS::EC2::SecurityGroup: name, description,
// VPC (a dependency), ingress and egress rules (IPv4 and IPv6 ranges,
// prefix lists, and references to other groups, rewritten to the target's
// ids), and tags. Its identifier is the group id; a BATCH job's identifier
// is an optional JSON object of DescribeSecurityGroups filters.
//
// A rule that refers to another group of the account needs that group in
// the target. Such references are not dependencies (groups commonly refer
// to each other, A to B and B to A, which no order can satisfy): Write
// finds the referenced group in the target, or creates a placeholder for
// it from the name, description and VPC recorded in the description, and
// replicating the referenced group later completes the placeholder. See
// the package documentation.
type SecurityGroup struct {
	newClient func(aws.Config) ec2API
}

// NewSecurityGroup returns the AWS::EC2::SecurityGroup adapter.
func NewSecurityGroup() *SecurityGroup { return &SecurityGroup{newClient: newEC2} }

var (
	_ replicator.ResourceReplicator = (*SecurityGroup)(nil)
	_ replicator.ARNResolver        = (*SecurityGroup)(nil)
	_ replicator.Lister             = (*SecurityGroup)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*SecurityGroup) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeNameSecurityGroup,
		Identifier:      "GroupId",
		ARNService:      "ec2",
		ARNResourceType: "security-group",
		Batch: `optional JSON object of DescribeSecurityGroups filters, e.g. {"vpc-id": ["vpc-0123"], "group-name": ["web"]} ` +
			`(or {"Filters": [{"Name": "vpc-id", "Values": ["vpc-0123"]}]}); "" selects every group; default groups are always left out`,
		// A group lives in its VPC, which is replicated first.
		Dependencies: []string{TypeNameVPC},
		Actions:      []string{"ec2:DescribeSecurityGroups"},
	}
}

// groupProps is the adapter's description of a security group.
type groupProps struct {
	GroupName   string `json:"group_name"`
	Description string `json:"description"`
	VpcID       string `json:"vpc_id,omitempty"`
	OwnerID     string `json:"owner_id,omitempty"`
	Ingress     []rule `json:"ingress,omitempty"`
	Egress      []rule `json:"egress,omitempty"`
	// Referenced describes the other groups of the account the rules
	// refer to, enough to create a placeholder for each in the target.
	Referenced []groupRef `json:"referenced_groups,omitempty"`
}

// groupRef is what a placeholder of a referenced group is made from.
type groupRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	VpcID       string `json:"vpc_id,omitempty"`
}

func (g *SecurityGroup) client(e *replicator.Endpoint) ec2API { return client(e, g.newClient) }

// IdentifierFromARN implements replicator.ARNResolver.
func (*SecurityGroup) IdentifierFromARN(_ context.Context, _ *replicator.Source, a arn.ARN) (string, error) {
	return idFromARN(TypeNameSecurityGroup, a, "security-group", "sg-")
}

// isDefaultGroup reports whether g is a VPC's default group.
func isDefaultGroup(g types.SecurityGroup) bool { return aws.ToString(g.GroupName) == defaultGroupName }

// describeGroup returns the group with the given id, or nil if there is none.
func describeGroup(ctx context.Context, c ec2API, id string) (*types.SecurityGroup, error) {
	out, err := c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if apierr.Has(err, "InvalidGroup.NotFound", "InvalidGroupId.Malformed", "InvalidGroupId.NotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing security group %s: %w", id, err)
	}
	for i := range out.SecurityGroups {
		if aws.ToString(out.SecurityGroups[i].GroupId) == id {
			return &out.SecurityGroups[i], nil
		}
	}
	return nil, nil
}

// eachGroup calls fn for every group the filters select.
func eachGroup(ctx context.Context, c ec2API, filters []types.Filter, fn func(page []types.SecurityGroup) error) error {
	pages := awsec2.NewDescribeSecurityGroupsPaginator(c, &awsec2.DescribeSecurityGroupsInput{Filters: filters})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		if err := fn(page.SecurityGroups); err != nil {
			return err
		}
	}
	return nil
}

// firstGroup returns the first group the filters select, or nil.
func firstGroup(ctx context.Context, c ec2API, filters ...types.Filter) (*types.SecurityGroup, error) {
	var found *types.SecurityGroup
	err := eachGroup(ctx, c, filters, func(page []types.SecurityGroup) error {
		if found == nil && len(page) > 0 {
			found = &page[0]
		}
		return nil
	})
	return found, err
}

// Read implements replicator.ResourceReplicator: one DescribeSecurityGroups
// for the group and, if its rules refer to other groups of the account,
// one (paged) for those.
func (g *SecurityGroup) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	if err := checkID(TypeNameSecurityGroup, id, "sg-"); err != nil {
		return nil, err
	}
	c := g.client(&src.Endpoint)
	grp, err := describeGroup(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if grp == nil {
		return nil, fmt.Errorf("%w: security group %q", replicator.ErrNotFound, id)
	}
	return g.describe(ctx, src, c, *grp, nil)
}

// describe builds the description of grp. known holds groups already read
// (by id), which spares describing them again as referenced groups.
func (g *SecurityGroup) describe(ctx context.Context, src *replicator.Source, c ec2API, grp types.SecurityGroup,
	known map[string]types.SecurityGroup) (*replicator.Resource, error) {
	id := aws.ToString(grp.GroupId)
	owner := cmp.Or(aws.ToString(grp.OwnerId), src.AccountID)
	props := groupProps{
		GroupName:   aws.ToString(grp.GroupName),
		Description: aws.ToString(grp.Description),
		VpcID:       aws.ToString(grp.VpcId),
		OwnerID:     owner,
		Ingress:     flatten(grp.IpPermissions, owner),
		Egress:      flatten(grp.IpPermissionsEgress, owner),
	}
	refs := referencedGroups(id, props.Ingress, props.Egress)
	byID := map[string]types.SecurityGroup{}
	var missing []string
	for _, ref := range refs {
		if k, ok := known[ref]; ok {
			byID[ref] = k
		} else {
			missing = append(missing, ref)
		}
	}
	if len(missing) > 0 {
		// A filter, unlike GroupIds, does not fail on a group that no
		// longer exists (a stale reference): such a reference is kept as is.
		err := eachGroup(ctx, c, []types.Filter{filter("group-id", missing...)}, func(page []types.SecurityGroup) error {
			for _, r := range page {
				byID[aws.ToString(r.GroupId)] = r
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("describing the groups the rules of security group %s refer to: %w", id, err)
		}
	}
	res := &replicator.Resource{Type: TypeNameSecurityGroup, Identifier: id, ARN: resourceARN(&src.Endpoint, "security-group", id),
		Tags: readTags(grp.Tags)}
	if props.VpcID != "" {
		res.DependsOn = append(res.DependsOn, replicator.Ref{Type: TypeNameVPC, Identifier: props.VpcID, Reason: "a security group belongs to its VPC"})
	}
	otherVPCs := map[string]bool{}
	for _, ref := range refs {
		r, ok := byID[ref]
		if !ok {
			continue
		}
		gr := groupRef{ID: ref, Name: aws.ToString(r.GroupName), Description: aws.ToString(r.Description), VpcID: aws.ToString(r.VpcId)}
		props.Referenced = append(props.Referenced, gr)
		if gr.VpcID != "" && gr.VpcID != props.VpcID {
			otherVPCs[gr.VpcID] = true
		}
	}
	for _, v := range slices.Sorted(maps.Keys(otherVPCs)) {
		res.DependsOn = append(res.DependsOn, replicator.Ref{Type: TypeNameVPC, Identifier: v,
			Reason: "a rule refers to a security group in this (peered) VPC"})
	}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

// List implements replicator.Lister: filter is "" or a JSON object of
// DescribeSecurityGroups filters (see parseGroupFilters). Default groups
// are left out.
func (g *SecurityGroup) List(ctx context.Context, src *replicator.Source, filter string, emit func(*replicator.Resource) error) error {
	filters, err := parseGroupFilters(filter)
	if err != nil {
		return err
	}
	c := g.client(&src.Endpoint)
	return eachGroup(ctx, c, filters, func(page []types.SecurityGroup) error {
		known := make(map[string]types.SecurityGroup, len(page))
		for _, grp := range page {
			known[aws.ToString(grp.GroupId)] = grp
		}
		for _, grp := range page {
			if isDefaultGroup(grp) {
				continue
			}
			res, err := g.describe(ctx, src, c, grp, known)
			if err != nil {
				return err
			}
			if err := emit(res); err != nil {
				return err
			}
		}
		return nil
	})
}

// groupFilterNames are the filter names DescribeSecurityGroups accepts,
// besides "tag:KEY".
var groupFilterNames = []string{
	"description",
	"egress.ip-permission.cidr", "egress.ip-permission.from-port", "egress.ip-permission.group-id",
	"egress.ip-permission.group-name", "egress.ip-permission.ipv6-cidr", "egress.ip-permission.prefix-list-id",
	"egress.ip-permission.protocol", "egress.ip-permission.to-port", "egress.ip-permission.user-id",
	"group-id", "group-name",
	"ip-permission.cidr", "ip-permission.from-port", "ip-permission.group-id", "ip-permission.group-name",
	"ip-permission.ipv6-cidr", "ip-permission.prefix-list-id", "ip-permission.protocol", "ip-permission.to-port",
	"ip-permission.user-id",
	"owner-id", "tag-key", "vpc-id",
}

// parseGroupFilters parses a BATCH identifier: "" (every group), or a
// JSON object whose keys are filter names and values a string or a list of
// strings ({"vpc-id": ["vpc-0123"], "group-name": "web"}), or the
// DescribeSecurityGroups request shape {"Filters": [{"Name": ..., "Values": [...]}]}.
func parseGroupFilters(s string) ([]types.Filter, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return nil, nil
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: BATCH identifier for %s: "+format+`; want "" or a JSON object of DescribeSecurityGroups filters such as {"vpc-id": ["vpc-0123"], "group-name": ["web"]}`,
			append([]any{replicator.ErrInvalidIdentifier, TypeNameSecurityGroup}, args...)...)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, invalid("%q is not a JSON object: %v", s, err)
	}
	var out []types.Filter
	add := func(name string, values []string) error {
		if !slices.Contains(groupFilterNames, name) && !(strings.HasPrefix(name, "tag:") && len(name) > len("tag:")) {
			return invalid("unknown filter %q (known: %s, tag:KEY)", name, strings.Join(groupFilterNames, ", "))
		}
		if len(values) == 0 {
			return invalid("filter %q has no values", name)
		}
		out = append(out, filter(name, values...))
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		if name == "Filters" {
			var fs []struct {
				Name   string
				Values []string
			}
			dec := json.NewDecoder(bytes.NewReader(raw[name]))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&fs); err != nil {
				return nil, invalid(`"Filters" is not a list of {"Name": ..., "Values": [...]}: %v`, err)
			}
			for _, f := range fs {
				if err := add(f.Name, f.Values); err != nil {
					return nil, err
				}
			}
			continue
		}
		var values []string
		if err := json.Unmarshal(raw[name], &values); err != nil {
			var one string
			if json.Unmarshal(raw[name], &one) != nil {
				return nil, invalid("the value of filter %q is neither a string nor a list of strings", name)
			}
			values = []string{one}
		}
		if err := add(name, values); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Lookups in the target are coalesced across concurrent writes (see
// groupTarget): up to lookupMax keys per batch, and at most filterValues
// values per filter of a call (EC2 takes up to 200). A lookup made while
// another is under way waits for it to end (at most lookupWait) and goes
// with the others that gathered meanwhile; one made when none is goes at
// once, so that a single-group job is not delayed.
const (
	lookupMax    = 100
	filterValues = 100
	lookupWait   = 100 * time.Millisecond
)

// groupTarget is the security group adapter's view of one target: its
// client and the batchers through which the concurrent writes of a job
// look groups up, many per call.
//
// Lookups are the read-backs of the groups written and, for groups the
// target already has, the search for their copies (by id, then by
// SourceIDTag). Groups written at about the same time (a BATCH job) share
// them.
type groupTarget struct {
	tgt *replicator.Target
	c   ec2API
	// copies finds the copies of source groups, keyed by source id.
	copies *coalesce.Batcher[string, types.SecurityGroup]
	// byID finds groups by target id.
	byID *coalesce.Batcher[string, types.SecurityGroup]
}

// target returns the groupTarget of tgt, made once per target endpoint
// (each job has its own), so that its batchers serve the job's writes.
func (g *SecurityGroup) target(tgt *replicator.Target) *groupTarget {
	return replicator.Client(&tgt.Endpoint, "ec2.securitygroups", func(aws.Config) *groupTarget {
		gt := &groupTarget{tgt: tgt, c: g.client(&tgt.Endpoint)}
		gt.copies = &coalesce.Batcher[string, types.SecurityGroup]{Max: lookupMax, Wait: lookupWait, Fetch: gt.fetchCopies}
		gt.byID = &coalesce.Batcher[string, types.SecurityGroup]{Max: lookupMax, Wait: lookupWait, Fetch: gt.fetchByID}
		return gt
	})
}

// fetchByID describes the groups of the given target ids, with a group-id
// filter: unlike GroupIds, it does not fail on an id the target lacks.
func (gt *groupTarget) fetchByID(ctx context.Context, ids []string) (map[string]types.SecurityGroup, error) {
	found := make(map[string]types.SecurityGroup, len(ids))
	for chunk := range slices.Chunk(ids, filterValues) {
		err := eachGroup(ctx, gt.c, []types.Filter{filter("group-id", chunk...)}, func(page []types.SecurityGroup) error {
			for _, grp := range page {
				found[aws.ToString(grp.GroupId)] = grp
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

// fetchCopies finds the target copies of the source groups srcIDs: the
// group with the target id recorded for each (else its source id, which
// LocalStack keeps), else a group tagged SourceIDTag = the source id.
//
// The tagged groups are found with DescribeTags, then described with the
// others by id: two calls for the whole batch. A tag filter of
// DescribeSecurityGroups would select the same groups in one call, but
// moto evaluates it by reading, for every group of the account, every tag
// of the account: 65 to 140 ms a call with 200 groups (whatever the number
// of values), where DescribeTags takes 5 ms.
func (gt *groupTarget) fetchCopies(ctx context.Context, srcIDs []string) (map[string]types.SecurityGroup, error) {
	tagged := map[string][]string{} // source id → target ids tagged with it
	for chunk := range slices.Chunk(srcIDs, filterValues) {
		pages := awsec2.NewDescribeTagsPaginator(gt.c, &awsec2.DescribeTagsInput{Filters: []types.Filter{
			filter("resource-type", string(types.ResourceTypeSecurityGroup)),
			filter("key", SourceIDTag),
			filter("value", chunk...),
		}})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("looking for groups tagged %s: %w", SourceIDTag, err)
			}
			for _, t := range page.Tags {
				if aws.ToString(t.Key) == SourceIDTag && t.ResourceType == types.ResourceTypeSecurityGroup {
					src := aws.ToString(t.Value)
					tagged[src] = append(tagged[src], aws.ToString(t.ResourceId))
				}
			}
		}
	}
	ids := make([]string, 0, len(srcIDs))
	for _, src := range srcIDs {
		ids = append(ids, gt.tgt.TargetID(TypeNameSecurityGroup, src))
		ids = append(ids, tagged[src]...)
	}
	slices.Sort(ids)
	groups, err := gt.fetchByID(ctx, slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	found := make(map[string]types.SecurityGroup, len(srcIDs))
	for _, src := range srcIDs {
		for _, id := range append([]string{gt.tgt.TargetID(TypeNameSecurityGroup, src)}, tagged[src]...) {
			if grp, ok := groups[id]; ok {
				found[src] = grp
				break
			}
		}
	}
	return found, nil
}

// group returns the target group with the given id, or nil.
func (gt *groupTarget) group(ctx context.Context, id string) (*types.SecurityGroup, error) {
	grp, ok, err := gt.byID.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("describing security group %s: %w", id, err)
	}
	if !ok {
		return nil, nil
	}
	return &grp, nil
}

// find returns the group the target holds for the source group srcID, or
// nil: by id (LocalStack keeps ids), then by SourceIDTag.
func (gt *groupTarget) find(ctx context.Context, srcID string) (*types.SecurityGroup, error) {
	grp, ok, err := gt.copies.Get(ctx, srcID)
	if err != nil {
		return nil, fmt.Errorf("looking for the target security group of %s: %w", srcID, err)
	}
	if !ok {
		return nil, nil
	}
	return &grp, nil
}

// findGroupByName returns the group of the given name in a VPC, or nil.
func findGroupByName(ctx context.Context, c ec2API, vpcID, name string) (*types.SecurityGroup, error) {
	filters := []types.Filter{filter("group-name", name)}
	if vpcID != "" {
		filters = append(filters, filter("vpc-id", vpcID))
	}
	grp, err := firstGroup(ctx, c, filters...)
	if err != nil {
		return nil, fmt.Errorf("looking for security group %q in VPC %s: %w", name, vpcID, err)
	}
	return grp, nil
}

// copyOf reports whether grp, found in the target, can stand for the
// source group srcID: it is its copy, or a group of the same name in the
// same VPC that this package did not make.
func copyOf(grp *types.SecurityGroup, srcID string) bool {
	m := tagValue(grp.Tags, SourceIDTag)
	return m == "" || m == srcID || aws.ToString(grp.GroupId) == srcID
}

// create creates the target copy of the source group srcID, tagged
// with tags (nil for a placeholder, which gets PlaceholderTag instead), and
// returns it as described by the target. If the target already has a
// group of that name in the VPC (another job, or a placeholder made
// concurrently), it returns that group instead, with created false.
func (gt *groupTarget) create(ctx context.Context, srcID string, ref groupRef, tags map[string]string,
	placeholder bool) (grp *types.SecurityGroup, created bool, err error) {
	var extra []types.Tag
	if placeholder {
		extra = append(extra, types.Tag{Key: aws.String(PlaceholderTag), Value: aws.String("true")})
	}
	in := &awsec2.CreateSecurityGroupInput{
		GroupName:         aws.String(ref.Name),
		Description:       aws.String(ref.Description),
		TagSpecifications: createTags(types.ResourceTypeSecurityGroup, srcID, tags, extra...),
	}
	if ref.VpcID != "" {
		in.VpcId = aws.String(ref.VpcID)
	}
	out, err := gt.c.CreateSecurityGroup(ctx, in)
	// Created meanwhile by a concurrent write (its placeholder, say): moto
	// says InvalidGroup.Duplicate, LocalStack, which checks the custom id
	// first, InvalidSecurityGroupId.DuplicateCustomId.
	if apierr.Has(err, "InvalidGroup.Duplicate", "InvalidSecurityGroupId.DuplicateCustomId") {
		if grp, err = gt.find(ctx, srcID); grp == nil && err == nil {
			grp, err = findGroupByName(ctx, gt.c, ref.VpcID, ref.Name)
		}
		if err == nil && grp == nil {
			err = fmt.Errorf("the target refused security group %q in VPC %s as a duplicate, but has no such group", ref.Name, ref.VpcID)
		}
		return grp, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("creating security group %s (%q) in VPC %s: %w", srcID, ref.Name, ref.VpcID, err)
	}
	return createdGroup(aws.ToString(out.GroupId), in, gt.tgt.AccountID), true, nil
}

// createdGroup returns the group that CreateSecurityGroup with in has just
// made, as EC2 makes every new group: no ingress rules and one egress rule
// allowing all traffic to any IPv4 address. It spares describing the new
// group before giving it its rules; Write reads the group back afterwards
// and corrects a target that made it otherwise.
func createdGroup(id string, in *awsec2.CreateSecurityGroupInput, owner string) *types.SecurityGroup {
	grp := &types.SecurityGroup{
		GroupId: aws.String(id), GroupName: in.GroupName, Description: in.Description, VpcId: in.VpcId, OwnerId: aws.String(owner),
		IpPermissionsEgress: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
	}
	for _, spec := range in.TagSpecifications {
		grp.Tags = append(grp.Tags, spec.Tags...)
	}
	return grp
}

// Write implements replicator.ResourceReplicator.
//
// Write calls CreateSecurityGroup first. If the target refuses it as a
// duplicate, the group it has (same id, or tagged as the copy of this one,
// or of the same name in the target VPC) is left unchanged, unless it is a
// placeholder, which is completed. A default group is never created: the
// target VPC has its own, which is reported as already existing.
// Then the rules: references to other groups are rewritten to their target
// ids (creating placeholders for groups not yet in the target), the
// target's rules are compared with the source's, and what differs is
// revoked (e.g. the default allow-all egress rule, when the source removed
// it) and authorized. The group is read back, and rules still differing
// are corrected once. A group created here that cannot be completed is
// deleted again.
func (g *SecurityGroup) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var p groupProps
	if err := r.DecodeProperties(&p); err != nil {
		return replicator.Placed{}, err
	}
	gt := g.target(tgt)
	c := gt.c
	vpcID := ""
	if p.VpcID != "" {
		vpcID = tgt.TargetID(TypeNameVPC, p.VpcID)
	}
	if p.GroupName == defaultGroupName {
		d, err := findGroupByName(ctx, c, vpcID, defaultGroupName)
		if err != nil {
			return replicator.Placed{}, err
		}
		if d == nil {
			return replicator.Placed{}, fmt.Errorf("the target VPC %s (the copy of %s) has no default security group", vpcID, p.VpcID)
		}
		id := aws.ToString(d.GroupId)
		return placed(tgt, "security-group", id), fmt.Errorf("%w: %s is the default security group of VPC %s, which the target made with its copy of the VPC (%s); its rules are left unchanged",
			replicator.ErrAlreadyExists, r.Identifier, p.VpcID, id)
	}
	// Create first: a group's name is unique in its VPC, so the create
	// fails if the target already has the group (the copy of an earlier
	// job, a placeholder, LocalStack's same id), and only then is it
	// looked up. A BATCH job into an empty target makes no lookups.
	grp, created, err := gt.create(ctx, r.Identifier, groupRef{Name: p.GroupName, Description: p.Description, VpcID: vpcID}, r.Tags, false)
	if err != nil {
		return replicator.Placed{}, err
	}
	id := aws.ToString(grp.GroupId)
	switch {
	case created:
	case !copyOf(grp, r.Identifier):
		return replicator.Placed{}, fmt.Errorf("the target VPC %s already has a security group named %q (%s), which is the copy of another source group, %s",
			vpcID, p.GroupName, id, tagValue(grp.Tags, SourceIDTag))
	case !hasTag(grp.Tags, PlaceholderTag):
		return placed(tgt, "security-group", id), fmt.Errorf("%w: security group %s is in the target as %s", replicator.ErrAlreadyExists, r.Identifier, id)
	}
	if err := gt.complete(ctx, r, p, grp, !created); err != nil {
		if created {
			err = rollback(ctx, err, "security group "+id, func(ctx context.Context) error {
				_, err := c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
				return err
			})
		}
		return replicator.Placed{}, err
	}
	return placed(tgt, "security-group", id), nil
}

// complete gives the target group grp the source's rules and, for a
// placeholder, the source's tags, and reads the group back: if its rules
// are not the source's (a target that made a new group with other default
// rules than grp says), they are corrected once.
func (gt *groupTarget) complete(ctx context.Context, r *replicator.Resource, p groupProps, grp *types.SecurityGroup, placeholder bool) error {
	c := gt.c
	id := aws.ToString(grp.GroupId)
	resolve := func(srcGroup string) (string, error) {
		if srcGroup == r.Identifier {
			return id, nil
		}
		return gt.resolve(ctx, p, srcGroup)
	}
	ingress, err := rewriteGroups(p.Ingress, resolve)
	if err != nil {
		return fmt.Errorf("ingress of security group %s: %w", r.Identifier, err)
	}
	egress, err := rewriteGroups(p.Egress, resolve)
	if err != nil {
		return fmt.Errorf("egress of security group %s: %w", r.Identifier, err)
	}
	for attempt := 0; ; attempt++ {
		haveIn, haveOut := gt.rules(grp)
		err := syncRules(ctx, c, id, ingress, haveIn, egress, haveOut)
		// A rule that grp lacks but the target has (moto also lets a new
		// group in a VPC with IPv6 send all IPv6 traffic out), or the
		// reverse: read the group and try again with what it has.
		if err != nil && (attempt > 0 || !apierr.Has(err, "InvalidPermission.Duplicate", "InvalidPermission.NotFound")) {
			return err
		}
		if grp, err = gt.group(ctx, id); err != nil {
			return fmt.Errorf("reading security group %s back from the target: %w", id, err)
		}
		if grp == nil {
			return fmt.Errorf("security group %s was written as %s but the target does not return it", r.Identifier, id)
		}
		haveIn, haveOut = gt.rules(grp)
		addIn, remIn := diffRules(ingress, haveIn)
		addOut, remOut := diffRules(egress, haveOut)
		if len(addIn)+len(remIn)+len(addOut)+len(remOut) == 0 {
			break
		}
		if attempt > 0 {
			return fmt.Errorf("security group %s (%s in the target) does not keep its rules: after writing them the target lacks %v and has %v besides",
				r.Identifier, id, slices.Concat(addIn, addOut), slices.Concat(remIn, remOut))
		}
	}
	if !placeholder {
		return nil
	}
	if tags := writableTags(r.Tags); len(tags) > 0 {
		if _, err := c.CreateTags(ctx, &awsec2.CreateTagsInput{Resources: []string{id}, Tags: tags}); err != nil {
			return fmt.Errorf("tagging security group %s: %w", id, err)
		}
	}
	if _, err := c.DeleteTags(ctx, &awsec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String(PlaceholderTag)}}}); err != nil {
		return fmt.Errorf("removing tag %s from security group %s: %w", PlaceholderTag, id, err)
	}
	return nil
}

// rules returns the ingress and egress rules of a target group.
func (gt *groupTarget) rules(grp *types.SecurityGroup) (ingress, egress []rule) {
	owner := cmp.Or(aws.ToString(grp.OwnerId), gt.tgt.AccountID)
	return flatten(grp.IpPermissions, owner), flatten(grp.IpPermissionsEgress, owner)
}

// syncRules makes the target group's rules (have) equal to the wanted
// ones: it revokes what is not wanted first (so that a rule whose
// description changed can be authorized again), then authorizes what is
// missing.
func syncRules(ctx context.Context, c ec2API, id string, wantIn, haveIn, wantOut, haveOut []rule) error {
	addIn, remIn := diffRules(wantIn, haveIn)
	addOut, remOut := diffRules(wantOut, haveOut)
	if len(remIn) > 0 {
		if _, err := c.RevokeSecurityGroupIngress(ctx, &awsec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: permissions(remIn)}); err != nil {
			return fmt.Errorf("revoking ingress rules of security group %s: %w", id, err)
		}
	}
	if len(remOut) > 0 {
		if _, err := c.RevokeSecurityGroupEgress(ctx, &awsec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: permissions(remOut)}); err != nil {
			return fmt.Errorf("revoking egress rules of security group %s: %w", id, err)
		}
	}
	if len(addIn) > 0 {
		if _, err := c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: permissions(addIn)}); err != nil {
			return fmt.Errorf("authorizing ingress rules of security group %s: %w", id, err)
		}
	}
	if len(addOut) > 0 {
		if _, err := c.AuthorizeSecurityGroupEgress(ctx, &awsec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: permissions(addOut)}); err != nil {
			return fmt.Errorf("authorizing egress rules of security group %s: %w", id, err)
		}
	}
	return nil
}

// resolve returns the target id of the source group srcGroup, which a
// rule of the group described by p refers to. A group the source did not
// describe (a stale reference) keeps its id. A default group is the
// target VPC's own default group. Any other group is found in the target,
// or created there as a placeholder.
func (gt *groupTarget) resolve(ctx context.Context, p groupProps, srcGroup string) (string, error) {
	c, tgt := gt.c, gt.tgt
	i := slices.IndexFunc(p.Referenced, func(r groupRef) bool { return r.ID == srcGroup })
	if i < 0 {
		return tgt.TargetID(TypeNameSecurityGroup, srcGroup), nil
	}
	ref := p.Referenced[i]
	if ref.VpcID != "" {
		ref.VpcID = tgt.TargetID(TypeNameVPC, ref.VpcID)
	}
	if ref.Name == defaultGroupName {
		d, err := findGroupByName(ctx, c, ref.VpcID, defaultGroupName)
		if err != nil {
			return "", err
		}
		if d == nil {
			return "", fmt.Errorf("the default security group %s of VPC %s: the target VPC %s has no default group", srcGroup, p.Referenced[i].VpcID, ref.VpcID)
		}
		return aws.ToString(d.GroupId), nil
	}
	grp, err := gt.find(ctx, srcGroup)
	if err != nil {
		return "", err
	}
	if grp == nil {
		if grp, _, err = gt.create(ctx, srcGroup, ref, nil, true); err != nil {
			return "", fmt.Errorf("placeholder for the referenced group %s: %w", srcGroup, err)
		}
	}
	if !copyOf(grp, srcGroup) {
		return "", fmt.Errorf("the referenced group %s (%q): the target VPC %s has a group of that name (%s) that is the copy of another source group, %s",
			srcGroup, ref.Name, ref.VpcID, aws.ToString(grp.GroupId), tagValue(grp.Tags, SourceIDTag))
	}
	return aws.ToString(grp.GroupId), nil
}
