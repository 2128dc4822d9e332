package secretsmanager_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/secretsmanager"
)

// Shared end-to-end helpers.
var (
	run         = fixture.Run
	mustSucceed = fixture.MustSucceed
)

var env *testenv.Env

// Every end-to-end test runs against both targets (testenv.ForEachTarget):
// moto server and a real LocalStack.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.WithLocalStack("secretsmanager", "kms", "sts"))
}

// secret is what a test puts into the source and expects in the target.
// A value is a string unless its Binary field is set.
type secret struct {
	Name, Description, KMSKeyID string
	Tags                        map[string]string
	Previous, Current           string
	PreviousBinary              []byte
	CurrentBinary               []byte
	Policy                      string
	// Version ids, filled by observe.
	PreviousVersionID, CurrentVersionID string
}

func (s secret) hasPrevious() bool { return s.Previous != "" || s.PreviousBinary != nil }
func (s secret) hasCurrent() bool  { return s.Current != "" || s.CurrentBinary != nil }

// seed creates s in the source (or any account c acts in) and returns its ARN.
func seed(t *testing.T, c *awssm.Client, s secret) string {
	t.Helper()
	ctx := context.Background()
	in := &awssm.CreateSecretInput{Name: aws.String(s.Name)}
	if s.Description != "" {
		in.Description = aws.String(s.Description)
	}
	if s.KMSKeyID != "" {
		in.KmsKeyId = aws.String(s.KMSKeyID)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(s.Tags[k])})
	}
	first, firstBin := s.Current, s.CurrentBinary
	if s.hasPrevious() {
		first, firstBin = s.Previous, s.PreviousBinary
	}
	if s.hasCurrent() {
		in.SecretString, in.SecretBinary = valueOf(first, firstBin)
	}
	out, err := c.CreateSecret(ctx, in)
	if err != nil {
		t.Fatalf("seeding %s: %v", s.Name, err)
	}
	if s.hasPrevious() {
		put := &awssm.PutSecretValueInput{SecretId: out.ARN}
		put.SecretString, put.SecretBinary = valueOf(s.Current, s.CurrentBinary)
		if _, err := c.PutSecretValue(ctx, put); err != nil {
			t.Fatalf("seeding the current value of %s: %v", s.Name, err)
		}
	}
	if s.Policy != "" {
		if _, err := c.PutResourcePolicy(ctx, &awssm.PutResourcePolicyInput{SecretId: out.ARN, ResourcePolicy: aws.String(s.Policy)}); err != nil {
			t.Fatalf("seeding the policy of %s: %v", s.Name, err)
		}
	}
	return aws.ToString(out.ARN)
}

func valueOf(str string, bin []byte) (*string, []byte) {
	if bin != nil {
		return nil, bin
	}
	return aws.String(str), nil
}

// observe reads a secret (by name or ARN) with its values, version ids,
// tags and policy; it returns the secret and its ARN. Like the adapter's
// Read, it leaves out the _custom_id_ tag, which moto keeps as a plain tag
// of the secrets the adapter creates; where present, it must name the ARN
// suffix.
func observe(t *testing.T, c *awssm.Client, id string) (secret, string) {
	t.Helper()
	ctx := context.Background()
	d, err := c.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatalf("describing %s: %v", id, err)
	}
	s := secret{Name: aws.ToString(d.Name), Description: aws.ToString(d.Description), KMSKeyID: aws.ToString(d.KmsKeyId)}
	for _, tg := range d.Tags {
		if k, v := aws.ToString(tg.Key), aws.ToString(tg.Value); k == "_custom_id_" {
			if !strings.HasSuffix(aws.ToString(d.ARN), "-"+v) {
				t.Errorf("%s: tag _custom_id_ = %q, want the ARN suffix", aws.ToString(d.ARN), v)
			}
			continue
		}
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		s.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	for vid, stages := range d.VersionIdsToStages {
		for _, st := range stages {
			if st != "AWSCURRENT" && st != "AWSPREVIOUS" {
				continue
			}
			v, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: d.ARN, VersionId: aws.String(vid)})
			if err != nil {
				t.Fatalf("reading version %s of %s: %v", vid, id, err)
			}
			if st == "AWSCURRENT" {
				s.Current, s.CurrentBinary, s.CurrentVersionID = aws.ToString(v.SecretString), v.SecretBinary, vid
			} else {
				s.Previous, s.PreviousBinary, s.PreviousVersionID = aws.ToString(v.SecretString), v.SecretBinary, vid
			}
		}
	}
	p, err := c.GetResourcePolicy(ctx, &awssm.GetResourcePolicyInput{SecretId: d.ARN})
	if err != nil {
		t.Fatalf("reading the policy of %s: %v", id, err)
	}
	s.Policy = aws.ToString(p.ResourcePolicy)
	return s, aws.ToString(d.ARN)
}

func absent(t *testing.T, c *awssm.Client, id string) {
	t.Helper()
	_, err := c.DescribeSecret(context.Background(), &awssm.DescribeSecretInput{SecretId: aws.String(id)})
	if err == nil {
		t.Errorf("secret %s is in the target, want it absent", id)
	} else if !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("describing %s: %v, want ResourceNotFoundException", id, err)
	}
}

type clients struct{ src, tgt *awssm.Client }

func newRunner(t *testing.T, optFns ...func(*replicator.Options)) (*replicator.Runner, *replicator.Registry) {
	t.Helper()
	reg := replicator.NewRegistry()
	secretsmanager.Register(reg)
	r, err := replicator.NewRunner(reg, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	return r, reg
}

// setup returns clients of the source and of tgt (in targetAccount, ""
// for the default), a job spec from the source to tgt, and a runner with
// this package's adapter. ForEachTarget has reset both.
func setup(t *testing.T, tgt testenv.Target, targetAccount string) (clients, replicator.Spec, *replicator.Runner) {
	t.Helper()
	ctx := context.Background()
	c := clients{
		src: awssm.NewFromConfig(fixture.Seeder(env.Source.URL())),
		tgt: awssm.NewFromConfig(fixture.Reader(ctx, t, tgt.URL(), targetAccount)),
	}
	r, _ := newRunner(t)
	return c, fixture.Spec(ctx, t, env.Source.URL(), tgt.URL(), targetAccount), r
}

const policy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/app"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}`

var dbSecret = secret{
	Name: "prod/db/credentials", Description: "database credentials",
	Tags:     map[string]string{"team": "platform", "env": "prod"},
	Previous: `{"user":"app","password":"0ld-Pa55w0rd!"}`, Current: `{"user":"app","password":"n3w-Pa55w0rd!"}`,
	Policy: policy,
}

// sameAccountARN returns a in the target account.
func inAccount(a, account string) string {
	return strings.Replace(a, ":"+fixture.SourceAccount+":", ":"+account+":", 1)
}

func TestReplicateByARNKeepsTheARNInTheSourceAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		srcARN := seed(t, c.src, dbSecret)
		spec.ARN = srcARN
		st := run(t, r, spec)
		mustSucceed(t, st)

		want, _ := observe(t, c.src, srcARN)
		got, tgtARN := observe(t, c.tgt, dbSecret.Name)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("target secret differs (-source +target):\n%s", diff)
		}
		if want.Previous != dbSecret.Previous || want.Current != dbSecret.Current || want.PreviousVersionID == "" {
			t.Fatalf("the source was not seeded as intended: %+v", want)
		}
		if tgtARN != srcARN {
			t.Errorf("target ARN = %s, want the source ARN %s", tgtARN, srcARN)
		}
		if len(st.Resources.Succeeded) != 1 {
			t.Fatalf("outcomes %+v, want one succeeded", st.Resources)
		}
		if o := st.Resources.Succeeded[0]; o.Identity != job.IdentitySame || o.TargetARN != srcARN ||
			o.TargetIdentifier != srcARN || o.ResourceIdentifier != srcARN {
			t.Errorf("outcome = %+v, want identity same with identifier and target ARN %s", o, srcARN)
		}
	})
}

// Into another account the name and ARN suffix are kept, but the ARN (the
// identifier) names the target account: the outcome says "same_identifier"
// (all of the ARN kept but the account) and gives the target ARN.
func TestReplicateByNameIntoDefaultAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		srcARN := seed(t, c.src, dbSecret)
		spec.ResourceType, spec.Identifier = secretsmanager.TypeName, dbSecret.Name
		st := run(t, r, spec)
		mustSucceed(t, st)

		want, _ := observe(t, c.src, srcARN)
		got, tgtARN := observe(t, c.tgt, dbSecret.Name)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("target secret differs (-source +target):\n%s", diff)
		}
		wantARN := inAccount(srcARN, "000000000000")
		if tgtARN != wantARN || !strings.HasPrefix(wantARN, "arn:aws:secretsmanager:eu-central-1:000000000000:secret:prod/db/credentials-") {
			t.Errorf("target ARN = %s, want %s (same name and suffix)", tgtARN, wantARN)
		}
		if len(st.Resources.Succeeded) != 1 {
			t.Fatalf("outcomes %+v, want one succeeded", st.Resources)
		}
		o := st.Resources.Succeeded[0]
		if o.ResourceIdentifier != srcARN || o.ResourceARN != srcARN || o.TargetIdentifier != wantARN || o.TargetARN != wantARN ||
			o.Identity != job.IdentitySameIdentifier {
			t.Errorf("outcome = %+v, want source %s, target %s, identity same_identifier", o, srcARN, wantARN)
		}
	})
}

func TestReplicateByPartialARNInTheSourceAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		srcARN := seed(t, c.src, secret{Name: "plain", Current: "v"})
		spec.ResourceType, spec.Identifier = secretsmanager.TypeName, srcARN[:len(srcARN)-7] // without "-AbCdEf"
		st := run(t, r, spec)
		mustSucceed(t, st)
		if o := st.Resources.Succeeded[0]; o.ResourceIdentifier != srcARN || o.Identity != job.IdentitySame {
			t.Errorf("outcome = %+v, want the full ARN %s and identity same", o, srcARN)
		}
	})
}

func TestBinarySecretWithPreviousVersion(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		bin := secret{Name: "certs/key", PreviousBinary: []byte{0, 1, 2, 0xfe, 0xff}, CurrentBinary: []byte{0xde, 0xad, 0xbe, 0xef, 0}}
		srcARN := seed(t, c.src, bin)
		spec.ARN = srcARN
		mustSucceed(t, run(t, r, spec))
		want, _ := observe(t, c.src, srcARN)
		got, tgtARN := observe(t, c.tgt, srcARN)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("target secret differs (-source +target):\n%s", diff)
		}
		if !bytes.Equal(got.CurrentBinary, bin.CurrentBinary) || !bytes.Equal(got.PreviousBinary, bin.PreviousBinary) || got.Current != "" {
			t.Errorf("target values %+v, want the binary values", got)
		}
		if tgtARN != srcARN {
			t.Errorf("target ARN = %s, want %s", tgtARN, srcARN)
		}
	})
}

func TestSecretWithoutValue(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		srcARN := seed(t, c.src, secret{Name: "placeholder", Description: "filled later"})
		spec.ARN = srcARN
		mustSucceed(t, run(t, r, spec))
		got, tgtARN := observe(t, c.tgt, srcARN)
		if diff := cmp.Diff(secret{Name: "placeholder", Description: "filled later"}, got); diff != "" || tgtARN != srcARN {
			t.Errorf("target %s differs (-want +got):\n%s", tgtARN, diff)
		}
	})
}

func TestBatchWithFilters(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		var selected []secret
		for i := range 23 { // more than one BatchGetSecretValue of 20
			s := secret{Name: fmt.Sprintf("team-a/s%02d", i), Current: fmt.Sprintf("value-%02d", i)}
			if i%7 == 0 {
				s.Previous, s.Tags, s.Policy = fmt.Sprintf("old-%02d", i), map[string]string{"idx": fmt.Sprint(i)}, policy
			}
			selected = append(selected, s)
		}
		selected = append(selected, secret{Name: "team-a/novalue"})
		arns := map[string]string{}
		for _, s := range selected {
			arns[s.Name] = seed(t, c.src, s)
		}
		deleted := seed(t, c.src, secret{Name: "team-a/deleted", Current: "x"})
		if _, err := c.src.DeleteSecret(context.Background(), &awssm.DeleteSecretInput{SecretId: aws.String(deleted)}); err != nil {
			t.Fatal(err)
		}
		tagged := secret{Name: "team-b/tagged", Current: "t", Tags: map[string]string{"tier": "gold"}}
		arns[tagged.Name] = seed(t, c.src, tagged)
		other := seed(t, c.src, secret{Name: "team-b/other", Current: "o"})

		spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, secretsmanager.TypeName, `{"name": ["team-a/"]}`
		st := run(t, r, spec)
		mustSucceed(t, st)
		if n := len(st.Resources.Succeeded); n != len(selected) {
			t.Errorf("%d succeeded, want %d: %+v", n, len(selected), st.Resources)
		}
		for _, s := range selected {
			want, _ := observe(t, c.src, arns[s.Name])
			got, tgtARN := observe(t, c.tgt, s.Name)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s differs (-source +target):\n%s", s.Name, diff)
			}
			if tgtARN != arns[s.Name] {
				t.Errorf("%s: target ARN %s, want %s", s.Name, tgtARN, arns[s.Name])
			}
		}
		absent(t, c.tgt, "team-a/deleted")
		absent(t, c.tgt, "team-b/tagged")

		spec.Identifier = `{"tag-key": ["tier"], "tag-value": ["gold"]}`
		st = run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Succeeded) != 1 || st.Resources.Succeeded[0].ResourceIdentifier != arns[tagged.Name] {
			t.Errorf("tag filter replicated %+v, want only %s", st.Resources, tagged.Name)
		}
		if got, _ := observe(t, c.tgt, tagged.Name); got.Current != "t" {
			t.Errorf("%s: value %q", tagged.Name, got.Current)
		}
		absent(t, c.tgt, other)
	})
}

func TestBatchRejectsAnUnknownFilter(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		_, spec, r := setup(t, tgt, "")
		spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, secretsmanager.TypeName, `{"prefix": ["prod/"]}`
		st := run(t, r, spec)
		if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, `unknown filter key "prefix"`) ||
			!strings.Contains(*st.ErrorMessage, "all, description, name, owning-service, primary-region, tag-key, tag-value") {
			t.Errorf("got %+v, want ERROR naming the accepted keys", st)
		}
	})
}

func TestAlreadyExistingIsAnErrorOrSkipped(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		seed(t, c.src, dbSecret)
		existing := secret{Name: dbSecret.Name, Current: "already-here"}
		existingARN := seed(t, c.tgt, existing)
		spec.ResourceType, spec.Identifier = secretsmanager.TypeName, dbSecret.Name

		st := run(t, r, spec)
		if st.State != job.StateError || len(st.Resources.Failed) != 1 || st.ErrorMessage == nil ||
			!strings.Contains(*st.ErrorMessage, "already exists") || !strings.Contains(*st.ErrorMessage, "ignore_already_existing") {
			t.Errorf("without ignore_already_existing: %+v, want ERROR naming the fix:\n%s", st, fixture.Dump(st))
		}

		spec.IgnoreAlreadyExisting = true
		st = run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 1 || len(st.Resources.Succeeded) != 0 {
			t.Errorf("with ignore_already_existing: %+v, want one skipped", st.Resources)
		}
		got, tgtARN := observe(t, c.tgt, dbSecret.Name)
		if got.Current != "already-here" || got.Previous != "" || got.Policy != "" || tgtARN != existingARN {
			t.Errorf("the existing target secret changed: %+v at %s", got, tgtARN)
		}
	})
}

// Replicating again into the same target reports the copies as already
// existing and changes nothing, although CreateSecret with the same first
// value and version id succeeds (idempotently) there: the copy's AWSCURRENT
// version is not the one created (a secret with a previous version), or
// was created before the call (a secret with one version).
func TestReplicatingAgainFindsTheCopiesAndChangesNothing(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		ctx := context.Background()
		single := secret{Name: "again/single", Current: "v1", Policy: policy, Tags: map[string]string{"k": "v"}}
		rotated := secret{Name: "again/rotated", Previous: "v0", Current: "v1", Policy: policy}
		arns := map[string]string{single.Name: seed(t, c.src, single), rotated.Name: seed(t, c.src, rotated)}
		spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, secretsmanager.TypeName, `{"name":["again/"]}`
		st := run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Succeeded) != 2 {
			t.Fatalf("first job: %+v, want two succeeded", st.Resources)
		}
		// The policies are taken off the copies: replicating again must not
		// put them back.
		for _, a := range arns {
			if _, err := c.tgt.DeleteResourcePolicy(ctx, &awssm.DeleteResourcePolicyInput{SecretId: aws.String(a)}); err != nil {
				t.Fatal(err)
			}
		}
		// moto keeps creation times in whole seconds, and so does LocalStack
		// (its Secrets Manager builds on moto's, which stamps versions with
		// int(time.time())): a copy made less than two seconds before cannot
		// be told apart from one this call made.
		time.Sleep(2 * time.Second)

		st = run(t, r, spec)
		if st.State != job.StateError || len(st.Resources.Failed) != 2 || len(st.Resources.Succeeded) != 0 {
			t.Errorf("second job: %s %+v, want ERROR with both failed", st.State, st.Resources)
		}
		for _, o := range st.Resources.Failed {
			if !strings.Contains(o.ErrorMessage, "already exists") {
				t.Errorf("%s: %q, want already exists", o.ResourceIdentifier, o.ErrorMessage)
			}
		}
		spec.IgnoreAlreadyExisting = true
		st = run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 2 {
			t.Errorf("with ignore_already_existing: %+v, want both skipped", st.Resources)
		}
		for name, a := range arns {
			want, _ := observe(t, c.src, a)
			want.Policy = ""
			got, _ := observe(t, c.tgt, a)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s changed (-want +got):\n%s", name, diff)
			}
			d, err := c.tgt.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(a)})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(d.VersionIdsToStages); n != map[string]int{single.Name: 1, rotated.Name: 2}[name] {
				t.Errorf("%s has %d versions: %v", name, n, d.VersionIdsToStages)
			}
		}
	})
}

func TestMissingOrDeletedSecretEndsInError(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		deleted := seed(t, c.src, secret{Name: "retired", Current: "x"})
		if _, err := c.src.DeleteSecret(context.Background(), &awssm.DeleteSecretInput{SecretId: aws.String(deleted)}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"does/not/exist", "retired", deleted} {
			spec.ResourceType, spec.Identifier = secretsmanager.TypeName, id
			st := run(t, r, spec)
			want := fmt.Sprintf("%q does not exist in the source (account 111111111111, region eu-central-1)", id)
			if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, want) {
				t.Errorf("%s: got %+v, want ERROR saying %s", id, st, want)
			}
		}
		spec.ResourceType, spec.Identifier = "", ""
		spec.ARN = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:nothing-AbCdEf"
		if st := run(t, r, spec); st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, "does not exist in the source") {
			t.Errorf("by ARN: got %+v, want ERROR", st)
		}
		absent(t, c.tgt, "retired")
	})
}

// stubKey stands in for a KMS key adapter: it "replicates" any key by
// giving it a new id, as moto does (it ignores _custom_id_ for KMS). It
// does so on both targets (LocalStack would keep the KeyId; that is proven
// in resources/localstack_e2e_test.go): a new id is what shows that the
// copy uses the id the key got in the target. Neither target checks that
// the KmsKeyId of CreateSecret exists.
type stubKey struct {
	mu   sync.Mutex
	read []string
}

const stubTargetKey = "0f0f0f0f-1111-2222-3333-444444444444"

func (*stubKey) Info() replicator.TypeInfo {
	return replicator.TypeInfo{Type: "AWS::KMS::Key", Identifier: "KeyId", Actions: []string{"kms:DescribeKey"}}
}

func (k *stubKey) Read(_ context.Context, _ *replicator.Source, id string) (*replicator.Resource, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.read = append(k.read, id)
	return &replicator.Resource{Type: "AWS::KMS::Key", Identifier: id}, nil
}

func (*stubKey) Write(context.Context, *replicator.Target, *replicator.Resource) (replicator.Placed, error) {
	return replicator.Placed{Identifier: stubTargetKey}, nil
}

func TestCustomerKeyIsReplicatedFirstAndUsed(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, _ := setup(t, tgt, fixture.SourceAccount)
		r, reg := newRunner(t)
		key := &stubKey{}
		reg.Register(key)
		const srcKey = "1234abcd-12ab-34cd-56ef-1234567890ab"
		encrypted := seed(t, c.src, secret{Name: "encrypted", Current: "v", KMSKeyID: srcKey})
		managed := seed(t, c.src, secret{Name: "managed", Current: "v", KMSKeyID: "alias/aws/secretsmanager"})

		spec.ARN = encrypted
		st := run(t, r, spec)
		mustSucceed(t, st)
		if got, _ := observe(t, c.tgt, encrypted); got.KMSKeyID != stubTargetKey || got.Current != "v" {
			t.Errorf("target secret %+v, want key %s (the id the key got in the target)", got, stubTargetKey)
		}
		var dep *job.Outcome
		for i, o := range st.Resources.Succeeded {
			if o.ResourceType == "AWS::KMS::Key" {
				dep = &st.Resources.Succeeded[i]
			}
		}
		if dep == nil || !dep.Dependency || dep.ResourceIdentifier != srcKey || len(st.Resources.Succeeded) != 2 {
			t.Errorf("outcomes %+v, want the key %s as a succeeded dependency", st.Resources, srcKey)
		}

		spec.ARN = managed
		mustSucceed(t, run(t, r, spec))
		if !slices.Equal(key.read, []string{srcKey}) {
			t.Errorf("keys read %v, want only %s (alias/aws/secretsmanager is no dependency)", key.read, srcKey)
		}
	})
}

func TestRotationIsRecordedNotApplied(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		ctx := context.Background()
		srcARN := seed(t, c.src, secret{Name: "rotated", Current: "v"})
		lambda := "arn:aws:lambda:eu-central-1:111111111111:function:rotate"
		// moto records the rotation, then fails because the function does not
		// exist; the recorded configuration is all this test needs.
		_, _ = c.src.RotateSecret(ctx, &awssm.RotateSecretInput{SecretId: aws.String(srcARN), RotationLambdaARN: aws.String(lambda),
			RotationRules: &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}, RotateImmediately: aws.Bool(false)})
		if d, err := c.src.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(srcARN)}); err != nil || !aws.ToBool(d.RotationEnabled) {
			t.Fatalf("seeding rotation: %v, %+v", err, d)
		}

		cfg, err := credentials.LoadSource(ctx, fixture.Source(env.Source.URL()))
		if err != nil {
			t.Fatal(err)
		}
		src := &replicator.Source{}
		src.Config, src.AccountID, src.Region = cfg, fixture.SourceAccount, fixture.Region
		res, err := secretsmanager.New().Read(ctx, src, srcARN)
		if err != nil {
			t.Fatal(err)
		}
		var props struct {
			Rotation struct {
				Enabled                bool   `json:"enabled"`
				LambdaARN              string `json:"lambda_arn"`
				AutomaticallyAfterDays int64  `json:"automatically_after_days"`
			} `json:"rotation"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			t.Fatal(err)
		}
		if !props.Rotation.Enabled || props.Rotation.LambdaARN != lambda || props.Rotation.AutomaticallyAfterDays != 30 {
			t.Errorf("recorded rotation %+v, want enabled with %s every 30 days", props.Rotation, lambda)
		}

		spec.ARN = srcARN
		mustSucceed(t, run(t, r, spec))
		d, err := c.tgt.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(srcARN)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToBool(d.RotationEnabled) || d.RotationLambdaARN != nil {
			t.Errorf("target rotation enabled=%v lambda=%v, want none", aws.ToBool(d.RotationEnabled), aws.ToString(d.RotationLambdaARN))
		}
	})
}

// No secret value may appear in the job document or in the logs at debug
// level: after a success, an already-exists failure, and a BATCH job.
func TestSecretValuesNeverLeak(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, _ := setup(t, tgt, "")
		bin := secret{Name: "leak/bin", CurrentBinary: []byte("B1nary-Secret-Bytes")}
		seed(t, c.src, dbSecret)
		seed(t, c.src, bin)
		var logs bytes.Buffer
		r, _ := newRunner(t, func(o *replicator.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		spec.ResourceType, spec.Identifier = secretsmanager.TypeName, dbSecret.Name
		first := run(t, r, spec)
		mustSucceed(t, first)
		second := run(t, r, spec) // fails: already exists
		if second.State != job.StateError {
			t.Errorf("second job %s, want ERROR", second.State)
		}
		spec.ReplicationType, spec.Identifier = job.Batch, ""
		third := run(t, r, spec) // dbSecret fails (exists), leak/bin succeeds
		doc, _ := json.Marshal([]job.Status{first, second, third})
		values := []string{"0ld-Pa55w0rd", "n3w-Pa55w0rd", "B1nary-Secret-Bytes", base64.StdEncoding.EncodeToString(bin.CurrentBinary)}
		for what, text := range map[string]string{"job JSON": string(doc), "logs": logs.String()} {
			for _, v := range values {
				if strings.Contains(text, v) {
					t.Errorf("the secret value %q appears in the %s", v, what)
				}
			}
		}
		if !strings.Contains(logs.String(), "prod/db/credentials") {
			t.Errorf("logs do not mention the secret at all; is the logger wired? %s", logs.String())
		}
		if got, _ := observe(t, c.tgt, bin.Name); !bytes.Equal(got.CurrentBinary, bin.CurrentBinary) {
			t.Errorf("the BATCH job did not replicate %s", bin.Name)
		}
	})
}

// The adapter calls on the source exactly the actions Info declares.
func TestSourceCallsAreTheDeclaredActions(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		var called sync.Map
		spec.Source.APIOptions = append(slices.Clone(spec.Source.APIOptions), func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test.recordOperations",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if awsmiddleware.GetServiceID(ctx) == "Secrets Manager" {
						called.Store("secretsmanager:"+awsmiddleware.GetOperationName(ctx), true)
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
		srcARN := seed(t, c.src, dbSecret)
		seed(t, c.src, secret{Name: "batch/one", Current: "1", Previous: "0"})
		spec.ARN = srcARN
		mustSucceed(t, run(t, r, spec))
		spec.ARN, spec.ReplicationType, spec.ResourceType, spec.Identifier = "", job.Batch, secretsmanager.TypeName, `{"name":["batch/"]}`
		mustSucceed(t, run(t, r, spec))

		var got []string
		called.Range(func(k, _ any) bool { got = append(got, k.(string)); return true })
		slices.Sort(got)
		info := secretsmanager.New().Info()
		// kms:Decrypt is not an operation of its own: Secrets Manager needs it
		// to decrypt values made with a customer-managed key.
		declared := slices.DeleteFunc(slices.Concat(info.Actions, info.BatchActions), func(a string) bool { return a == "kms:Decrypt" })
		if diff := cmp.Diff(slices.Sorted(slices.Values(declared)), got); diff != "" {
			t.Errorf("source actions (-declared +called):\n%s", diff)
		}
	})
}
