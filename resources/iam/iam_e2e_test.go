package iam_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/iam"
)

// Shared end-to-end helpers.
var (
	run         = fixture.Run
	mustSucceed = fixture.MustSucceed
	dump        = fixture.Dump
)

var env *testenv.Env

// Every end-to-end test runs against both targets (testenv.ForEachTarget):
// moto server and a real LocalStack.
func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.WithLocalStack("iam", "sts")) }

const (
	src = fixture.SourceAccount
	def = "000000000000"
	// readOnly is an AWS-managed policy.
	readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

// policy is what a test puts into the source and expects in the target.
type policy struct {
	Name, Path, Description, Document string
	Tags                              map[string]string
}

// role is what a test puts into the source and expects in the target.
// Managed and Boundary hold ARNs; Inline maps names to documents.
type role struct {
	Name, Path, Description, Trust string
	MaxSessionDuration             int32
	Boundary                       string
	Inline                         map[string]string
	Managed                        []string
	Tags                           map[string]string
}

// arnIn returns the ARN of an IAM resource ("role" or "policy") in account.
func arnIn(account, kind, path, name string) string {
	return "arn:aws:iam::" + account + ":" + kind + path + name
}

func policyARN(account string, p policy) string { return arnIn(account, "policy", p.Path, p.Name) }

var (
	trust = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root", "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`
	// The documents name the source account and hold characters that
	// URL-encoding changes (space, '+', '%', '/', '*').
	s3Doc  = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::bucket+name/100%/*"}]}`
	kmsDoc = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-central-1:111111111111:key/*"}]}`
	logDoc = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}`

	appAccess = policy{Name: "app-access", Path: "/team/", Description: "what the app may do", Document: s3Doc,
		Tags: map[string]string{"team": "platform", "cost-center": "42"}}
	keyUse   = policy{Name: "key-use", Path: "/team/", Document: kmsDoc}
	boundary = policy{Name: "boundary", Path: "/", Description: "the most an app may do", Document: logDoc}
	other    = policy{Name: "other", Path: "/elsewhere/", Document: logDoc, Tags: map[string]string{"x": "y"}}

	// appRole uses every feature but AWS-managed policies (which the
	// default moto servers lack).
	appRole = role{
		Name: "app", Path: "/service/app/", Description: "the app's role", Trust: trust, MaxSessionDuration: 7200,
		Boundary: policyARN(src, boundary),
		Inline:   map[string]string{"logs": logDoc, "kms": kmsDoc},
		Managed:  []string{policyARN(src, appAccess), policyARN(src, keyUse)},
		Tags:     map[string]string{"team": "platform", "env": "dev"},
	}
)

func tags(m map[string]string) []types.Tag {
	var out []types.Tag
	for k, v := range m {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func tagMap(ts []types.Tag) (map[string]string, string) {
	var m map[string]string
	var customID string
	for _, t := range ts {
		if aws.ToString(t.Key) == "_custom_id_" {
			customID = aws.ToString(t.Value)
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m, customID
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// unescape decodes a document as IAM returns it (moto leaves policy
// versions unencoded).
func unescape(t *testing.T, doc string) string {
	t.Helper()
	if strings.HasPrefix(doc, "{") {
		return doc
	}
	s, err := url.PathUnescape(doc)
	if err != nil {
		t.Fatalf("decoding %q: %v", doc, err)
	}
	return s
}

func putPolicy(t *testing.T, c *awsiam.Client, p policy) string {
	t.Helper()
	out, err := c.CreatePolicy(context.Background(), &awsiam.CreatePolicyInput{
		PolicyName: aws.String(p.Name), Path: nonEmpty(p.Path), Description: nonEmpty(p.Description),
		PolicyDocument: aws.String(p.Document), Tags: tags(p.Tags)})
	if err != nil {
		t.Fatalf("seeding policy %s: %v", p.Name, err)
	}
	return aws.ToString(out.Policy.Arn)
}

func putRole(t *testing.T, c *awsiam.Client, r role) string {
	t.Helper()
	ctx := context.Background()
	in := &awsiam.CreateRoleInput{RoleName: aws.String(r.Name), Path: nonEmpty(r.Path), Description: nonEmpty(r.Description),
		AssumeRolePolicyDocument: aws.String(r.Trust), PermissionsBoundary: nonEmpty(r.Boundary), Tags: tags(r.Tags)}
	if r.MaxSessionDuration != 0 {
		in.MaxSessionDuration = aws.Int32(r.MaxSessionDuration)
	}
	out, err := c.CreateRole(ctx, in)
	if err != nil {
		t.Fatalf("seeding role %s: %v", r.Name, err)
	}
	for name, doc := range r.Inline {
		if _, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatalf("seeding inline policy %s of %s: %v", name, r.Name, err)
		}
	}
	for _, a := range r.Managed {
		if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String(r.Name), PolicyArn: aws.String(a)}); err != nil {
			t.Fatalf("attaching %s to %s: %v", a, r.Name, err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// placedRole is a role read back, with what identity comparisons need.
type placedRole struct {
	role
	ARN, RoleID, CustomIDTag string
}

func getRole(t *testing.T, c *awsiam.Client, name string) placedRole {
	t.Helper()
	ctx := context.Background()
	out, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatalf("reading role %s: %v", name, err)
	}
	r := out.Role
	got := placedRole{ARN: aws.ToString(r.Arn), RoleID: aws.ToString(r.RoleId), role: role{
		Name: aws.ToString(r.RoleName), Path: aws.ToString(r.Path), Description: aws.ToString(r.Description),
		Trust: unescape(t, aws.ToString(r.AssumeRolePolicyDocument)), MaxSessionDuration: aws.ToInt32(r.MaxSessionDuration)}}
	got.Tags, got.CustomIDTag = tagMap(r.Tags)
	if r.PermissionsBoundary != nil {
		got.Boundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	names, err := c.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names.PolicyNames {
		p, err := c.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(n)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Inline == nil {
			got.Inline = map[string]string{}
		}
		got.Inline[n] = unescape(t, aws.ToString(p.PolicyDocument))
	}
	att, err := c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range att.AttachedPolicies {
		got.Managed = append(got.Managed, aws.ToString(a.PolicyArn))
	}
	slices.Sort(got.Managed)
	return got
}

func roleAbsent(t *testing.T, c *awsiam.Client, name string) {
	t.Helper()
	if _, err := c.GetRole(context.Background(), &awsiam.GetRoleInput{RoleName: aws.String(name)}); err == nil {
		t.Errorf("role %s is in the target, want it absent", name)
	}
}

// placedPolicy is a policy read back, with its ARN and id.
type placedPolicy struct {
	policy
	ARN, PolicyID, CustomIDTag string
}

func getPolicy(t *testing.T, c *awsiam.Client, policyARN string) placedPolicy {
	t.Helper()
	ctx := context.Background()
	out, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		t.Fatalf("reading policy %s: %v", policyARN, err)
	}
	p := out.Policy
	ver, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: p.DefaultVersionId})
	if err != nil {
		t.Fatalf("reading the document of %s: %v", policyARN, err)
	}
	got := placedPolicy{ARN: aws.ToString(p.Arn), PolicyID: aws.ToString(p.PolicyId), policy: policy{
		Name: aws.ToString(p.PolicyName), Path: aws.ToString(p.Path), Description: aws.ToString(p.Description),
		Document: unescape(t, aws.ToString(ver.PolicyVersion.Document))}}
	got.Tags, got.CustomIDTag = tagMap(p.Tags)
	return got
}

func policyAbsent(t *testing.T, c *awsiam.Client, policyARN string) {
	t.Helper()
	if _, err := c.GetPolicy(context.Background(), &awsiam.GetPolicyInput{PolicyArn: aws.String(policyARN)}); err == nil {
		t.Errorf("policy %s is in the target, want it absent", policyARN)
	}
}

func sorted(r role) role {
	r.Managed = slices.Sorted(slices.Values(r.Managed))
	return r
}

type clients struct{ src, tgt *awsiam.Client }

func registry() *replicator.Registry {
	reg := replicator.NewRegistry()
	iam.Register(reg)
	return reg
}

func runner(t *testing.T) *replicator.Runner {
	t.Helper()
	r, err := replicator.NewRunner(registry())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// setupURLs prepares a job from the source emulator at srcURL to the
// target emulator at tgtURL, in targetAccount ("" for the default).
func setupURLs(t *testing.T, srcURL, tgtURL, targetAccount string) (clients, replicator.Spec, *replicator.Runner) {
	t.Helper()
	ctx := context.Background()
	c := clients{
		src: awsiam.NewFromConfig(fixture.Seeder(srcURL)),
		tgt: awsiam.NewFromConfig(fixture.Reader(ctx, t, tgtURL, targetAccount)),
	}
	return c, fixture.Spec(ctx, t, srcURL, tgtURL, targetAccount), runner(t)
}

// setup prepares a job from the source to tgt, in targetAccount ("" for
// the default). ForEachTarget has reset both.
func setup(t *testing.T, tgt testenv.Target, targetAccount string) (clients, replicator.Spec, *replicator.Runner) {
	t.Helper()
	return setupURLs(t, env.Source.URL(), tgt.URL(), targetAccount)
}

// outcome returns the outcome of the resource (typ, id) in st's list.
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

// seedAppRole puts appRole and its policies into the source.
func seedAppRole(t *testing.T, c *awsiam.Client) string {
	t.Helper()
	for _, p := range []policy{appAccess, keyUse, boundary} {
		putPolicy(t, c, p)
	}
	return putRole(t, c, appRole)
}

func TestRoleByNameCopiesEverything(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, src)
		seedAppRole(t, c.src)
		source := getRole(t, c.src, appRole.Name)
		if diff := cmp.Diff(sorted(appRole), source.role); diff != "" {
			t.Fatalf("the seeded source role is not as meant (-want +got):\n%s", diff)
		}

		spec.ResourceType, spec.Identifier = iam.TypeNameRole, appRole.Name
		st := run(t, r, spec)
		mustSucceed(t, st)

		got := getRole(t, c.tgt, appRole.Name)
		if diff := cmp.Diff(source.role, got.role); diff != "" {
			t.Errorf("target role differs (-source +target):\n%s", diff)
		}
		if got.ARN != source.ARN {
			t.Errorf("target ARN = %s, want the source ARN %s", got.ARN, source.ARN)
		}
		if got.CustomIDTag != source.RoleID {
			t.Errorf("target role was created with _custom_id_ %q, want the source RoleId %q", got.CustomIDTag, source.RoleID)
		}
		// moto 5.2.1 ignores _custom_id_ for IAM; LocalStack honours it, so
		// there the RoleId itself must be kept.
		if tgt.IsLocalStack() {
			if got.RoleID != source.RoleID {
				t.Errorf("target RoleId = %s, want the source RoleId %s (LocalStack keeps it)", got.RoleID, source.RoleID)
			}
		} else {
			t.Logf("source RoleId %s, target RoleId %s (kept: %v)", source.RoleID, got.RoleID, got.RoleID == source.RoleID)
		}

		// The policies it uses were replicated first, as dependencies.
		for _, p := range []policy{appAccess, keyUse, boundary} {
			a := policyARN(src, p)
			if diff := cmp.Diff(p, getPolicy(t, c.tgt, a).policy); diff != "" {
				t.Errorf("dependency %s differs (-source +target):\n%s", a, diff)
			}
			if o := outcome(t, st.Resources.Succeeded, iam.TypeNamePolicy, a); !o.Dependency || o.Identity != job.IdentitySame {
				t.Errorf("outcome of %s = %+v, want a dependency with the same identity", a, o)
			}
		}
		if n := len(st.Resources.Succeeded); n != 4 {
			t.Errorf("%d succeeded, want the role and its 3 policies:\n%s", n, dump(st))
		}
		if o := outcome(t, st.Resources.Succeeded, iam.TypeNameRole, appRole.Name); o.Identity != job.IdentitySame || o.TargetARN != source.ARN {
			t.Errorf("role outcome = %+v, want identity same, target ARN %s", o, source.ARN)
		}
	})
}

func TestRoleByARNKeepsTheARNInTheSourceAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, src)
		plain := role{Name: "plain", Trust: trust, Path: "/a/b/"}
		srcARN := putRole(t, c.src, plain)
		if want := "arn:aws:iam::111111111111:role/a/b/plain"; srcARN != want {
			t.Fatalf("seeded role ARN %s, want %s", srcARN, want)
		}
		spec.ARN = srcARN
		st := run(t, r, spec)
		mustSucceed(t, st)
		got := getRole(t, c.tgt, plain.Name)
		if got.ARN != srcARN {
			t.Errorf("target ARN = %s, want the source ARN %s", got.ARN, srcARN)
		}
		plain.MaxSessionDuration = 3600 // IAM's default
		if diff := cmp.Diff(plain, got.role); diff != "" {
			t.Errorf("target role differs (-want +target):\n%s", diff)
		}
		if o := st.Resources.Succeeded[0]; o.Identity != job.IdentitySame || o.TargetARN != srcARN || o.ResourceIdentifier != plain.Name {
			t.Errorf("outcome = %+v, want identity same for %s", o, srcARN)
		}
	})
}

// Into another account, the ARNs of the policies the role uses name the
// target account; the documents are copied verbatim.
func TestRoleIntoDefaultAccountRewritesPolicyARNs(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		srcARN := seedAppRole(t, c.src)
		spec.ResourceType, spec.Identifier = iam.TypeNameRole, appRole.Name
		st := run(t, r, spec)
		mustSucceed(t, st)

		want := appRole
		want.Boundary = policyARN(def, boundary)
		want.Managed = []string{policyARN(def, appAccess), policyARN(def, keyUse)}
		got := getRole(t, c.tgt, appRole.Name)
		if diff := cmp.Diff(sorted(want), got.role); diff != "" {
			t.Errorf("target role differs (-want +target):\n%s", diff)
		}
		if !strings.Contains(got.Trust, "arn:aws:iam::111111111111:root") {
			t.Errorf("trust policy %s was changed; want it verbatim", got.Trust)
		}
		wantARN := strings.Replace(srcARN, src, def, 1)
		if got.ARN != wantARN {
			t.Errorf("target ARN = %s, want %s", got.ARN, wantARN)
		}
		if o := outcome(t, st.Resources.Succeeded, iam.TypeNameRole, appRole.Name); o.Identity != job.IdentitySameIdentifier || o.TargetARN != wantARN {
			t.Errorf("role outcome = %+v, want same_identifier with target ARN %s", o, wantARN)
		}
		for _, p := range []policy{appAccess, keyUse, boundary} {
			o := outcome(t, st.Resources.Succeeded, iam.TypeNamePolicy, policyARN(src, p))
			if !o.Dependency || o.TargetARN != policyARN(def, p) || o.TargetIdentifier != policyARN(def, p) {
				t.Errorf("outcome of policy %s = %+v, want a dependency placed at %s", p.Name, o, policyARN(def, p))
			}
		}
		if got := getPolicy(t, c.tgt, policyARN(def, keyUse)); got.Document != kmsDoc {
			t.Errorf("policy document = %s, want it verbatim: %s", got.Document, kmsDoc)
		}
	})
}

// A role's customer-managed policy is replicated before it, even when the
// job names only the role; a policy that is already in the target is
// reused (skipped), not an error.
func TestRoleDependencyIsReplicatedOrReused(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		putPolicy(t, c.src, appAccess)
		putRole(t, c.src, role{Name: "user", Trust: trust, Managed: []string{policyARN(src, appAccess)}})
		spec.ResourceType, spec.Identifier = iam.TypeNameRole, "user"

		st := run(t, r, spec)
		mustSucceed(t, st)
		dep := outcome(t, st.Resources.Succeeded, iam.TypeNamePolicy, policyARN(src, appAccess))
		if !dep.Dependency || dep.TargetARN != policyARN(def, appAccess) {
			t.Errorf("dependency outcome = %+v, want a dependency at %s", dep, policyARN(def, appAccess))
		}
		got := getPolicy(t, c.tgt, policyARN(def, appAccess))
		if diff := cmp.Diff(appAccess, got.policy); diff != "" {
			t.Errorf("dependency differs (-source +target):\n%s", diff)
		}
		if g := getRole(t, c.tgt, "user"); !slices.Equal(g.Managed, []string{policyARN(def, appAccess)}) {
			t.Errorf("target role has policies %v, want %s", g.Managed, policyARN(def, appAccess))
		}

		// Again with a second role using the same policy: the policy is there.
		putRole(t, c.src, role{Name: "user2", Trust: trust, Managed: []string{policyARN(src, appAccess)}})
		spec.Identifier = "user2"
		st = run(t, r, spec)
		mustSucceed(t, st)
		if o := outcome(t, st.Resources.Skipped, iam.TypeNamePolicy, policyARN(src, appAccess)); !o.Dependency {
			t.Errorf("existing dependency outcome = %+v, want a skipped dependency", o)
		}
		if g := getRole(t, c.tgt, "user2"); !slices.Equal(g.Managed, []string{policyARN(def, appAccess)}) {
			t.Errorf("second role has policies %v, want %s", g.Managed, policyARN(def, appAccess))
		}
	})
}

func TestRoleTreeFollowsAttachedPolicies(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, src)
		seedAppRole(t, c.src)
		putPolicy(t, c.src, other) // not attached: not followed
		spec.ResourceType, spec.Identifier, spec.ExploreStrategy = iam.TypeNameRole, appRole.Name, job.Tree
		st := run(t, r, spec)
		mustSucceed(t, st)
		for _, p := range []policy{appAccess, keyUse, boundary} {
			outcome(t, st.Resources.Succeeded, iam.TypeNamePolicy, policyARN(src, p))
			getPolicy(t, c.tgt, policyARN(src, p))
		}
		policyAbsent(t, c.tgt, policyARN(src, other))
		if n := len(st.Resources.Succeeded) + len(st.Resources.Skipped) + len(st.Resources.Failed); n != 4 {
			t.Errorf("%d outcomes, want 4 (each resource once):\n%s", n, dump(st))
		}
	})
}

func TestPolicyByARN(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, src)
		srcARN := putPolicy(t, c.src, appAccess)
		source := getPolicy(t, c.src, srcARN)
		spec.ARN = srcARN
		st := run(t, r, spec)
		mustSucceed(t, st)
		got := getPolicy(t, c.tgt, srcARN)
		if diff := cmp.Diff(appAccess, got.policy); diff != "" {
			t.Errorf("target policy differs (-source +target):\n%s", diff)
		}
		if got.ARN != srcARN || got.CustomIDTag != source.PolicyID {
			t.Errorf("target ARN %s, _custom_id_ %q; want %s, %q", got.ARN, got.CustomIDTag, srcARN, source.PolicyID)
		}
		// moto 5.2.1 ignores _custom_id_ for IAM; LocalStack honours it, so
		// there the PolicyId itself must be kept.
		if tgt.IsLocalStack() {
			if got.PolicyID != source.PolicyID {
				t.Errorf("target PolicyId = %s, want the source PolicyId %s (LocalStack keeps it)", got.PolicyID, source.PolicyID)
			}
		} else {
			t.Logf("source PolicyId %s, target PolicyId %s (kept: %v)", source.PolicyID, got.PolicyID, got.PolicyID == source.PolicyID)
		}
		if o := st.Resources.Succeeded[0]; o.Identity != job.IdentitySame || o.ResourceIdentifier != srcARN {
			t.Errorf("outcome = %+v, want identity same", o)
		}
	})
}

func TestPolicyBatchByPathPrefix(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		for _, p := range []policy{appAccess, keyUse, other} {
			putPolicy(t, c.src, p)
		}
		spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, iam.TypeNamePolicy, `{"PathPrefix": "/team/"}`
		st := run(t, r, spec)
		mustSucceed(t, st)
		if n := len(st.Resources.Succeeded); n != 2 {
			t.Errorf("%d succeeded, want 2:\n%s", n, dump(st))
		}
		for _, p := range []policy{appAccess, keyUse} {
			if diff := cmp.Diff(p, getPolicy(t, c.tgt, policyARN(def, p)).policy); diff != "" {
				t.Errorf("%s differs (-source +target):\n%s", p.Name, diff)
			}
		}
		policyAbsent(t, c.tgt, policyARN(def, other))
	})
}

func TestPolicyBatchAll(t *testing.T) {
	for _, filter := range []string{"", "{}"} {
		t.Run(filter, func(t *testing.T) {
			testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
				c, spec, r := setup(t, tgt, src)
				for _, p := range []policy{appAccess, other} {
					putPolicy(t, c.src, p)
				}
				spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, iam.TypeNamePolicy, filter
				mustSucceed(t, run(t, r, spec))
				getPolicy(t, c.tgt, policyARN(src, appAccess))
				getPolicy(t, c.tgt, policyARN(src, other))
			})
		})
	}
}

func TestPolicyBatchByRoleName(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, src)
		seedAppRole(t, c.src)
		putPolicy(t, c.src, other)
		spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, iam.TypeNamePolicy, `{"RoleName": "app"}`
		st := run(t, r, spec)
		mustSucceed(t, st)
		// The attached policies; not the boundary, not the other policy.
		for _, p := range []policy{appAccess, keyUse} {
			outcome(t, st.Resources.Succeeded, iam.TypeNamePolicy, policyARN(src, p))
			if diff := cmp.Diff(p, getPolicy(t, c.tgt, policyARN(src, p)).policy); diff != "" {
				t.Errorf("%s differs (-source +target):\n%s", p.Name, diff)
			}
		}
		if n := len(st.Resources.Succeeded); n != 2 {
			t.Errorf("%d succeeded, want 2:\n%s", n, dump(st))
		}
		policyAbsent(t, c.tgt, policyARN(src, boundary))
		policyAbsent(t, c.tgt, policyARN(src, other))
		roleAbsent(t, c.tgt, "app")

		// With a path prefix as well.
		spec.Identifier = `{"RoleName": "app", "PathPrefix": "/nothing-here/"}`
		st = run(t, r, spec)
		mustSucceed(t, st)
		if n := len(st.Resources.Succeeded) + len(st.Resources.Skipped); n != 0 {
			t.Errorf("a path prefix nothing is under selected %d policies:\n%s", n, dump(st))
		}
	})
}

func TestPolicyBatchRejectsBadFilters(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		_, spec, r := setup(t, tgt, "")
		spec.ReplicationType, spec.ResourceType = job.Batch, iam.TypeNamePolicy
		for _, tc := range []struct{ filter, want string }{
			{`{"RoleName": "a", "UserName": "b"}`, `both "RoleName" and "UserName"`},
			{`{"Role": "a"}`, `unknown key "Role"`},
			{`/team/`, "not a JSON object"},
			{`{"PathPrefix": "team"}`, `does not start with "/"`},
		} {
			spec.Identifier = tc.filter
			st := run(t, r, spec)
			if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, tc.want) ||
				!strings.Contains(*st.ErrorMessage, `"GroupName", "RoleName", "UserName"`) {
				t.Errorf("filter %s: %s, want ERROR containing %q and the accepted keys", tc.filter, dump(st), tc.want)
			}
		}
		spec.Identifier = `{"RoleName": "nobody"}`
		st := run(t, r, spec)
		if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, `RoleName "nobody"`) {
			t.Errorf("missing role: %s, want ERROR naming it", dump(st))
		}
	})
}

// AWS-managed policies are attached by reference. moto knows them only
// when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
func TestAWSManagedPolicies(t *testing.T) {
	e := testenv.Require(t, env)
	ctx := context.Background()
	managed, err := testenv.StartMoto(ctx, testenv.Options{Name: "managed", Env: []string{"MOTO_IAM_LOAD_MANAGED_POLICIES=true"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = managed.Close() })
	// The source is the managed-policies server too (account 111111111111);
	// the subtests share its state.
	reader := role{Name: "reader", Trust: trust, Inline: map[string]string{"logs": logDoc}, Managed: []string{readOnly, policyARN(src, keyUse)}}
	seeder := awsiam.NewFromConfig(fixture.Seeder(managed.URL()))
	putPolicy(t, seeder, keyUse)
	putRole(t, seeder, reader)

	t.Run("a policy named by its ARN is refused", func(t *testing.T) {
		_, spec, r := setupURLs(t, managed.URL(), managed.URL(), "")
		spec.ARN = readOnly
		st := run(t, r, spec)
		if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, "AWS-managed policy") ||
			!strings.Contains(*st.ErrorMessage, "exists in every AWS account") {
			t.Errorf("%s, want ERROR saying AWS-managed policies are not replicated", dump(st))
		}
	})

	t.Run("a target without them fails clearly and keeps no half-made role", func(t *testing.T) {
		c, spec, r := setupURLs(t, managed.URL(), e.Target.URL(), "")
		spec.ResourceType, spec.Identifier = iam.TypeNameRole, reader.Name
		st := run(t, r, spec)
		o := outcome(t, st.Resources.Failed, iam.TypeNameRole, reader.Name)
		for _, want := range []string{readOnly, "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "removed from the target"} {
			if !strings.Contains(o.ErrorMessage, want) {
				t.Errorf("error %q does not mention %q", o.ErrorMessage, want)
			}
		}
		if st.State != job.StateError {
			t.Errorf("job ended %s, want ERROR", st.State)
		}
		t.Logf("error: %s", o.ErrorMessage)
		roleAbsent(t, c.tgt, reader.Name)
		getPolicy(t, c.tgt, policyARN(def, keyUse)) // the dependency stays: it is complete
	})

	t.Run("a target with them attaches them by reference", func(t *testing.T) {
		c, spec, r := setupURLs(t, managed.URL(), managed.URL(), "")
		spec.ResourceType, spec.Identifier = iam.TypeNameRole, reader.Name
		st := run(t, r, spec)
		mustSucceed(t, st)
		got := getRole(t, c.tgt, reader.Name)
		if want := []string{policyARN(def, keyUse), readOnly}; !slices.Equal(got.Managed, want) {
			t.Errorf("target role has policies %v, want %v", got.Managed, want)
		}
		for _, o := range st.Resources.Succeeded {
			if o.ResourceIdentifier == readOnly {
				t.Errorf("the AWS-managed policy was replicated: %+v", o)
			}
		}
	})

	// LocalStack, unlike a default moto server, knows the AWS-managed
	// policies, so it takes the role with them attached by reference.
	t.Run("localstack attaches them by reference", func(t *testing.T) {
		tgt := testenv.RequireTarget(t, env, testenv.KindLocalStack)
		c, spec, r := setupURLs(t, managed.URL(), tgt.URL(), "")
		spec.ResourceType, spec.Identifier = iam.TypeNameRole, reader.Name
		st := run(t, r, spec)
		mustSucceed(t, st)
		got := getRole(t, c.tgt, reader.Name)
		if want := []string{policyARN(def, keyUse), readOnly}; !slices.Equal(got.Managed, want) {
			t.Errorf("target role has policies %v, want %v", got.Managed, want)
		}
		for _, o := range st.Resources.Succeeded {
			if o.ResourceIdentifier == readOnly {
				t.Errorf("the AWS-managed policy was replicated: %+v", o)
			}
		}
	})
}

func TestAlreadyExistingIsAnErrorOrSkipped(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		putRole(t, c.src, role{Name: "app", Trust: trust, Description: "source"})
		putRole(t, c.tgt, role{Name: "app", Trust: trust, Description: "already here"})
		spec.ResourceType, spec.Identifier = iam.TypeNameRole, "app"

		st := run(t, r, spec)
		if st.State != job.StateError || len(st.Resources.Failed) != 1 || st.ErrorMessage == nil ||
			!strings.Contains(*st.ErrorMessage, "already exists") || !strings.Contains(*st.ErrorMessage, "ignore_already_existing") {
			t.Errorf("without ignore_already_existing: %s, want ERROR naming the fix", dump(st))
		}
		spec.IgnoreAlreadyExisting = true
		st = run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 1 || len(st.Resources.Succeeded) != 0 {
			t.Errorf("with ignore_already_existing: %+v, want one skipped", st.Resources)
		}
		if got := getRole(t, c.tgt, "app"); got.Description != "already here" {
			t.Errorf("existing target role changed: description %q", got.Description)
		}

		// A policy, likewise.
		putPolicy(t, c.src, keyUse)
		existing := keyUse
		existing.Description = "already here"
		putPolicy(t, c.tgt, existing)
		spec.ResourceType, spec.Identifier, spec.IgnoreAlreadyExisting = iam.TypeNamePolicy, policyARN(src, keyUse), false
		st = run(t, r, spec)
		if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, "already exists") {
			t.Errorf("existing policy: %s, want ERROR", dump(st))
		}
		spec.IgnoreAlreadyExisting = true
		st = run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 1 {
			t.Errorf("existing policy with ignore_already_existing: %+v, want one skipped", st.Resources)
		}
		if got := getPolicy(t, c.tgt, policyARN(def, keyUse)); got.Description != "already here" {
			t.Errorf("existing target policy changed: description %q", got.Description)
		}
	})
}

func TestMissingResourcesEndInError(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		_, spec, r := setup(t, tgt, "")
		for typ, id := range map[string]string{
			iam.TypeNameRole:   "nobody",
			iam.TypeNamePolicy: "arn:aws:iam::111111111111:policy/nothing",
		} {
			spec.ResourceType, spec.Identifier = typ, id
			st := run(t, r, spec)
			want := `"` + id + `" does not exist in the source (account 111111111111`
			if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, want) {
				t.Errorf("%s %s: %s, want ERROR containing %q", typ, id, dump(st), want)
			}
		}
	})
}
