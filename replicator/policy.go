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
// read actions the adapters declare (TypeInfo.Actions and BatchActions),
// with those of the types they may depend on or explore (Dependencies,
// Tree), allowed on every resource. It is what to attach to a dedicated, read-only replication role.
// sts:GetCallerIdentity, used to test the connection, needs no permission.
func (r *Registry) Policy(types ...string) (PolicyDocument, error) {
	if len(types) == 0 {
		types = r.TypeNames()
	}
	var actions []string
	seen := map[string]bool{}
	var visit func(t string, required bool) error
	visit = func(t string, required bool) error {
		a, err := r.Lookup(t)
		if err != nil {
			if required {
				return err
			}
			return nil // a dependency this build has no adapter for: nothing to read
		}
		info := a.Info()
		if seen[info.Type] {
			return nil
		}
		seen[info.Type] = true
		actions = append(actions, info.Actions...)
		actions = append(actions, info.BatchActions...)
		for _, d := range slices.Concat(info.Dependencies, info.Tree) {
			if err := visit(d, false); err != nil {
				return err
			}
		}
		return nil
	}
	for _, t := range types {
		if err := visit(t, true); err != nil {
			return PolicyDocument{}, err
		}
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
