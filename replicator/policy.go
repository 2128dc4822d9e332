package replicator

import (
	"fmt"
	"slices"
	"strings"
)

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a PolicyDocument.
type PolicyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// Policy returns the minimal IAM policy the source credentials need to
// replicate the given types (every registered type when none is given): the
// read actions the adapters declare (TypeInfo.Actions), allowed on every
// resource. It is what to attach to a dedicated, read-only replication role.
// sts:GetCallerIdentity, used to test the connection, needs no permission.
func (r *Registry) Policy(types ...string) (PolicyDocument, error) {
	if len(types) == 0 {
		types = r.TypeNames()
	}
	var actions []string
	for _, t := range types {
		a, err := r.Lookup(t)
		if err != nil {
			return PolicyDocument{}, err
		}
		actions = append(actions, a.Info().Actions...)
	}
	slices.SortFunc(actions, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	actions = slices.Compact(actions)
	if len(actions) == 0 {
		return PolicyDocument{}, fmt.Errorf("replicator: the types %s declare no actions", strings.Join(types, ", "))
	}
	return PolicyDocument{
		Version: "2012-10-17",
		Statement: []PolicyStatement{{
			Sid:      "AWSReplicatorRead",
			Effect:   "Allow",
			Action:   actions,
			Resource: "*",
		}},
	}, nil
}
