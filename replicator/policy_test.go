package replicator_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/replicator"
)

func policyRegistry() *replicator.Registry {
	w := newWorld()
	reg := replicator.NewRegistry()
	reg.Register(&fakeAdapter{w: w, typ: typeParent, tree: []string{typeChild}})
	reg.Register(&fakeAdapter{w: w, typ: typeChild, deps: []string{typeParent, "AWS::Not::Registered"}})
	reg.Register(&fakeAdapter{w: w, typ: typeThing})
	reg.Register(basicAdapter{f: &fakeAdapter{w: w}, info: replicator.TypeInfo{Type: typeBasic}})
	return reg
}

func TestPolicyAll(t *testing.T) {
	doc, err := policyRegistry().Policy()
	if err != nil {
		t.Fatal(err)
	}
	want := replicator.PolicyDocument{
		Version: "2012-10-17",
		Statement: []replicator.PolicyStatement{{
			Sid:    "AWSReplicatorRead",
			Effect: "Allow",
			// Sorted case-insensitively, each once.
			Action:   []string{"fake:Getchild", "fake:Getparent", "fake:Getthing", "fake:Listchild", "fake:Listparent", "fake:ListTags", "fake:Listthing"},
			Resource: "*",
		}},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("Policy() (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"Version":"2012-10-17"`, `"Statement":[`, `"Effect":"Allow"`, `"Resource":"*"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("policy JSON %s lacks %s", b, field)
		}
	}
}

func TestPolicyFollowsDependenciesAndTree(t *testing.T) {
	reg := policyRegistry()
	// A child needs its parent's actions (Dependencies); an unknown
	// dependency is skipped.
	doc, err := reg.Policy(strings.ToUpper(typeChild))
	if err != nil {
		t.Fatal(err)
	}
	got := doc.Statement[0].Action
	for _, want := range []string{"fake:Getchild", "fake:Getparent"} {
		if !slices.Contains(got, want) {
			t.Errorf("Policy(child) = %q, lacks %s", got, want)
		}
	}
	if slices.Contains(got, "fake:Getthing") {
		t.Errorf("Policy(child) = %q includes an unrelated type", got)
	}
	// A parent explores its children in TREE jobs (Tree).
	doc, err = reg.Policy(typeParent)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(doc.Statement[0].Action, "fake:Getchild") {
		t.Errorf("Policy(parent) = %q, lacks the TREE child's actions", doc.Statement[0].Action)
	}
}

func TestPolicyErrors(t *testing.T) {
	reg := policyRegistry()
	if _, err := reg.Policy("AWS::Nope::Nope"); !errors.Is(err, replicator.ErrUnsupported) {
		t.Errorf("Policy of an unknown type: %v", err)
	}
	if _, err := reg.Policy(typeBasic); err == nil || !strings.Contains(err.Error(), "no actions") {
		t.Errorf("Policy of a type without actions: %v", err)
	}
	if _, err := replicator.NewRegistry().Policy(); err == nil {
		t.Errorf("Policy of an empty registry succeeded")
	}
}
