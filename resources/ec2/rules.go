package ec2

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// rule is one security group rule: a protocol and port range, and exactly
// one peer (an IPv4 block, an IPv6 block, a prefix list or a group). The
// EC2 API groups peers of the same protocol and ports into one
// IpPermission; a flat list of rules compares and diffs simply.
type rule struct {
	// Protocol is the IP protocol: "tcp", "udp", "icmp", "icmpv6", a
	// number, or "-1" for all.
	Protocol string `json:"protocol"`
	// FromPort and ToPort bound the port range (for ICMP: type and code);
	// absent for protocol "-1".
	FromPort *int32 `json:"from_port,omitempty"`
	ToPort   *int32 `json:"to_port,omitempty"`

	CidrIPv4     string `json:"cidr_ipv4,omitempty"`
	CidrIPv6     string `json:"cidr_ipv6,omitempty"`
	PrefixListID string `json:"prefix_list_id,omitempty"`
	// GroupID is the referenced security group. In a description read from
	// the source it is the source id; Write rewrites it to the target's.
	GroupID string `json:"group_id,omitempty"`
	// UserID, VpcID and VpcPeeringConnectionID are kept only for a group
	// of another account, which is referred to verbatim.
	UserID                 string `json:"user_id,omitempty"`
	VpcID                  string `json:"vpc_id,omitempty"`
	VpcPeeringConnectionID string `json:"vpc_peering_connection_id,omitempty"`

	Description string `json:"description,omitempty"`
}

// crossAccount reports whether the rule refers to a group of another
// account, which cannot be replicated and is referred to verbatim.
func (r rule) crossAccount() bool { return r.GroupID != "" && r.UserID != "" }

// key identifies a rule for diffing: every field, the description
// included (a rule whose description differs is replaced).
func (r rule) key() string {
	port := func(p *int32) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(int(*p))
	}
	return strings.Join([]string{strings.ToLower(r.Protocol), port(r.FromPort), port(r.ToPort), r.CidrIPv4, r.CidrIPv6,
		r.PrefixListID, r.GroupID, r.UserID, r.VpcID, r.VpcPeeringConnectionID, r.Description}, "\x00")
}

// String describes the rule for error messages.
func (r rule) String() string {
	var peer string
	switch {
	case r.CidrIPv4 != "":
		peer = r.CidrIPv4
	case r.CidrIPv6 != "":
		peer = r.CidrIPv6
	case r.PrefixListID != "":
		peer = r.PrefixListID
	default:
		peer = r.GroupID
	}
	ports := ""
	if r.FromPort != nil || r.ToPort != nil {
		ports = fmt.Sprintf(" %d-%d", aws.ToInt32(r.FromPort), aws.ToInt32(r.ToPort))
	}
	return fmt.Sprintf("%s%s %s", r.Protocol, ports, peer)
}

// allProtocols reports whether protocol means every protocol (no ports).
func allProtocols(protocol string) bool {
	return protocol == "-1" || strings.EqualFold(protocol, "all")
}

// flatten turns IpPermissions into rules. Group references to groups of
// owner (the account the permissions belong to) keep only the group id.
func flatten(perms []types.IpPermission, owner string) []rule {
	var out []rule
	for _, p := range perms {
		base := rule{Protocol: aws.ToString(p.IpProtocol)}
		if !allProtocols(base.Protocol) {
			base.FromPort, base.ToPort = p.FromPort, p.ToPort
		}
		for _, r := range p.IpRanges {
			x := base
			x.CidrIPv4, x.Description = aws.ToString(r.CidrIp), aws.ToString(r.Description)
			out = append(out, x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			x.CidrIPv6, x.Description = aws.ToString(r.CidrIpv6), aws.ToString(r.Description)
			out = append(out, x)
		}
		for _, r := range p.PrefixListIds {
			x := base
			x.PrefixListID, x.Description = aws.ToString(r.PrefixListId), aws.ToString(r.Description)
			out = append(out, x)
		}
		for _, g := range p.UserIdGroupPairs {
			x := base
			x.GroupID, x.Description = aws.ToString(g.GroupId), aws.ToString(g.Description)
			if user := aws.ToString(g.UserId); user != "" && user != owner {
				x.UserID, x.VpcID, x.VpcPeeringConnectionID = user, aws.ToString(g.VpcId), aws.ToString(g.VpcPeeringConnectionId)
			}
			out = append(out, x)
		}
	}
	return out
}

// permission returns the rule as an IpPermission with its single peer.
func (r rule) permission() types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String(r.Protocol)}
	if !allProtocols(r.Protocol) {
		p.FromPort, p.ToPort = r.FromPort, r.ToPort
	}
	desc := func() *string {
		if r.Description == "" {
			return nil
		}
		return aws.String(r.Description)
	}
	switch {
	case r.CidrIPv4 != "":
		p.IpRanges = []types.IpRange{{CidrIp: aws.String(r.CidrIPv4), Description: desc()}}
	case r.CidrIPv6 != "":
		p.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(r.CidrIPv6), Description: desc()}}
	case r.PrefixListID != "":
		p.PrefixListIds = []types.PrefixListId{{PrefixListId: aws.String(r.PrefixListID), Description: desc()}}
	case r.GroupID != "":
		pair := types.UserIdGroupPair{GroupId: aws.String(r.GroupID), Description: desc()}
		if r.UserID != "" {
			pair.UserId = aws.String(r.UserID)
		}
		if r.VpcID != "" {
			pair.VpcId = aws.String(r.VpcID)
		}
		if r.VpcPeeringConnectionID != "" {
			pair.VpcPeeringConnectionId = aws.String(r.VpcPeeringConnectionID)
		}
		p.UserIdGroupPairs = []types.UserIdGroupPair{pair}
	}
	return p
}

// permissions returns the rules as IpPermissions, one per rule.
func permissions(rules []rule) []types.IpPermission {
	out := make([]types.IpPermission, len(rules))
	for i, r := range rules {
		out[i] = r.permission()
	}
	return out
}

// diffRules returns the rules of want missing from have (to authorize)
// and those of have missing from want (to revoke), each in input order.
func diffRules(want, have []rule) (add, remove []rule) {
	wantKeys := make(map[string]bool, len(want))
	for _, r := range want {
		wantKeys[r.key()] = true
	}
	haveKeys := make(map[string]bool, len(have))
	for _, r := range have {
		haveKeys[r.key()] = true
	}
	for _, r := range want {
		if k := r.key(); !haveKeys[k] {
			haveKeys[k] = true // a rule listed twice is authorized once
			add = append(add, r)
		}
	}
	for _, r := range have {
		if !wantKeys[r.key()] {
			remove = append(remove, r)
		}
	}
	return add, remove
}

// referencedGroups returns the ids of the same-account groups the rules
// refer to, other than self, sorted and without duplicates.
func referencedGroups(self string, rules ...[]rule) []string {
	var ids []string
	for _, rs := range rules {
		for _, r := range rs {
			if r.GroupID != "" && !r.crossAccount() && r.GroupID != self {
				ids = append(ids, r.GroupID)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// rewriteGroups returns the rules with every same-account group reference
// replaced by resolve(sourceGroupID).
func rewriteGroups(rules []rule, resolve func(string) (string, error)) ([]rule, error) {
	out := slices.Clone(rules)
	for i, r := range out {
		if r.GroupID == "" || r.crossAccount() {
			continue
		}
		id, err := resolve(r.GroupID)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r, err)
		}
		out[i].GroupID = id
	}
	return out, nil
}
