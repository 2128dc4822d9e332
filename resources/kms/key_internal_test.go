package kms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// fakeKMS is a small in-memory KMS in one account and region. Like AWS and
// moto, only DescribeKey resolves aliases and ARNs; the other reads want a
// KeyId (or key ARN).
type fakeKMS struct {
	account, region string

	mu       sync.Mutex
	keys     map[string]*types.KeyMetadata // by KeyId
	aliases  map[string]string             // alias name → KeyId
	tags     map[string][]types.Tag
	policies map[string]string
	calls    []string // "Operation KeyId" for every call
	nextID   int
}

func newFake() *fakeKMS {
	return &fakeKMS{account: "111111111111", region: "eu-central-1", keys: map[string]*types.KeyMetadata{},
		aliases: map[string]string{}, tags: map[string][]types.Tag{}, policies: map[string]string{}}
}

func (f *fakeKMS) arn(resource string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", f.region, f.account, resource)
}

// add puts a customer-managed key with id into the fake.
func (f *fakeKMS) add(id string, mut func(*types.KeyMetadata)) *types.KeyMetadata {
	md := &types.KeyMetadata{KeyId: aws.String(id), Arn: aws.String(f.arn("key/" + id)), AWSAccountId: aws.String(f.account),
		Enabled: true, KeyState: types.KeyStateEnabled, KeyManager: types.KeyManagerTypeCustomer, KeyUsage: types.KeyUsageTypeEncryptDecrypt,
		KeySpec: types.KeySpecSymmetricDefault, Origin: types.OriginTypeAwsKms, MultiRegion: aws.Bool(false)}
	if mut != nil {
		mut(md)
	}
	f.keys[id] = md
	return md
}

func notFound(id string) error {
	return &types.NotFoundException{Message: aws.String("Invalid keyId " + id)}
}

func (f *fakeKMS) record(op, id string) {
	f.calls = append(f.calls, op+" "+id)
}

// keyID accepts a KeyId or key ARN.
func (f *fakeKMS) keyID(id string) (string, error) {
	if _, ok := f.keys[id]; ok {
		return id, nil
	}
	for k, md := range f.keys {
		if aws.ToString(md.Arn) == id {
			return k, nil
		}
	}
	return "", notFound(id)
}

func (f *fakeKMS) DescribeKey(_ context.Context, in *awskms.DescribeKeyInput, _ ...func(*awskms.Options)) (*awskms.DescribeKeyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.KeyId)
	f.record("DescribeKey", id)
	name := id
	if a, err := arn.Parse(id); err == nil && a.ResourceType() == "alias" {
		name = "alias/" + a.ResourceID()
	}
	if k, ok := f.aliases[name]; ok {
		id = k
	}
	k, err := f.keyID(id)
	if err != nil {
		return nil, err
	}
	md := *f.keys[k]
	return &awskms.DescribeKeyOutput{KeyMetadata: &md}, nil
}

func (f *fakeKMS) ListResourceTags(_ context.Context, in *awskms.ListResourceTagsInput, _ ...func(*awskms.Options)) (*awskms.ListResourceTagsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ListResourceTags", aws.ToString(in.KeyId))
	k, err := f.keyID(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	return &awskms.ListResourceTagsOutput{Tags: slices.Clone(f.tags[k])}, nil
}

func (f *fakeKMS) GetKeyPolicy(_ context.Context, in *awskms.GetKeyPolicyInput, _ ...func(*awskms.Options)) (*awskms.GetKeyPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("GetKeyPolicy", aws.ToString(in.KeyId))
	k, err := f.keyID(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	if aws.ToString(in.PolicyName) != "default" {
		return nil, notFound(aws.ToString(in.PolicyName))
	}
	return &awskms.GetKeyPolicyOutput{Policy: aws.String(f.policies[k]), PolicyName: in.PolicyName}, nil
}

func (f *fakeKMS) ListAliases(_ context.Context, in *awskms.ListAliasesInput, _ ...func(*awskms.Options)) (*awskms.ListAliasesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ListAliases", aws.ToString(in.KeyId))
	want := ""
	if in.KeyId != nil {
		k, err := f.keyID(aws.ToString(in.KeyId))
		if err != nil {
			return nil, err
		}
		want = k
	}
	out := &awskms.ListAliasesOutput{}
	for name, k := range f.aliases {
		if want == "" || k == want {
			out.Aliases = append(out.Aliases, types.AliasListEntry{AliasName: aws.String(name), AliasArn: aws.String(f.arn(name)), TargetKeyId: aws.String(k)})
		}
	}
	return out, nil
}

func (f *fakeKMS) ListKeys(_ context.Context, _ *awskms.ListKeysInput, _ ...func(*awskms.Options)) (*awskms.ListKeysOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ListKeys", "")
	out := &awskms.ListKeysOutput{}
	for k, md := range f.keys {
		out.Keys = append(out.Keys, types.KeyListEntry{KeyId: aws.String(k), KeyArn: md.Arn})
	}
	return out, nil
}

func (f *fakeKMS) CreateKey(_ context.Context, in *awskms.CreateKeyInput, _ ...func(*awskms.Options)) (*awskms.CreateKeyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", f.nextID) // ignores _custom_id_, as moto does
	f.record("CreateKey", id)
	md := f.add(id, func(md *types.KeyMetadata) {
		md.Description, md.KeyUsage, md.KeySpec = in.Description, in.KeyUsage, in.KeySpec
	})
	f.tags[id] = slices.Clone(in.Tags)
	f.policies[id] = aws.ToString(in.Policy)
	cp := *md
	return &awskms.CreateKeyOutput{KeyMetadata: &cp}, nil
}

func (f *fakeKMS) DisableKey(_ context.Context, in *awskms.DisableKeyInput, _ ...func(*awskms.Options)) (*awskms.DisableKeyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("DisableKey", aws.ToString(in.KeyId))
	k, err := f.keyID(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	f.keys[k].Enabled, f.keys[k].KeyState = false, types.KeyStateDisabled
	return &awskms.DisableKeyOutput{}, nil
}

func (f *fakeKMS) CreateAlias(_ context.Context, in *awskms.CreateAliasInput, _ ...func(*awskms.Options)) (*awskms.CreateAliasOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CreateAlias", aws.ToString(in.AliasName))
	if _, dup := f.aliases[aws.ToString(in.AliasName)]; dup {
		return nil, &types.AlreadyExistsException{Message: aws.String("alias exists")}
	}
	k, err := f.keyID(aws.ToString(in.TargetKeyId))
	if err != nil {
		return nil, err
	}
	f.aliases[aws.ToString(in.AliasName)] = k
	return &awskms.CreateAliasOutput{}, nil
}

// called returns the calls made with op.
func (f *fakeKMS) called(op string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, op+" ") {
			out = append(out, strings.TrimPrefix(c, op+" "))
		}
	}
	return out
}

func adapterFor(f *fakeKMS) *Key { return &Key{newClient: func(aws.Config) kmsAPI { return f }} }

func source(f *fakeKMS) *replicator.Source {
	return &replicator.Source{Endpoint: replicator.Endpoint{AccountID: f.account, Region: f.region}}
}

func target(f *fakeKMS) *replicator.Target {
	return &replicator.Target{Endpoint: replicator.Endpoint{AccountID: f.account, Region: f.region}}
}

const keyID = "1234abcd-12ab-34cd-56ef-1234567890ab"

// seeded returns a source with one key that has an alias, tags (among them
// the module's own markers, which must not be read), a policy, and is
// disabled.
func seeded() *fakeKMS {
	f := newFake()
	f.add(keyID, func(md *types.KeyMetadata) {
		md.Description, md.Enabled, md.KeyState = aws.String("team key"), false, types.KeyStateDisabled
	})
	f.aliases["alias/team-key"] = keyID
	f.aliases["alias/other"] = "ffffffff-0000-0000-0000-000000000000"
	f.add("ffffffff-0000-0000-0000-000000000000", nil)
	f.tags[keyID] = []types.Tag{
		{TagKey: aws.String("team"), TagValue: aws.String("platform")},
		{TagKey: aws.String(customIDTag), TagValue: aws.String(keyID)},
		{TagKey: aws.String(SourceKeyIDTag), TagValue: aws.String("some-older-source")},
	}
	f.policies[keyID] = `{"Version":"2012-10-17"}`
	return f
}

func TestReadResolvesEveryIdentifierForm(t *testing.T) {
	want := properties{KeyID: keyID, Description: "team key", KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT",
		Origin: "AWS_KMS", Enabled: false, Policy: `{"Version":"2012-10-17"}`, Aliases: []string{"alias/team-key"}}
	for _, id := range []string{
		keyID,
		"arn:aws:kms:eu-central-1:111111111111:key/" + keyID,
		"alias/team-key",
		"arn:aws:kms:eu-central-1:111111111111:alias/team-key",
	} {
		t.Run(id, func(t *testing.T) {
			f := seeded()
			res, err := adapterFor(f).Read(context.Background(), source(f), id)
			if err != nil {
				t.Fatalf("Read(%q): %v", id, err)
			}
			if res.Identifier != keyID || res.ARN != "arn:aws:kms:eu-central-1:111111111111:key/"+keyID || res.Type != TypeName {
				t.Errorf("Read(%q) = %s %s %s, want the KeyId %s and its key ARN", id, res.Type, res.Identifier, res.ARN, keyID)
			}
			var got properties
			if err := res.DecodeProperties(&got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("properties (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"team": "platform"}, res.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			// Only DescribeKey may see the identifier as given: the other
			// reads do not resolve aliases.
			for _, op := range []string{"ListResourceTags", "GetKeyPolicy", "ListAliases"} {
				if got := f.called(op); !slices.Equal(got, []string{keyID}) {
					t.Errorf("%s called with %q, want the KeyId once", op, got)
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	f := seeded()
	f.add("dddddddd-0000-0000-0000-000000000000", func(md *types.KeyMetadata) { md.KeyState = types.KeyStatePendingDeletion })
	f.add("aaaaaaaa-0000-0000-0000-000000000000", func(md *types.KeyMetadata) { md.KeyManager = types.KeyManagerTypeAws })
	f.aliases["alias/aws/ssm"] = "aaaaaaaa-0000-0000-0000-000000000000"
	f.add("cccccccc-0000-0000-0000-000000000000", func(md *types.KeyMetadata) { md.AWSAccountId = aws.String("222222222222") })
	for id, want := range map[string]error{
		"":                                     replicator.ErrInvalidIdentifier,
		"alias/missing":                        replicator.ErrNotFound,
		"99999999-0000-0000-0000-000000000000": replicator.ErrNotFound,
		"dddddddd-0000-0000-0000-000000000000": replicator.ErrNotFound,
		"alias/aws/ssm":                        replicator.ErrUnsupported,
		"cccccccc-0000-0000-0000-000000000000": replicator.ErrInvalidIdentifier,
	} {
		if _, err := adapterFor(f).Read(context.Background(), source(f), id); !errors.Is(err, want) {
			t.Errorf("Read(%q) error = %v, want %v", id, err, want)
		}
	}
}

func TestIdentifierFromARN(t *testing.T) {
	k := New()
	for in, want := range map[string]string{
		"arn:aws:kms:eu-central-1:111111111111:key/" + keyID:                             keyID,
		"arn:aws:kms:eu-central-1:111111111111:key/mrk-0123456789abcdef0123456789abcdef": "mrk-0123456789abcdef0123456789abcdef",
	} {
		a, err := arn.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := k.IdentifierFromARN(context.Background(), nil, a); err != nil || got != want {
			t.Errorf("IdentifierFromARN(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	a, _ := arn.Parse("arn:aws:kms:eu-central-1:111111111111:alias/team-key")
	if _, err := k.IdentifierFromARN(context.Background(), nil, a); !errors.Is(err, replicator.ErrInvalidIdentifier) {
		t.Errorf("IdentifierFromARN(alias ARN) error = %v, want ErrInvalidIdentifier", err)
	}
}

// readSeeded reads the seeded key through the adapter, as a job would.
func readSeeded(t *testing.T) *replicator.Resource {
	t.Helper()
	f := seeded()
	res, err := adapterFor(f).Read(context.Background(), source(f), keyID)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A target that kept the KeyId (LocalStack) holds the copy under the source
// id: Write must find it there and create nothing.
func TestWriteFindsACopyThatKeptTheKeyID(t *testing.T) {
	res := readSeeded(t)
	tgt := newFake()
	tgt.account = "000000000000"
	tgt.add(keyID, nil)
	placed, err := adapterFor(tgt).Write(context.Background(), target(tgt), res)
	if !errors.Is(err, replicator.ErrAlreadyExists) {
		t.Fatalf("Write error = %v, want ErrAlreadyExists", err)
	}
	want := replicator.Placed{Identifier: keyID, ARN: "arn:aws:kms:eu-central-1:000000000000:key/" + keyID}
	if placed != want {
		t.Errorf("Placed = %+v, want %+v", placed, want)
	}
	if got := tgt.called("CreateKey"); len(got) != 0 {
		t.Errorf("CreateKey called %v, want no call", got)
	}
}

// A target that assigns its own ids (moto) holds the copy under a new id,
// tagged with the source KeyId; a copy pending deletion does not count.
func TestWriteFindsACopyByItsMarkerTag(t *testing.T) {
	res := readSeeded(t)
	tgt := newFake()
	tgt.add("eeeeeeee-0000-0000-0000-000000000000", func(md *types.KeyMetadata) { md.KeyState = types.KeyStatePendingDeletion })
	tgt.tags["eeeeeeee-0000-0000-0000-000000000000"] = []types.Tag{{TagKey: aws.String(SourceKeyIDTag), TagValue: aws.String(keyID)}}
	tgt.add("bbbbbbbb-0000-0000-0000-000000000000", nil)
	tgt.tags["bbbbbbbb-0000-0000-0000-000000000000"] = []types.Tag{{TagKey: aws.String(SourceKeyIDTag), TagValue: aws.String("someone-else")}}
	a := adapterFor(tgt)

	// The first write creates, ignoring both keys above.
	placed, err := a.Write(context.Background(), target(tgt), res)
	if err != nil {
		t.Fatalf("first Write: %v", err)
	}
	if got := tgt.called("CreateKey"); len(got) != 1 || got[0] != placed.Identifier {
		t.Fatalf("CreateKey calls %v, want one creating %s", got, placed.Identifier)
	}
	created := tgt.keys[placed.Identifier]
	if created.Enabled {
		t.Error("the copy of a disabled key is enabled")
	}
	if got := tgt.aliases["alias/team-key"]; got != placed.Identifier {
		t.Errorf("alias/team-key points at %q, want %s", got, placed.Identifier)
	}
	tags := map[string]string{}
	for _, tg := range tgt.tags[placed.Identifier] {
		tags[aws.ToString(tg.TagKey)] = aws.ToString(tg.TagValue)
	}
	wantTags := map[string]string{"team": "platform", customIDTag: keyID, SourceKeyIDTag: keyID}
	if diff := cmp.Diff(wantTags, tags); diff != "" {
		t.Errorf("created tags (-want +got):\n%s", diff)
	}

	// The second finds it.
	again, err := a.Write(context.Background(), target(tgt), res)
	if !errors.Is(err, replicator.ErrAlreadyExists) || again != placed {
		t.Errorf("second Write = %+v, %v; want ErrAlreadyExists with %+v", again, err, placed)
	}
	if got := tgt.called("CreateKey"); len(got) != 1 {
		t.Errorf("CreateKey called %d times, want once", len(got))
	}
}

func TestWriteRefusesAnAliasTakenInTheTarget(t *testing.T) {
	res := readSeeded(t)
	tgt := newFake()
	tgt.add("bbbbbbbb-0000-0000-0000-000000000000", nil)
	tgt.aliases["alias/team-key"] = "bbbbbbbb-0000-0000-0000-000000000000"
	_, err := adapterFor(tgt).Write(context.Background(), target(tgt), res)
	if err == nil || errors.Is(err, replicator.ErrAlreadyExists) || !strings.Contains(err.Error(), "alias/team-key") {
		t.Errorf("Write error = %v, want a plain error naming alias/team-key", err)
	}
	if got := tgt.called("CreateKey"); len(got) != 0 {
		t.Errorf("CreateKey called %v, want no key created", got)
	}
}
