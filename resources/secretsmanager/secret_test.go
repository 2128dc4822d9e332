package secretsmanager

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

func adapterWith(f *fake) *Secret {
	return &Secret{newClient: func(aws.Config) secretsAPI { return f }}
}

func target(account string) *replicator.Target {
	t := &replicator.Target{}
	t.AccountID, t.Region = account, "eu-central-1"
	return t
}

func props(t *testing.T, r *replicator.Resource) properties {
	t.Helper()
	var p properties
	if err := r.DecodeProperties(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadDescribesValuesTagsPolicyAndRotation(t *testing.T) {
	f := newFake()
	s := f.add("prod/db", "AbCdEf", "old", "new")
	s.desc, s.policy, s.kms, s.rotation = "the db", `{"Version":"2012-10-17"}`, "alias/team", true
	s.tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}, {Key: aws.String(customIDTag), Value: aws.String("AbCdEf")}}

	r, err := adapterWith(f).Read(context.Background(), &replicator.Source{}, "prod/db")
	if err != nil {
		t.Fatal(err)
	}
	want := properties{Name: "prod/db", ARNSuffix: "AbCdEf", Description: "the db", KMSKeyID: "alias/team",
		ResourcePolicy: `{"Version":"2012-10-17"}`, CurrentVersionID: s.versions[1].id, PreviousVersionID: s.versions[0].id,
		Rotation: &rotation{Enabled: true, LambdaARN: "arn:aws:lambda:eu-central-1:111111111111:function:rotate", AutomaticallyAfterDays: 30}}
	if diff := cmp.Diff(want, props(t, r)); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if r.Identifier != s.arn || r.ARN != s.arn {
		t.Errorf("identifier %q, ARN %q: want both %q", r.Identifier, r.ARN, s.arn)
	}
	if diff := cmp.Diff(map[string]string{"team": "x"}, r.Tags); diff != "" {
		t.Errorf("tags (-want +got), %s must be stripped:\n%s", customIDTag, diff)
	}
	if r.Secrets[ValueCurrent].Reveal() != "new" || r.Secrets[ValuePrevious].Reveal() != "old" {
		t.Errorf("secrets hold wrong values")
	}
	wantDep := []replicator.Ref{{Type: kmsKeyType, Identifier: "alias/team", Reason: "the secret's values are encrypted with this customer-managed key"}}
	if diff := cmp.Diff(wantDep, r.DependsOn); diff != "" {
		t.Errorf("DependsOn (-want +got):\n%s", diff)
	}
	if strings.Contains(string(r.Properties), "new") || strings.Contains(string(r.Properties), "old") {
		t.Errorf("properties contain a secret value: %s", r.Properties)
	}
}

func TestReadManagedKeyIsNoDependencyAndBinaryIsBase64(t *testing.T) {
	f := newFake()
	s := f.add("bin", "QwErTy")
	s.kms = defaultKey
	f.put(s, &fakeVersion{id: "v1", bin: []byte{0, 1, 0xff}})
	r, err := adapterWith(f).Read(context.Background(), &replicator.Source{}, s.arn)
	if err != nil {
		t.Fatal(err)
	}
	p := props(t, r)
	if !p.CurrentBinary || p.KMSKeyID != "" || len(r.DependsOn) != 0 || p.PreviousVersionID != "" {
		t.Errorf("properties %+v, DependsOn %v: want binary current, no key, no dependency, no previous", p, r.DependsOn)
	}
	if got := r.Secrets[ValueCurrent].Reveal(); got != base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff}) {
		t.Errorf("binary value held as %q", got)
	}
}

func TestReadNotFound(t *testing.T) {
	f := newFake()
	f.add("gone", "AAAAAA", "v").deleted = true
	for _, id := range []string{"missing", "gone"} {
		_, err := adapterWith(f).Read(context.Background(), &replicator.Source{}, id)
		if !errors.Is(err, replicator.ErrNotFound) {
			t.Errorf("Read(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := adapterWith(f).Read(context.Background(), &replicator.Source{}, ""); !errors.Is(err, replicator.ErrInvalidIdentifier) {
		t.Errorf("Read(\"\") = %v, want ErrInvalidIdentifier", err)
	}
}

func TestReadSecretWithoutValue(t *testing.T) {
	f := newFake()
	f.add("empty", "ZzZzZz")
	r, err := adapterWith(f).Read(context.Background(), &replicator.Source{}, "empty")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Secrets) != 0 || slices.Contains(f.calls, "GetSecretValue") {
		t.Errorf("secret without value: Secrets %v, calls %v; want no value read", r.Secrets, f.calls)
	}
}

func TestIdentifierFromARN(t *testing.T) {
	a, _ := arn.Parse("arn:aws:secretsmanager:eu-central-1:111111111111:secret:prod/db-AbCdEf")
	id, err := (&Secret{}).IdentifierFromARN(context.Background(), nil, a)
	if err != nil || id != a.String() {
		t.Errorf("IdentifierFromARN = %q, %v; want the ARN", id, err)
	}
	bad, _ := arn.Parse("arn:aws:secretsmanager:eu-central-1:111111111111:secret:")
	if _, err := (&Secret{}).IdentifierFromARN(context.Background(), nil, bad); !errors.Is(err, replicator.ErrInvalidIdentifier) {
		t.Errorf("ARN without a name: %v, want ErrInvalidIdentifier", err)
	}
}

// source reads a secret from a fake source for writing.
func source(t *testing.T, f *fake, id string) *replicator.Resource {
	t.Helper()
	r, err := adapterWith(f).Read(context.Background(), &replicator.Source{}, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWriteOrderKeepsVersionsSuffixPolicyAndTags(t *testing.T) {
	src := newFake()
	s := src.add("prod/db", "AbCdEf", "old", "new")
	s.policy = `{"Version":"2012-10-17","Statement":[]}`
	s.tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}
	r := source(t, src, "prod/db")

	tgt := newFake()
	tgt.account = "000000000000"
	placed, err := adapterWith(tgt).Write(context.Background(), target("000000000000"), r)
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:secretsmanager:eu-central-1:000000000000:secret:prod/db-AbCdEf"
	if placed != (replicator.Placed{Identifier: wantARN, ARN: wantARN}) {
		t.Errorf("placed = %+v, want %s", placed, wantARN)
	}
	// Created with the previous value, read back, then the current value
	// and the policy.
	wantCalls := []string{"CreateSecret", "BatchGetSecretValue", "PutSecretValue", "PutResourcePolicy"}
	if diff := cmp.Diff(wantCalls, tgt.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	got := tgt.find("prod/db")
	if diff := cmp.Diff(s.stages(), got.stages()); diff != "" {
		t.Errorf("version stages (-source +target):\n%s", diff)
	}
	if v := got.stage(stagePrevious); v == nil || aws.ToString(v.str) != "old" {
		t.Errorf("AWSPREVIOUS = %+v, want old", v)
	}
	if v := got.stage(stageCurrent); v == nil || aws.ToString(v.str) != "new" {
		t.Errorf("AWSCURRENT = %+v, want new", v)
	}
	if got.policy != s.policy {
		t.Errorf("policy = %q, want %q", got.policy, s.policy)
	}
	// _custom_id_ is left in the target (moto keeps it as a tag).
	wantTags := append(slices.Clone(s.tags), types.Tag{Key: aws.String(customIDTag), Value: aws.String("AbCdEf")})
	if diff := cmp.Diff(wantTags, got.tags, cmp.Comparer(func(a, b types.Tag) bool {
		return aws.ToString(a.Key) == aws.ToString(b.Key) && aws.ToString(a.Value) == aws.ToString(b.Value)
	})); diff != "" {
		t.Errorf("tags (-source +target):\n%s", diff)
	}
}

func TestWriteBinaryAndSingleVersion(t *testing.T) {
	src := newFake()
	s := src.add("bin", "QwErTy")
	f := &fakeVersion{id: "11111111-2222-3333-4444-555555555555", bin: []byte{0, 1, 0xff}}
	src.put(s, f)
	r := source(t, src, "bin")
	tgt := newFake()
	if _, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r); err != nil {
		t.Fatal(err)
	}
	got := tgt.find("bin")
	if len(got.versions) != 1 || got.versions[0].id != f.id || string(got.versions[0].bin) != string(f.bin) || got.versions[0].str != nil {
		t.Errorf("target versions %+v, want one binary version %s", got.versions[0], f.id)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "BatchGetSecretValue"}, tgt.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestWriteDeletesTheSecretWhenAStepFails(t *testing.T) {
	for op, code := range map[string]string{"PutResourcePolicy": "MalformedPolicyDocumentException", "PutSecretValue": "LimitExceededException"} {
		t.Run(op, func(t *testing.T) {
			src := newFake()
			src.add("p", "AbCdEf", "old", "new").policy = "{}"
			r := source(t, src, "p")
			tgt := newFake()
			tgt.fail[op] = apiErr(code)
			_, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
			if err == nil || !strings.Contains(err.Error(), code) {
				t.Fatalf("Write = %v, want the %s error", err, op)
			}
			if tgt.find("p") != nil || !slices.Contains(tgt.calls, "DeleteSecret") {
				t.Errorf("the half-made secret was left in the target (calls %v)", tgt.calls)
			}
		})
	}
}

// A secret that cannot be read back after CreateSecret may have existed
// before (an idempotent CreateSecret): it is neither changed nor deleted.
func TestWriteLeavesASecretItCannotReadBack(t *testing.T) {
	src := newFake()
	src.add("p", "AbCdEf", "old", "new").policy = "{}"
	r := source(t, src, "p")
	tgt := newFake()
	tgt.fail["BatchGetSecretValue"] = apiErr("ServiceUnavailable")
	tgt.fail["DescribeSecret"] = apiErr("ServiceUnavailable")
	_, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if err == nil || !strings.Contains(err.Error(), "ServiceUnavailable") || !strings.Contains(err.Error(), "back from the target") {
		t.Fatalf("Write = %v, want the read-back error", err)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "BatchGetSecretValue", "DescribeSecret"}, tgt.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// When BatchGetSecretValue fails (moto fails a whole batch for one secret
// without a value), each secret of the batch is read back with
// DescribeSecret.
func TestWriteReadsBackWithDescribeWhenTheBatchFails(t *testing.T) {
	src := newFake()
	src.add("p", "AbCdEf", "v").policy = "{}"
	r := source(t, src, "p")
	tgt := newFake()
	tgt.fail["BatchGetSecretValue"] = apiErr("ResourceNotFoundException")
	placed, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if err != nil {
		t.Fatal(err)
	}
	if placed.ARN != tgt.find("p").arn {
		t.Errorf("placed = %+v, want %s", placed, tgt.find("p").arn)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "BatchGetSecretValue", "DescribeSecret", "PutResourcePolicy"}, tgt.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// A secret without a value is read back with DescribeSecret: moto fails
// a whole BatchGetSecretValue for it.
func TestWriteSecretWithoutValue(t *testing.T) {
	src := newFake()
	src.add("empty", "ZzZzZz").desc = "filled later"
	r := source(t, src, "empty")
	tgt := newFake()
	placed, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if err != nil {
		t.Fatal(err)
	}
	if got := tgt.find("empty"); got == nil || len(got.versions) != 0 || got.desc != "filled later" || placed.ARN != got.arn {
		t.Errorf("target %+v, placed %+v", got, placed)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "DescribeSecret"}, tgt.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// Secrets written at the same time are read back together, up to 20 per
// BatchGetSecretValue call.
func TestConcurrentWritesAreReadBackInBatches(t *testing.T) {
	src := newFake()
	const n = 60
	var rs []*replicator.Resource
	for i := range n {
		rs = append(rs, source(t, src, src.add(fmt.Sprintf("s%02d", i), fmt.Sprintf("Sfx%03d", i), "v").name))
	}
	tgt := newFake()
	tgt.latency = 20 * time.Millisecond // others gather while a batch is fetched
	a, dst := adapterWith(tgt), target("111111111111")
	var wg sync.WaitGroup
	errs := make([]error, n)
	placed := make([]replicator.Placed, n)
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			placed[i], errs[i] = a.Write(context.Background(), dst, r)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || placed[i].ARN != rs[i].ARN {
			t.Errorf("secret %d: placed %+v, %v; want %s", i, placed[i], errs[i], rs[i].ARN)
		}
	}
	var creates, others int
	for _, c := range tgt.calls {
		switch c {
		case "CreateSecret":
			creates++
		case "BatchGetSecretValue":
		default:
			others++
		}
	}
	if creates != n || others != 0 || len(tgt.batches) >= n/2 {
		t.Errorf("calls %v, want %d CreateSecret and fewer than %d BatchGetSecretValue", tgt.calls, n, n/2)
	}
	for _, b := range tgt.batches {
		if len(b) > batchSize {
			t.Errorf("a batch of %d", len(b))
		}
	}
}

func TestWriteAlreadyExistsReturnsTheExistingSecret(t *testing.T) {
	src := newFake()
	src.add("x", "AbCdEf", "v")
	r := source(t, src, "x")
	tgt := newFake()
	existing := tgt.add("x", "OtHeRr", "other")
	placed, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if !errors.Is(err, replicator.ErrAlreadyExists) {
		t.Fatalf("Write = %v, want ErrAlreadyExists", err)
	}
	if placed.Identifier != existing.arn {
		t.Errorf("placed = %+v, want the existing %s", placed, existing.arn)
	}
	if v := existing.stage(stageCurrent); aws.ToString(v.str) != "other" || len(existing.versions) != 1 {
		t.Errorf("the existing secret was changed")
	}
}

// A target secret holding the same version (id and value) must still be
// reported as existing, and left alone: CreateSecret with that value and
// version id as its token is an idempotent success. The read-back shows
// that version was created before the call.
func TestWriteDetectsAnExistingSecretWithTheSameVersion(t *testing.T) {
	src := newFake()
	src.add("x", "AbCdEf", "v").policy = "{}"
	r := source(t, src, "x")
	tgt := newFake()
	existing := tgt.add("x", "AbCdEf")
	tgt.put(existing, &fakeVersion{id: props(t, r).CurrentVersionID, str: aws.String("v"), created: time.Now().Add(-3 * time.Second)})
	placed, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if !errors.Is(err, replicator.ErrAlreadyExists) {
		t.Fatalf("Write = %v, want ErrAlreadyExists", err)
	}
	if placed.ARN != existing.arn || placed.Identifier != existing.arn {
		t.Errorf("placed = %+v, want the existing %s", placed, existing.arn)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "BatchGetSecretValue"}, tgt.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if tgt.find("x") == nil || existing.policy != "" || len(existing.versions) != 1 {
		t.Errorf("the existing secret was changed or deleted")
	}
}

// A complete earlier copy of a secret with a previous version: CreateSecret
// with the previous value and its version id succeeds idempotently, and the
// read-back shows another AWSCURRENT version, whatever its date.
func TestWriteDetectsAnExistingCopyWithAPreviousVersion(t *testing.T) {
	src := newFake()
	src.add("x", "AbCdEf", "old", "new").policy = "{}"
	r := source(t, src, "x")
	tgt := newFake()
	p := props(t, r)
	existing := tgt.add("x", "AbCdEf")
	tgt.put(existing, &fakeVersion{id: p.PreviousVersionID, str: aws.String("old")})
	tgt.put(existing, &fakeVersion{id: p.CurrentVersionID, str: aws.String("new")})
	placed, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if !errors.Is(err, replicator.ErrAlreadyExists) || placed.ARN != existing.arn {
		t.Fatalf("Write = %+v, %v; want ErrAlreadyExists and %s", placed, err, existing.arn)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "BatchGetSecretValue"}, tgt.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if existing.policy != "" || len(existing.versions) != 2 {
		t.Errorf("the existing secret was changed")
	}
}

// moto accepts an idempotent CreateSecret for a secret scheduled for
// deletion; BatchGetSecretValue then reports it in Errors.
func TestWriteOverASecretScheduledForDeletion(t *testing.T) {
	src := newFake()
	src.add("x", "AbCdEf", "v")
	r := source(t, src, "x")
	tgt := newFake()
	existing := tgt.add("x", "AbCdEf")
	tgt.put(existing, &fakeVersion{id: props(t, r).CurrentVersionID, str: aws.String("v")})
	existing.deleted = true
	_, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if err == nil || errors.Is(err, replicator.ErrAlreadyExists) || !strings.Contains(err.Error(), "scheduled for deletion") {
		t.Fatalf("Write = %v, want the scheduled-for-deletion error", err)
	}
	if tgt.find("x") == nil || slices.Contains(tgt.calls, "DeleteSecret") || slices.Contains(tgt.calls, "PutSecretValue") {
		t.Errorf("the existing secret was changed (calls %v)", tgt.calls)
	}
}

func TestCutoff(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("15:04:05.000", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		call createCall
		want string
	}{
		// No Date header: the local start, truncated, less a second.
		{createCall{start: at("10:00:05.300"), end: at("10:00:05.320")}, "10:00:04.000"},
		{createCall{start: at("10:00:05.999"), end: at("10:00:06.010")}, "10:00:04.000"},
		// With the target's Date: Date less the call's duration rounded up to whole seconds.
		{createCall{start: at("10:00:05.300"), end: at("10:00:05.320"), server: at("10:00:05.000")}, "10:00:04.000"},
		{createCall{start: at("10:00:05.300"), end: at("10:00:07.100"), server: at("10:00:07.000")}, "10:00:05.000"},
		// The target's clock is an hour behind ours: only its own time counts.
		{createCall{start: at("11:00:05.300"), end: at("11:00:05.320"), server: at("10:00:05.000")}, "10:00:04.000"},
	} {
		if got := c.call.cutoff().Format("15:04:05.000"); got != c.want {
			t.Errorf("%+v: cutoff %s, want %s", c.call, got, c.want)
		}
	}
}

func TestExisted(t *testing.T) {
	tok := aws.String("aaaaaaaa-0000-0000-0000-000000000001")
	start := time.Date(2030, 1, 1, 10, 0, 5, 300e6, time.UTC)
	call := createCall{start: start, end: start.Add(20 * time.Millisecond), server: start.Truncate(time.Second)}
	for _, c := range []struct {
		name  string
		got   targetSecret
		token *string
		want  bool
	}{
		{"created by the call, moto truncating to the second", targetSecret{versionID: *tok, created: start.Truncate(time.Second)}, tok, false},
		{"created by an earlier attempt of the call (an SDK retry)", targetSecret{versionID: *tok, created: start.Add(time.Millisecond)}, tok, false},
		{"the same version made long before", targetSecret{versionID: *tok, created: start.Add(-time.Hour)}, tok, true},
		{"the same version made two seconds before", targetSecret{versionID: *tok, created: start.Add(-2 * time.Second)}, tok, true},
		{"another current version", targetSecret{versionID: "other", created: start}, tok, true},
		{"no token (no value): by date only", targetSecret{created: start}, nil, false},
		{"no token, old secret", targetSecret{created: start.Add(-time.Minute)}, nil, true},
		{"no date: by version only", targetSecret{versionID: *tok}, tok, false},
	} {
		if got := existed(c.got, c.token, call); got != c.want {
			t.Errorf("%s: existed = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestWriteRefusesADescriptionWithoutItsValue(t *testing.T) {
	src := newFake()
	src.add("x", "AbCdEf", "v")
	r := source(t, src, "x")
	delete(r.Secrets, ValueCurrent)
	tgt := newFake()
	_, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r)
	if err == nil || !strings.Contains(err.Error(), "no current value") {
		t.Errorf("Write = %v, want an error about the missing value", err)
	}
	if len(tgt.calls) != 0 {
		t.Errorf("calls %v, want none", tgt.calls)
	}
}

func TestTargetKey(t *testing.T) {
	secretARN := "arn:aws:secretsmanager:eu-central-1:111111111111:secret:x-AbCdEf"
	tgt := target("000000000000")
	for key, want := range map[string]string{
		"1234abcd-12ab-34cd-56ef-1234567890ab": "1234abcd-12ab-34cd-56ef-1234567890ab",
		"alias/team":                           "alias/team",
		"arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab": "arn:aws:kms:eu-central-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:eu-central-1:111111111111:alias/team":                               "arn:aws:kms:eu-central-1:000000000000:alias/team",
		"arn:aws:kms:eu-central-1:222222222222:key/other":                                "arn:aws:kms:eu-central-1:222222222222:key/other",
		"arn:aws:kms:us-east-1:111111111111:key/other":                                   "arn:aws:kms:us-east-1:111111111111:key/other",
	} {
		if got := targetKey(tgt, secretARN, key); got != want {
			t.Errorf("targetKey(%s) = %s, want %s", key, got, want)
		}
	}
}

func TestWritePassesTheCustomerKey(t *testing.T) {
	src := newFake()
	src.add("k", "AbCdEf", "v").kms = "arn:aws:kms:eu-central-1:111111111111:key/abc"
	r := source(t, src, "k")
	tgt := newFake()
	if _, err := adapterWith(tgt).Write(context.Background(), target("111111111111"), r); err != nil {
		t.Fatal(err)
	}
	if got := tgt.find("k").kms; got != "arn:aws:kms:eu-central-1:111111111111:key/abc" {
		t.Errorf("target key %q", got)
	}
}

func TestParseFilter(t *testing.T) {
	for in, want := range map[string][]types.Filter{
		"":                   nil,
		"  ":                 nil,
		"{}":                 nil,
		`{"name":["prod/"]}`: {{Key: "name", Values: []string{"prod/"}}},
		`{"tag-value":["a","b"],"all":["x"],"description":["!d"]}`: {
			{Key: "all", Values: []string{"x"}}, {Key: "description", Values: []string{"!d"}}, {Key: "tag-value", Values: []string{"a", "b"}}},
		`{"owning-service":["rds"],"primary-region":["eu-west-1"],"tag-key":["k"]}`: {
			{Key: "owning-service", Values: []string{"rds"}}, {Key: "primary-region", Values: []string{"eu-west-1"}}, {Key: "tag-key", Values: []string{"k"}}},
	} {
		got, err := parseFilter(in)
		if err != nil {
			t.Errorf("parseFilter(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b types.Filter) bool {
			return a.Key == b.Key && slices.Equal(a.Values, b.Values)
		})); diff != "" {
			t.Errorf("parseFilter(%q) (-want +got):\n%s", in, diff)
		}
	}
	for in, msg := range map[string]string{
		"prod/":                        "not a JSON object",
		"null":                         "not a JSON object",
		`[{"Key":"name"}]`:             "not a JSON object",
		`{"Name":["x"]}`:               `unknown filter key "Name"`,
		`{"name":"prod/"}`:             `filter "name" must be a non-empty array of strings`,
		`{"name":[]}`:                  `filter "name" must be a non-empty array of strings`,
		`{"name":[1]}`:                 `filter "name" must be a non-empty array of strings`,
		`{"name":["a"],"bogus":["b"]}`: `unknown filter key "bogus"`,
	} {
		_, err := parseFilter(in)
		if !errors.Is(err, replicator.ErrInvalidIdentifier) || !strings.Contains(err.Error(), msg) ||
			!strings.Contains(err.Error(), strings.Join(filterKeys, ", ")) {
			t.Errorf("parseFilter(%q) = %v, want ErrInvalidIdentifier saying %q and naming the keys", in, err, msg)
		}
	}
}

// listAll runs List on the fake and returns the resources by name.
func listAll(t *testing.T, f *fake, filter string) map[string]*replicator.Resource {
	t.Helper()
	got := map[string]*replicator.Resource{}
	err := adapterWith(f).List(context.Background(), &replicator.Source{}, filter, func(r *replicator.Resource) error {
		got[props(t, r).Name] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func seedMany(f *fake) {
	for i := range 45 {
		f.add(fmt.Sprintf("app/s%02d", i), fmt.Sprintf("Sfx%03d", i), fmt.Sprintf("value-%d", i))
	}
	f.add("app/rotated", "RoTaTe", "first", "second")
	f.add("app/novalue", "NoVaLu")
	f.add("app/deleted", "DeLeTe", "x").deleted = true
	f.add("other/x", "OtHeRx", "y")
}

func checkListed(t *testing.T, got map[string]*replicator.Resource) {
	t.Helper()
	if len(got) != 47 { // 45 + rotated + novalue; not deleted, not other/x
		t.Errorf("listed %d secrets, want 47", len(got))
	}
	for i := range 45 {
		r := got[fmt.Sprintf("app/s%02d", i)]
		if r == nil || r.Secrets[ValueCurrent].Reveal() != fmt.Sprintf("value-%d", i) {
			t.Errorf("app/s%02d missing or wrong value", i)
		}
	}
	if r := got["app/rotated"]; r == nil || r.Secrets[ValuePrevious].Reveal() != "first" || r.Secrets[ValueCurrent].Reveal() != "second" {
		t.Errorf("app/rotated: want previous first, current second")
	}
	if r := got["app/novalue"]; r == nil || len(r.Secrets) != 0 {
		t.Errorf("app/novalue: want listed without value")
	}
}

func TestListReadsValuesTwentyAtATime(t *testing.T) {
	f := newFake()
	seedMany(f)
	got := listAll(t, f, `{"name":["app/"]}`)
	checkListed(t, got)
	// ListSecrets pages 3 at a time here: each page is one batch, and no
	// batch exceeds 20 or contains the secret without value.
	for _, b := range f.batches {
		if len(b) > batchSize || slices.ContainsFunc(b, func(a string) bool { return strings.Contains(a, "novalue") }) {
			t.Errorf("batch %v", b)
		}
	}
	var gets int
	for _, c := range f.calls {
		if c == "GetSecretValue" {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d GetSecretValue calls, want 1 (the previous version of app/rotated)", gets)
	}
}

func TestBatchValuesChunksByTwenty(t *testing.T) {
	f := newFake()
	var arns []string
	for i := range 45 {
		arns = append(arns, f.add(fmt.Sprintf("s%02d", i), fmt.Sprintf("Sfx%03d", i), "v").arn)
	}
	got, _, err := batchValues(context.Background(), f, arns)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, b := range f.batches {
		sizes = append(sizes, len(b))
	}
	slices.Sort(sizes) // the batches are read concurrently
	if len(got) != 45 || !slices.Equal(sizes, []int{5, 20, 20}) {
		t.Errorf("%d values in batches %v, want 45 in 20, 20, 5", len(got), sizes)
	}
}

func TestBatchValuesSkipsGoneSecretsAndFallsBackOnMotoQuirk(t *testing.T) {
	for _, motoLike := range []bool{false, true} {
		t.Run(fmt.Sprint("motoLike=", motoLike), func(t *testing.T) {
			f := newFake()
			f.motoLike = motoLike
			a := f.add("a", "AAAAAA", "va").arn
			gone := f.add("gone", "GGGGGG", "vg")
			b := f.add("b", "BBBBBB", "vb").arn
			f.secrets = slices.DeleteFunc(f.secrets, func(s *fakeSecret) bool { return s == gone }) // deleted after listing
			got, _, err := batchValues(context.Background(), f, []string{a, gone.arn, b})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || aws.ToString(got[a].str) != "va" || aws.ToString(got[b].str) != "vb" {
				t.Errorf("values %v, want a and b", got)
			}
		})
	}
}

func TestListFailsOnAnUnreadableSecret(t *testing.T) {
	f := newFake()
	f.add("a", "AAAAAA", "v")
	f.fail["BatchGetSecretValue"] = apiErr("AccessDeniedException")
	err := adapterWith(f).List(context.Background(), &replicator.Source{}, "", func(*replicator.Resource) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("List = %v, want the access error", err)
	}
}

func TestListStopsWhenEmitFails(t *testing.T) {
	f := newFake()
	seedMany(f)
	stop := errors.New("stop")
	n := 0
	err := adapterWith(f).List(context.Background(), &replicator.Source{}, "", func(*replicator.Resource) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("List = %v after %d emits, want stop after 1", err, n)
	}
}

// A description is secret-free apart from Secrets; job.Secret prints
// redacted, so a %+v of a description shows no value.
func TestDescriptionPrintsNoValue(t *testing.T) {
	f := newFake()
	f.add("x", "AbCdEf", "prev-Value-1", "cur-Value-2")
	r := source(t, f, "x")
	for _, s := range []string{fmt.Sprintf("%+v", r), fmt.Sprintf("%v", *r), string(r.Properties)} {
		if strings.Contains(s, "Value-1") || strings.Contains(s, "Value-2") {
			t.Errorf("a value shows in %s", s)
		}
	}
	if r.Secrets[ValueCurrent] != job.Secret("cur-Value-2") {
		t.Errorf("current value not held")
	}
}

// A secret that cannot be read is emitted as unreadable (the runner fails
// it alone); the others are listed.
func TestListEmitsAnUnreadableSecretAndGoesOn(t *testing.T) {
	f := newFake()
	f.add("a", "AAAAAA", "va")
	denied := f.add("b", "BBBBBB", "vb").arn
	f.add("c", "CCCCCC", "vc")
	f.fail["GetResourcePolicy:"+denied] = apiErr("AccessDeniedException")
	var listed []*replicator.Resource
	err := adapterWith(f).List(context.Background(), &replicator.Source{}, "", func(r *replicator.Resource) error {
		listed = append(listed, r)
		return nil
	})
	if err != nil {
		t.Fatalf("List = %v, want the other secrets listed", err)
	}
	if len(listed) != 3 {
		t.Fatalf("%d resources emitted, want 3 (one unreadable)", len(listed))
	}
	for _, r := range listed {
		readable := len(r.Properties) > 0
		if (r.Identifier == denied) == readable {
			t.Errorf("%s emitted readable=%v", r.Identifier, readable)
		}
	}
}
