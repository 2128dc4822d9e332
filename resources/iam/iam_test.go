package iam

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/replicator"
)

const (
	srcAcct = "111111111111"
	tgtAcct = "000000000000"
)

func TestDecodeDocument(t *testing.T) {
	doc := `{"Statement": [{"Resource": "arn:aws:s3:::a+b/100%/*"}]}`
	for name, tc := range map[string]struct{ in, want string }{
		"encoded as IAM does":      {url.PathEscape(doc), doc},
		"plus kept as botocore":    {"%7B%22a%22%3A%22x+y%22%7D", `{"a":"x+y"}`},
		"unencoded (moto version)": {doc, doc},
		"leading space unencoded":  {"  " + doc, "  " + doc},
		"empty":                    {"", ""},
	} {
		got, err := decodeDocument(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s: decodeDocument(%q) = %q, %v; want %q", name, tc.in, got, err, tc.want)
		}
	}
	if _, err := decodeDocument("%ZZ"); err == nil {
		t.Error("decodeDocument(%ZZ) succeeded, want an error")
	}
}

func TestRewriteAccount(t *testing.T) {
	for _, tc := range []struct{ in, from, to, want string }{
		{"arn:aws:iam::111111111111:policy/team/p", srcAcct, tgtAcct, "arn:aws:iam::000000000000:policy/team/p"},
		{"arn:aws:iam::111111111111:policy/p", srcAcct, srcAcct, "arn:aws:iam::111111111111:policy/p"},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", srcAcct, tgtAcct, "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		{"arn:aws:iam::222222222222:policy/p", srcAcct, tgtAcct, "arn:aws:iam::222222222222:policy/p"},
		{"arn:aws:kms:eu-central-1:111111111111:key/k", srcAcct, tgtAcct, "arn:aws:kms:eu-central-1:111111111111:key/k"},
		{"arn:aws:iam::111111111111:policy/p", "", tgtAcct, "arn:aws:iam::111111111111:policy/p"},
		{"arn:aws:iam::111111111111:policy/p", srcAcct, "", "arn:aws:iam::111111111111:policy/p"},
		{"not an arn", srcAcct, tgtAcct, "not an arn"},
	} {
		if got := rewriteAccount(tc.in, tc.from, tc.to); got != tc.want {
			t.Errorf("rewriteAccount(%s, %s, %s) = %s, want %s", tc.in, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestParsePolicyFilter(t *testing.T) {
	for in, want := range map[string]policyFilter{
		"":                                      {},
		"  ":                                    {},
		"{}":                                    {},
		`{"PathPrefix": "/a/"}`:                 {PathPrefix: "/a/"},
		`{"RoleName": "r"}`:                     {Principal: "RoleName", Name: "r"},
		`{"GroupName": "g", "PathPrefix": "/"}`: {PathPrefix: "/", Principal: "GroupName", Name: "g"},
		`{"UserName": "u"}`:                     {Principal: "UserName", Name: "u"},
	} {
		got, err := parsePolicyFilter(in)
		if err != nil || got != want {
			t.Errorf("parsePolicyFilter(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		`{"RoleName": "r", "GroupName": "g"}`: `both "GroupName" and "RoleName"`,
		`{"Scope": "Local"}`:                  `unknown key "Scope"`,
		`{"RoleName": 3}`:                     `"RoleName" must be a non-empty string`,
		`{"RoleName": ""}`:                    `"RoleName" must be a non-empty string`,
		`{"PathPrefix": "a/"}`:                `PathPrefix "a/" does not start with "/"`,
		`["RoleName"]`:                        "not a JSON object",
		`null`:                                "not a JSON object",
		`/team/`:                              "not a JSON object",
	} {
		_, err := parsePolicyFilter(in)
		if !errors.Is(err, replicator.ErrInvalidIdentifier) || !strings.Contains(err.Error(), want) ||
			!strings.Contains(err.Error(), `"PathPrefix" and/or exactly one of "GroupName", "RoleName", "UserName"`) {
			t.Errorf("parsePolicyFilter(%q) = %v, want ErrInvalidIdentifier containing %q and the accepted keys", in, err, want)
		}
	}
}

func TestCreateTags(t *testing.T) {
	got := createTags(map[string]string{"b": "2", "a": "1", customIDTag: "stale"}, "AROA1")
	want := []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")},
		{Key: aws.String(customIDTag), Value: aws.String("AROA1")}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(types.Tag{})); diff != "" {
		t.Errorf("createTags (-want +got):\n%s", diff)
	}
	full := map[string]string{}
	for i := range maxTags {
		full[fmt.Sprint("k", i)] = "v"
	}
	if got := createTags(full, "AROA1"); len(got) != maxTags {
		t.Errorf("createTags of %d tags returned %d, want the id tag left out", maxTags, len(got))
	}
}

// fakeIAM is an in-memory IAM with one role. Methods not overridden
// panic (the embedded interface is nil): a test that calls one fails.
type fakeIAM struct {
	iamAPI
	role      types.Role
	inline    map[string]string // name → document as returned (encoded)
	attached  []string
	attachErr map[string]error // AttachRolePolicy error by policy ARN

	calls      []string
	createRole *awsiam.CreateRoleInput
}

func (f *fakeIAM) call(s string) { f.calls = append(f.calls, s) }

func (f *fakeIAM) GetRole(_ context.Context, in *awsiam.GetRoleInput, _ ...func(*awsiam.Options)) (*awsiam.GetRoleOutput, error) {
	f.call("GetRole " + aws.ToString(in.RoleName))
	if aws.ToString(in.RoleName) != aws.ToString(f.role.RoleName) {
		return nil, &smithy.GenericAPIError{Code: codeNoSuchEntity, Message: "no such role"}
	}
	r := f.role
	return &awsiam.GetRoleOutput{Role: &r}, nil
}

func (f *fakeIAM) ListRolePolicies(_ context.Context, in *awsiam.ListRolePoliciesInput, _ ...func(*awsiam.Options)) (*awsiam.ListRolePoliciesOutput, error) {
	f.call("ListRolePolicies")
	out := &awsiam.ListRolePoliciesOutput{}
	for _, n := range []string{"a", "b"} {
		if _, ok := f.inline[n]; ok {
			out.PolicyNames = append(out.PolicyNames, n)
		}
	}
	return out, nil
}

func (f *fakeIAM) GetRolePolicy(_ context.Context, in *awsiam.GetRolePolicyInput, _ ...func(*awsiam.Options)) (*awsiam.GetRolePolicyOutput, error) {
	f.call("GetRolePolicy " + aws.ToString(in.PolicyName))
	return &awsiam.GetRolePolicyOutput{PolicyName: in.PolicyName, RoleName: in.RoleName, PolicyDocument: aws.String(f.inline[aws.ToString(in.PolicyName)])}, nil
}

func (f *fakeIAM) ListAttachedRolePolicies(_ context.Context, _ *awsiam.ListAttachedRolePoliciesInput, _ ...func(*awsiam.Options)) (*awsiam.ListAttachedRolePoliciesOutput, error) {
	f.call("ListAttachedRolePolicies")
	out := &awsiam.ListAttachedRolePoliciesOutput{}
	for _, a := range f.attached {
		out.AttachedPolicies = append(out.AttachedPolicies, types.AttachedPolicy{PolicyArn: aws.String(a)})
	}
	return out, nil
}

func (f *fakeIAM) CreateRole(_ context.Context, in *awsiam.CreateRoleInput, _ ...func(*awsiam.Options)) (*awsiam.CreateRoleOutput, error) {
	f.call("CreateRole " + aws.ToString(in.RoleName))
	f.createRole = in
	f.role = types.Role{RoleName: in.RoleName, Arn: aws.String("arn:aws:iam::" + tgtAcct + ":role" + aws.ToString(in.Path) + aws.ToString(in.RoleName))}
	return &awsiam.CreateRoleOutput{Role: &f.role}, nil
}

func (f *fakeIAM) PutRolePolicy(_ context.Context, in *awsiam.PutRolePolicyInput, _ ...func(*awsiam.Options)) (*awsiam.PutRolePolicyOutput, error) {
	f.call("PutRolePolicy " + aws.ToString(in.PolicyName) + " " + aws.ToString(in.PolicyDocument))
	return &awsiam.PutRolePolicyOutput{}, nil
}

func (f *fakeIAM) AttachRolePolicy(_ context.Context, in *awsiam.AttachRolePolicyInput, _ ...func(*awsiam.Options)) (*awsiam.AttachRolePolicyOutput, error) {
	a := aws.ToString(in.PolicyArn)
	f.call("AttachRolePolicy " + a)
	if err := f.attachErr[a]; err != nil {
		return nil, err
	}
	return &awsiam.AttachRolePolicyOutput{}, nil
}

func (f *fakeIAM) DetachRolePolicy(_ context.Context, in *awsiam.DetachRolePolicyInput, _ ...func(*awsiam.Options)) (*awsiam.DetachRolePolicyOutput, error) {
	f.call("DetachRolePolicy " + aws.ToString(in.PolicyArn))
	return &awsiam.DetachRolePolicyOutput{}, nil
}

func (f *fakeIAM) DeleteRolePolicy(_ context.Context, in *awsiam.DeleteRolePolicyInput, _ ...func(*awsiam.Options)) (*awsiam.DeleteRolePolicyOutput, error) {
	f.call("DeleteRolePolicy " + aws.ToString(in.PolicyName))
	return &awsiam.DeleteRolePolicyOutput{}, nil
}

func (f *fakeIAM) DeleteRole(_ context.Context, in *awsiam.DeleteRoleInput, _ ...func(*awsiam.Options)) (*awsiam.DeleteRoleOutput, error) {
	f.call("DeleteRole " + aws.ToString(in.RoleName))
	f.role = types.Role{}
	return &awsiam.DeleteRoleOutput{}, nil
}

func newRole(f *fakeIAM) *Role { return &Role{newClient: func(aws.Config) iamAPI { return f }} }

const (
	custARN     = "arn:aws:iam::111111111111:policy/team/p"
	boundARN    = "arn:aws:iam::111111111111:policy/boundary"
	awsARN      = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	trustDoc    = `{"Statement": [{"Principal": {"AWS": "arn:aws:iam::111111111111:root"}}]}`
	inlineDoc   = `{"Statement": [{"Action": "s3:*", "Resource": "arn:aws:s3:::a+b/*"}]}`
	sourceRoleA = "arn:aws:iam::111111111111:role/svc/app"
)

func TestRoleReadDecodesDocumentsAndFindsDependencies(t *testing.T) {
	f := &fakeIAM{
		role: types.Role{
			RoleName: aws.String("app"), RoleId: aws.String("AROASOURCE"), Arn: aws.String(sourceRoleA), Path: aws.String("/svc/"),
			AssumeRolePolicyDocument: aws.String(url.PathEscape(trustDoc)), MaxSessionDuration: aws.Int32(7200),
			PermissionsBoundary: &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: aws.String(boundARN)},
			Tags:                []types.Tag{{Key: aws.String(customIDTag), Value: aws.String("X")}, {Key: aws.String("team"), Value: aws.String("t")}},
		},
		inline:   map[string]string{"a": url.PathEscape(inlineDoc)},
		attached: []string{custARN, awsARN, boundARN},
	}
	src := &replicator.Source{Endpoint: replicator.Endpoint{AccountID: srcAcct}}
	res, err := newRole(f).Read(context.Background(), src, "app")
	if err != nil {
		t.Fatal(err)
	}
	var props roleProperties
	if err := res.DecodeProperties(&props); err != nil {
		t.Fatal(err)
	}
	wantProps := roleProperties{RoleName: "app", RoleID: "AROASOURCE", Path: "/svc/", AssumeRolePolicyDocument: trustDoc,
		MaxSessionDuration: 7200, PermissionsBoundary: boundARN, InlinePolicies: []inlinePolicy{{Name: "a", Document: inlineDoc}},
		ManagedPolicyARNs: []string{custARN, awsARN, boundARN}}
	if diff := cmp.Diff(wantProps, props); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"team": "t"}, res.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	// The boundary is also attached: one reference each; AWS-managed: none.
	wantDeps := []replicator.Ref{
		{Type: TypeNamePolicy, Identifier: custARN, Reason: "customer-managed policy attached to the role"},
		{Type: TypeNamePolicy, Identifier: boundARN, Reason: "customer-managed policy attached to the role"},
	}
	if diff := cmp.Diff(wantDeps, res.DependsOn); diff != "" {
		t.Errorf("DependsOn (-want +got):\n%s", diff)
	}
	kids, err := newRole(f).Children(context.Background(), src, res)
	if err != nil || len(kids) != 2 || kids[0].Identifier != custARN || kids[1].Identifier != boundARN {
		t.Errorf("Children = %+v, %v; want the two customer-managed policies", kids, err)
	}

	// A boundary that is not attached is a dependency of its own.
	f.attached = []string{awsARN}
	res, err = newRole(f).Read(context.Background(), src, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DependsOn) != 1 || res.DependsOn[0].Identifier != boundARN || !strings.Contains(res.DependsOn[0].Reason, "boundary") {
		t.Errorf("DependsOn = %+v, want the boundary", res.DependsOn)
	}

	if _, err := newRole(f).Read(context.Background(), src, "nobody"); !errors.Is(err, replicator.ErrNotFound) {
		t.Errorf("Read of a missing role: %v, want ErrNotFound", err)
	}
	if _, err := newRole(f).Read(context.Background(), src, sourceRoleA); !errors.Is(err, replicator.ErrInvalidIdentifier) {
		t.Errorf("Read of an ARN as a name: %v, want ErrInvalidIdentifier", err)
	}
}

func roleResource(t *testing.T) *replicator.Resource {
	t.Helper()
	res := &replicator.Resource{Type: TypeNameRole, Identifier: "app", ARN: sourceRoleA, Tags: map[string]string{"team": "t"}}
	if err := res.SetProperties(roleProperties{RoleName: "app", RoleID: "AROASOURCE", Path: "/svc/", AssumeRolePolicyDocument: trustDoc,
		MaxSessionDuration: 7200, PermissionsBoundary: boundARN, InlinePolicies: []inlinePolicy{{Name: "a", Document: inlineDoc}},
		ManagedPolicyARNs: []string{custARN, awsARN}}); err != nil {
		t.Fatal(err)
	}
	return res
}

// Without a record of this job writing the policies (a replayed
// description), their ARNs are rewritten to the target account; the
// documents are not.
func TestRoleWriteRewritesPolicyARNs(t *testing.T) {
	f := &fakeIAM{}
	tgt := &replicator.Target{Endpoint: replicator.Endpoint{AccountID: tgtAcct}}
	placed, err := newRole(f).Write(context.Background(), tgt, roleResource(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := (replicator.Placed{Identifier: "app", ARN: "arn:aws:iam::000000000000:role/svc/app"}); placed != want {
		t.Errorf("Placed = %+v, want %+v", placed, want)
	}
	in := f.createRole
	if got := aws.ToString(in.PermissionsBoundary); got != "arn:aws:iam::000000000000:policy/boundary" {
		t.Errorf("boundary = %s, want it in the target account", got)
	}
	if aws.ToString(in.AssumeRolePolicyDocument) != trustDoc || aws.ToInt32(in.MaxSessionDuration) != 7200 || aws.ToString(in.Path) != "/svc/" {
		t.Errorf("CreateRole input = %+v, want the trust policy verbatim, 7200 s, path /svc/", in)
	}
	if n := len(in.Tags); n != 2 || aws.ToString(in.Tags[1].Key) != customIDTag || aws.ToString(in.Tags[1].Value) != "AROASOURCE" {
		t.Errorf("tags = %+v, want team and the id tag with the source RoleId", in.Tags)
	}
	want := []string{
		"CreateRole app",
		"PutRolePolicy a " + inlineDoc,
		"AttachRolePolicy arn:aws:iam::000000000000:policy/team/p",
		"AttachRolePolicy " + awsARN,
		"GetRole app",
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// A role whose policies cannot all be attached is removed again, and the
// error names every policy the target lacks.
func TestRoleWriteUndoesAHalfMadeRole(t *testing.T) {
	missing := &smithy.GenericAPIError{Code: codeNoSuchEntity, Message: "does not exist or is not attachable"}
	f := &fakeIAM{attachErr: map[string]error{
		awsARN: missing,
		"arn:aws:iam::000000000000:policy/team/p": missing,
	}}
	res := roleResource(t)
	var props roleProperties
	_ = res.DecodeProperties(&props)
	props.ManagedPolicyARNs = []string{custARN, "arn:aws:iam::111111111111:policy/ok", awsARN}
	_ = res.SetProperties(props)

	tgt := &replicator.Target{Endpoint: replicator.Endpoint{AccountID: tgtAcct}}
	_, err := newRole(f).Write(context.Background(), tgt, res)
	if err == nil {
		t.Fatal("Write succeeded, want an error")
	}
	for _, want := range []string{
		"removed from the target again",
		"customer-managed policy arn:aws:iam::000000000000:policy/team/p (" + custARN + " in the source)",
		"AWS-managed policy " + awsARN, "MOTO_IAM_LOAD_MANAGED_POLICIES=true",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans lines", err)
	}
	if !errors.Is(err, missing) {
		t.Errorf("error %v does not wrap the API error", err)
	}
	want := []string{
		"CreateRole app",
		"PutRolePolicy a " + inlineDoc,
		"AttachRolePolicy arn:aws:iam::000000000000:policy/team/p",
		"AttachRolePolicy arn:aws:iam::000000000000:policy/ok",
		"AttachRolePolicy " + awsARN,
		"DeleteRolePolicy a",
		"DetachRolePolicy arn:aws:iam::000000000000:policy/ok",
		"DeleteRole app",
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestRoleIdentifierFromARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::111111111111:role/app":            "app",
		"arn:aws:iam::111111111111:role/svc/deep/app":   "app",
		"arn:aws:iam::111111111111:role/service-role/x": "x",
	} {
		a, err := arn.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := NewRole().IdentifierFromARN(context.Background(), nil, a); err != nil || got != want {
			t.Errorf("IdentifierFromARN(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	a, _ := arn.Parse("arn:aws:iam::111111111111:role/svc/")
	if _, err := NewRole().IdentifierFromARN(context.Background(), nil, a); !errors.Is(err, replicator.ErrInvalidIdentifier) {
		t.Errorf("IdentifierFromARN of a path without a name: %v, want ErrInvalidIdentifier", err)
	}
}

func TestPolicyReadRefusesWhatIsNotACustomerManagedPolicyARN(t *testing.T) {
	p := &Policy{newClient: func(aws.Config) iamAPI { return &fakeIAM{} }} // any call panics
	src := &replicator.Source{Endpoint: replicator.Endpoint{AccountID: srcAcct}}
	_, err := p.Read(context.Background(), src, awsARN)
	if !errors.Is(err, replicator.ErrUnsupported) || !strings.Contains(err.Error(), "exists in every AWS account") {
		t.Errorf("Read of an AWS-managed policy: %v, want ErrUnsupported saying it exists everywhere", err)
	}
	for _, id := range []string{"my-policy", "arn:aws:iam::111111111111:role/r", "arn:aws:s3:::b", "arn:aws:iam::111111111111:policy/"} {
		if _, err := p.Read(context.Background(), src, id); !errors.Is(err, replicator.ErrInvalidIdentifier) {
			t.Errorf("Read(%q): %v, want ErrInvalidIdentifier", id, err)
		}
	}
}
