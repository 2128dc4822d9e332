package kms_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/kms"
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
func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.WithLocalStack("kms", "ssm", "sts")) }

// key is what a test puts into the source and expects in the target.
type key struct {
	Description string
	KeyUsage    string
	KeySpec     string
	Enabled     bool
	MultiRegion bool
	Policy      string
	Tags        map[string]string
	Aliases     []string
}

// sourcePolicy names the source account's root, as AWS's default policy does.
const sourcePolicy = `{"Version":"2012-10-17","Id":"team-key-policy","Statement":[{"Sid":"Enable IAM User Permissions",` +
	`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`

var teamKey = key{
	Description: "team key for shared secrets",
	KeyUsage:    "ENCRYPT_DECRYPT",
	KeySpec:     "SYMMETRIC_DEFAULT",
	Enabled:     true,
	Policy:      sourcePolicy,
	Tags:        map[string]string{"team": "platform", "env": "dev"},
	Aliases:     []string{"alias/team-key", "alias/team-key-2"},
}

// seed creates k in the source and returns its KeyId and ARN.
func seed(t *testing.T, c *awskms.Client, k key) (string, string) {
	t.Helper()
	ctx := context.Background()
	in := &awskms.CreateKeyInput{KeyUsage: types.KeyUsageType(k.KeyUsage), KeySpec: types.KeySpec(k.KeySpec)}
	if k.Description != "" {
		in.Description = aws.String(k.Description)
	}
	if k.Policy != "" {
		in.Policy = aws.String(k.Policy)
	}
	if k.MultiRegion {
		in.MultiRegion = aws.Bool(true)
	}
	for tk, tv := range k.Tags {
		in.Tags = append(in.Tags, types.Tag{TagKey: aws.String(tk), TagValue: aws.String(tv)})
	}
	out, err := c.CreateKey(ctx, in)
	if err != nil {
		t.Fatalf("seeding key: %v", err)
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	for _, a := range k.Aliases {
		if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String(a), TargetKeyId: aws.String(id)}); err != nil {
			t.Fatalf("seeding alias %s: %v", a, err)
		}
	}
	if !k.Enabled {
		if _, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
			t.Fatalf("disabling key: %v", err)
		}
	}
	return id, aws.ToString(out.KeyMetadata.Arn)
}

// read describes key id in c as a key, with the marker tag apart. Like the
// adapter, it leaves _custom_id_ (which moto keeps as a plain tag) out of
// the tags, but returns it too.
func read(t *testing.T, c *awskms.Client, id string) (k key, arn, marker, customID string) {
	t.Helper()
	ctx := context.Background()
	d, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatalf("describing key %s: %v", id, err)
	}
	md := d.KeyMetadata
	k = key{Description: aws.ToString(md.Description), KeyUsage: string(md.KeyUsage), KeySpec: string(md.KeySpec),
		Enabled: md.Enabled, MultiRegion: aws.ToBool(md.MultiRegion)}
	pol, err := c.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatalf("policy of %s: %v", id, err)
	}
	k.Policy = aws.ToString(pol.Policy)
	tags, err := c.ListResourceTags(ctx, &awskms.ListResourceTagsInput{KeyId: md.KeyId})
	if err != nil {
		t.Fatalf("tags of %s: %v", id, err)
	}
	for _, tg := range tags.Tags {
		switch tk, tv := aws.ToString(tg.TagKey), aws.ToString(tg.TagValue); tk {
		case kms.SourceKeyIDTag:
			marker = tv
		case "_custom_id_":
			customID = tv
		default:
			if k.Tags == nil {
				k.Tags = map[string]string{}
			}
			k.Tags[tk] = tv
		}
	}
	aliases, err := c.ListAliases(ctx, &awskms.ListAliasesInput{KeyId: md.KeyId})
	if err != nil {
		t.Fatalf("aliases of %s: %v", id, err)
	}
	for _, a := range aliases.Aliases {
		k.Aliases = append(k.Aliases, aws.ToString(a.AliasName))
	}
	slices.Sort(k.Aliases)
	return k, aws.ToString(md.Arn), marker, customID
}

// keyIDs lists every KeyId in c.
func keyIDs(t *testing.T, c *awskms.Client) []string {
	t.Helper()
	var ids []string
	pages := awskms.NewListKeysPaginator(c, &awskms.ListKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			ids = append(ids, aws.ToString(k.KeyId))
		}
	}
	return ids
}

type clients struct {
	src, tgt *awskms.Client
	target   testenv.Target // the target tgt reads
}

// setup returns KMS clients for the source (seeding) and for tgt (reading
// back) in targetAccount ("" = the default), a spec from the source to tgt,
// and a runner whose registry holds reg's adapters. ForEachTarget has reset
// both.
func setup(t *testing.T, tgt testenv.Target, targetAccount string, register ...func(*replicator.Registry)) (clients, replicator.Spec, *replicator.Runner) {
	t.Helper()
	ctx := context.Background()
	c := clients{
		src:    awskms.NewFromConfig(fixture.Seeder(env.Source.URL())),
		tgt:    awskms.NewFromConfig(fixture.Reader(ctx, t, tgt.URL(), targetAccount)),
		target: tgt,
	}
	reg := replicator.NewRegistry()
	kms.Register(reg)
	for _, f := range register {
		f(reg)
	}
	r, err := replicator.NewRunner(reg)
	if err != nil {
		t.Fatal(err)
	}
	return c, fixture.Spec(ctx, t, env.Source.URL(), tgt.URL(), targetAccount), r
}

// checkCopy asserts that the job copied the source key srcID (ARN srcARN)
// into the target in targetAccount, and that the copy matches want. On
// moto, which cannot keep KeyIds, the copy is a new key reported as
// identity "different"; on LocalStack, which honours _custom_id_, it keeps
// the source KeyId: identity "same" in the source account (same ARN),
// "same_identifier" in another.
func checkCopy(t *testing.T, c clients, st job.Status, srcID, srcARN, targetAccount string, want key) {
	t.Helper()
	if len(st.Resources.Succeeded) != 1 {
		t.Fatalf("%d succeeded outcomes, want 1:\n%s", len(st.Resources.Succeeded), dump(st))
	}
	o := st.Resources.Succeeded[0]
	if o.ResourceType != kms.TypeName || o.ResourceIdentifier != srcID || o.ResourceARN != srcARN {
		t.Errorf("outcome names %s %s %s, want %s %s %s", o.ResourceType, o.ResourceIdentifier, o.ResourceARN, kms.TypeName, srcID, srcARN)
	}
	if c.target.IsLocalStack() {
		// LocalStack gives the copy the KeyId in _custom_id_: the job must
		// report that it kept it, and the ARN too in the source account.
		want := job.IdentitySameIdentifier
		if targetAccount == fixture.SourceAccount {
			want = job.IdentitySame
		}
		if o.Identity != want || o.TargetIdentifier != srcID {
			t.Fatalf("outcome identity %q, target id %q; want %s with the source id %s", o.Identity, o.TargetIdentifier, want, srcID)
		}
		if targetAccount == fixture.SourceAccount && o.TargetARN != srcARN {
			t.Errorf("target ARN %s, want the source ARN %s", o.TargetARN, srcARN)
		}
	} else {
		// moto ignores _custom_id_ for KMS: the copy has a new id, and the
		// job must say so rather than claim an identity it did not achieve.
		if o.Identity != job.IdentityDifferent || o.TargetIdentifier == "" || o.TargetIdentifier == srcID {
			t.Fatalf("outcome identity %q, target id %q; want different with a new id", o.Identity, o.TargetIdentifier)
		}
	}
	wantARN := "arn:aws:kms:eu-central-1:" + targetAccount + ":key/" + o.TargetIdentifier
	if o.TargetARN != wantARN {
		t.Errorf("target ARN %s, want %s", o.TargetARN, wantARN)
	}
	got, tgtARN, marker, _ := read(t, c.tgt, o.TargetIdentifier)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("target key differs (-source +target):\n%s", diff)
	}
	if tgtARN != o.TargetARN {
		t.Errorf("target describes ARN %s, the outcome says %s", tgtARN, o.TargetARN)
	}
	if marker != srcID {
		t.Errorf("target key tagged %s=%q, want the source KeyId %s", kms.SourceKeyIDTag, marker, srcID)
	}
	if ids := keyIDs(t, c.tgt); !slices.Equal(ids, []string{o.TargetIdentifier}) {
		t.Errorf("target holds keys %v, want only %s", ids, o.TargetIdentifier)
	}
}

func TestReplicateByKeyIDIntoDefaultAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		disabled := teamKey
		disabled.Enabled = false
		srcID, srcARN := seed(t, c.src, disabled)
		spec.ResourceType, spec.Identifier = kms.TypeName, srcID
		st := run(t, r, spec)
		mustSucceed(t, st)
		checkCopy(t, c, st, srcID, srcARN, "000000000000", disabled)
	})
}

func TestReplicateByARNIntoTheSourceAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		srcID, srcARN := seed(t, c.src, teamKey)
		spec.ARN = srcARN
		st := run(t, r, spec)
		mustSucceed(t, st)
		checkCopy(t, c, st, srcID, srcARN, fixture.SourceAccount, teamKey)
	})
}

// Other resources refer to keys by alias; the job's identifier may be an
// alias name or ARN, and the outcome names the key by its KeyId.
func TestReplicateByAlias(t *testing.T) {
	for _, alias := range []string{"alias/team-key", "arn:aws:kms:eu-central-1:111111111111:alias/team-key-2"} {
		t.Run(strings.ReplaceAll(alias, "/", "_"), func(t *testing.T) {
			testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
				c, spec, r := setup(t, tgt, fixture.SourceAccount)
				srcID, srcARN := seed(t, c.src, teamKey)
				spec.ResourceType, spec.Identifier = kms.TypeName, alias
				st := run(t, r, spec)
				mustSucceed(t, st)
				checkCopy(t, c, st, srcID, srcARN, fixture.SourceAccount, teamKey)
			})
		})
	}
}

// awsMRKID is the form AWS (and LocalStack) give multi-Region KeyIds.
var awsMRKID = regexp.MustCompile(`^mrk-[0-9a-f]{32}$`)

func TestKeySpecsAndMultiRegion(t *testing.T) {
	for name, k := range map[string]key{
		"multi-region": {Description: "mrk", KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT", Enabled: true, MultiRegion: true},
		"ecc-signing":  {KeyUsage: "SIGN_VERIFY", KeySpec: "ECC_NIST_P256", Enabled: true},
		"rsa-encrypt":  {KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "RSA_2048", Enabled: true, Tags: map[string]string{"use": "envelope"}},
	} {
		t.Run(name, func(t *testing.T) {
			testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
				c, spec, r := setup(t, tgt, "")
				srcID, srcARN := seed(t, c.src, k)
				// The source policy is whatever the source made by default.
				want, _, _, _ := read(t, c.src, srcID)
				spec.ResourceType, spec.Identifier = kms.TypeName, srcID
				st := run(t, r, spec)
				if tgt.IsLocalStack() && k.MultiRegion && !awsMRKID.MatchString(srcID) && st.State == job.StateError &&
					st.ErrorMessage != nil && strings.Contains(*st.ErrorMessage, "NotFoundException: Invalid keyId '"+srcID+"'") {
					// The moto source makes multi-Region KeyIds of the form
					// mrk-<dashed UUID>, where AWS makes mrk-<32 hex digits>.
					// LocalStack 2026.3.0 creates the copy with that
					// _custom_id_ without checking it, but then looks keys up
					// only by the AWS forms, so the copy cannot be read back.
					t.Skipf("LocalStack 2026.3.0 bug: CreateKey accepts _custom_id_ %s (moto's multi-Region KeyId form), "+
						"but DescribeKey of it answers NotFoundException: Invalid keyId '%s' (it accepts only mrk- + 32 hex digits); job error: %s",
						srcID, srcID, *st.ErrorMessage)
				}
				mustSucceed(t, st)
				checkCopy(t, c, st, srcID, srcARN, "000000000000", want)
				if k.MultiRegion && !strings.HasPrefix(st.Resources.Succeeded[0].TargetIdentifier, "mrk-") {
					t.Errorf("copy of a multi-Region key has id %s, want an mrk- id", st.Resources.Succeeded[0].TargetIdentifier)
				}
			})
		})
	}
}

// A second job for the same key finds the copy the first made (on moto by
// its marker tag, since moto gave it a new id; on LocalStack by the source
// KeyId it kept) and creates no second key.
func TestSecondJobFindsTheCopy(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		srcID, _ := seed(t, c.src, teamKey)
		spec.ResourceType, spec.Identifier = kms.TypeName, srcID
		first := run(t, r, spec)
		mustSucceed(t, first)
		copyID := first.Resources.Succeeded[0].TargetIdentifier
		if tgt.IsLocalStack() && copyID != srcID {
			// LocalStack keeps KeyIds (_custom_id_): the copy is found by id.
			t.Errorf("the first copy in LocalStack has id %s, want the source KeyId %s", copyID, srcID)
		}

		st := run(t, r, spec)
		if st.State != job.StateError || len(st.Resources.Failed) != 1 || st.ErrorMessage == nil ||
			!strings.Contains(*st.ErrorMessage, "already exists") || !strings.Contains(*st.ErrorMessage, "ignore_already_existing") {
			t.Errorf("second job without ignore_already_existing:\n%s\nwant ERROR naming the fix", dump(st))
		}

		spec.IgnoreAlreadyExisting = true
		spec.Identifier = "alias/team-key" // the same key, named otherwise
		st = run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 1 || len(st.Resources.Succeeded) != 0 || st.Resources.Skipped[0].ResourceIdentifier != srcID {
			t.Errorf("with ignore_already_existing: %+v, want %s skipped", st.Resources, srcID)
		}
		if ids := keyIDs(t, c.tgt); !slices.Equal(ids, []string{copyID}) {
			t.Errorf("target holds keys %v after three jobs, want only the first copy %s", ids, copyID)
		}
	})
}

func TestMissingKeyEndsInError(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		pending, _ := seed(t, c.src, key{KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT", Enabled: true})
		if _, err := c.src.ScheduleKeyDeletion(context.Background(), &awskms.ScheduleKeyDeletionInput{
			KeyId: aws.String(pending), PendingWindowInDays: aws.Int32(7)}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"0b0b0b0b-1111-2222-3333-444444444444", "alias/no-such-key", pending} {
			spec.ResourceType, spec.Identifier = kms.TypeName, id
			st := run(t, r, spec)
			if st.State != job.StateError || st.ErrorMessage == nil ||
				!strings.Contains(*st.ErrorMessage, "does not exist in the source (account 111111111111, region eu-central-1)") {
				t.Errorf("%s: got\n%s\nwant ERROR saying the key does not exist", id, dump(st))
			}
		}
		if ids := keyIDs(t, c.tgt); len(ids) != 0 {
			t.Errorf("target holds keys %v, want none", ids)
		}
	})
}
