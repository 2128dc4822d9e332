package kms

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// TypeName is the CloudFormation type this adapter replicates.
const TypeName = "AWS::KMS::Key"

// SourceKeyIDTag is the tag the adapter puts on every key it creates in a
// target, holding the source KeyId. On targets that assign their own key
// ids (moto) it is how a later job finds the copy made earlier instead of
// creating a second one. It is not copied from a source key.
const SourceKeyIDTag = "awsreplicator:source-key-id"

// customIDTag asks LocalStack to give a created key this KeyId
// (REFERENCE.md section 3); moto ignores it and keeps it as a plain tag.
const customIDTag = "_custom_id_"

// policyName is the only key policy name KMS has.
const policyName = "default"

// kmsAPI is the part of the KMS client the adapter uses.
type kmsAPI interface {
	DescribeKey(context.Context, *awskms.DescribeKeyInput, ...func(*awskms.Options)) (*awskms.DescribeKeyOutput, error)
	ListResourceTags(context.Context, *awskms.ListResourceTagsInput, ...func(*awskms.Options)) (*awskms.ListResourceTagsOutput, error)
	GetKeyPolicy(context.Context, *awskms.GetKeyPolicyInput, ...func(*awskms.Options)) (*awskms.GetKeyPolicyOutput, error)
	ListAliases(context.Context, *awskms.ListAliasesInput, ...func(*awskms.Options)) (*awskms.ListAliasesOutput, error)
	ListKeys(context.Context, *awskms.ListKeysInput, ...func(*awskms.Options)) (*awskms.ListKeysOutput, error)
	CreateKey(context.Context, *awskms.CreateKeyInput, ...func(*awskms.Options)) (*awskms.CreateKeyOutput, error)
	DisableKey(context.Context, *awskms.DisableKeyInput, ...func(*awskms.Options)) (*awskms.DisableKeyOutput, error)
	CreateAlias(context.Context, *awskms.CreateAliasInput, ...func(*awskms.Options)) (*awskms.CreateAliasOutput, error)
}

var _ kmsAPI = (*awskms.Client)(nil)

// Key replicates AWS::KMS::Key: a customer-managed key's spec, usage,
// description, key policy, tags, enabled state, multi-Region flag and
// aliases. Its identifier is the KeyId; Read also accepts a key ARN, an
// alias name ("alias/x") or an alias ARN and resolves it to the KeyId.
type Key struct {
	newClient func(aws.Config) kmsAPI
}

// New returns the AWS::KMS::Key adapter.
func New() *Key {
	return &Key{newClient: func(cfg aws.Config) kmsAPI { return awskms.NewFromConfig(cfg) }}
}

// Register adds the adapters of this package to reg.
func Register(reg *replicator.Registry) { reg.Register(New()) }

var (
	_ replicator.ResourceReplicator = (*Key)(nil)
	_ replicator.ARNResolver        = (*Key)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*Key) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeName,
		Identifier:      "KeyId",
		ARNService:      "kms",
		ARNResourceType: "key",
		Actions: []string{
			"kms:DescribeKey",
			"kms:GetKeyPolicy",
			"kms:ListAliases",
			"kms:ListResourceTags",
		},
	}
}

// properties is the adapter's description of a key. Key material is not
// here, nor anywhere: AWS never lets it out.
type properties struct {
	KeyID       string `json:"key_id"`
	Description string `json:"description,omitempty"`
	KeyUsage    string `json:"key_usage,omitempty"`
	KeySpec     string `json:"key_spec,omitempty"`
	// Origin is recorded (AWS_KMS, EXTERNAL, AWS_CLOUDHSM,
	// EXTERNAL_KEY_STORE); the copy is always made with AWS_KMS material.
	Origin  string `json:"origin,omitempty"`
	Enabled bool   `json:"enabled"`
	// MultiRegion and MultiRegionKeyType (PRIMARY, REPLICA) are recorded;
	// the copy is a multi-Region primary key when MultiRegion is set.
	MultiRegion        bool   `json:"multi_region,omitempty"`
	MultiRegionKeyType string `json:"multi_region_key_type,omitempty"`
	// Policy is the "default" key policy document, verbatim.
	Policy string `json:"policy,omitempty"`
	// Aliases are the alias names ("alias/x") that point at the key.
	Aliases []string `json:"aliases,omitempty"`
}

func (k *Key) client(e *replicator.Endpoint) kmsAPI {
	return replicator.Client(e, "kms", k.newClient)
}

// IdentifierFromARN implements replicator.ARNResolver: the KeyId is what
// follows "key/" in a key ARN.
func (*Key) IdentifierFromARN(_ context.Context, _ *replicator.Source, a arn.ARN) (string, error) {
	if a.Service != "kms" || a.ResourceType() != "key" || a.ResourceID() == "" {
		return "", fmt.Errorf("%w: ARN %s names no KMS key (want arn:aws:kms:REGION:ACCOUNT:key/KEY-ID)", replicator.ErrInvalidIdentifier, a)
	}
	return a.ResourceID(), nil
}

// Read implements replicator.ResourceReplicator. id is a KeyId, a key ARN,
// an alias name or an alias ARN: DescribeKey resolves each to the key, and
// the description is always identified by the KeyId. A key pending
// deletion is reported as not found; an AWS-managed key is not supported
// (every account has its own).
func (k *Key) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: an empty KMS key identifier", replicator.ErrInvalidIdentifier)
	}
	c := k.client(&src.Endpoint)
	out, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return nil, sourceError(id, err)
	}
	md := out.KeyMetadata
	if md == nil || aws.ToString(md.KeyId) == "" {
		return nil, fmt.Errorf("%w: DescribeKey of %q returned no key", replicator.ErrNotFound, id)
	}
	keyID := aws.ToString(md.KeyId)
	switch {
	case md.KeyState == types.KeyStatePendingDeletion || md.KeyState == types.KeyStatePendingReplicaDeletion:
		return nil, fmt.Errorf("%w: key %s (named %q) is pending deletion", replicator.ErrNotFound, keyID, id)
	case md.KeyManager == types.KeyManagerTypeAws:
		return nil, fmt.Errorf("%w: key %s (named %q) is AWS-managed; AWS creates its own in every account, so it cannot be copied",
			replicator.ErrUnsupported, keyID, id)
	case src.AccountID != "" && md.AWSAccountId != nil && aws.ToString(md.AWSAccountId) != src.AccountID:
		return nil, fmt.Errorf("%w: key %q belongs to account %s, not the source account %s",
			replicator.ErrInvalidIdentifier, id, aws.ToString(md.AWSAccountId), src.AccountID)
	}
	props := properties{
		KeyID:              keyID,
		Description:        aws.ToString(md.Description),
		KeyUsage:           string(md.KeyUsage),
		KeySpec:            string(md.KeySpec),
		Origin:             string(md.Origin),
		Enabled:            md.Enabled,
		MultiRegion:        aws.ToBool(md.MultiRegion),
		MultiRegionKeyType: multiRegionKeyType(md),
	}
	pol, err := c.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String(policyName)})
	if err != nil {
		return nil, fmt.Errorf("reading the key policy of %s: %w", keyID, err)
	}
	props.Policy = aws.ToString(pol.Policy)
	if props.Aliases, err = aliasesOf(ctx, c, keyID); err != nil {
		return nil, fmt.Errorf("listing the aliases of %s: %w", keyID, err)
	}
	tags, err := tagsOf(ctx, c, keyID)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", keyID, err)
	}
	res := &replicator.Resource{Type: TypeName, Identifier: keyID, ARN: aws.ToString(md.Arn), Tags: userTags(tags)}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

// sourceError maps a DescribeKey error on the source to the replicator's
// sentinels.
func sourceError(id string, err error) error {
	switch apierr.Code(err) {
	case "NotFoundException":
		return fmt.Errorf("%w: KMS key %q: %w", replicator.ErrNotFound, id, err)
	case "InvalidArnException":
		return fmt.Errorf("%w: KMS key %q: %w", replicator.ErrInvalidIdentifier, id, err)
	}
	return fmt.Errorf("describing KMS key %q: %w", id, err)
}

func multiRegionKeyType(md *types.KeyMetadata) string {
	if md.MultiRegionConfiguration == nil {
		return ""
	}
	return string(md.MultiRegionConfiguration.MultiRegionKeyType)
}

// aliasesOf returns the sorted alias names pointing at keyID.
func aliasesOf(ctx context.Context, c kmsAPI, keyID string) ([]string, error) {
	var names []string
	pages := awskms.NewListAliasesPaginator(c, &awskms.ListAliasesInput{KeyId: aws.String(keyID)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Aliases {
			// ListAliases with KeyId returns only that key's aliases;
			// the check guards against emulators that ignore the filter.
			if n := aws.ToString(a.AliasName); n != "" && (a.TargetKeyId == nil || aws.ToString(a.TargetKeyId) == keyID) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// tagsOf returns every tag of keyID, nil if it has none.
func tagsOf(ctx context.Context, c kmsAPI, keyID string) (map[string]string, error) {
	var tags map[string]string
	pages := awskms.NewListResourceTagsPaginator(c, &awskms.ListResourceTagsInput{KeyId: aws.String(keyID)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tags {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[aws.ToString(t.TagKey)] = aws.ToString(t.TagValue)
		}
	}
	return tags, nil
}

// userTags drops the tags this module puts on keys it creates, so that a
// key that was itself replicated reads as its original.
func userTags(tags map[string]string) map[string]string {
	delete(tags, customIDTag)
	delete(tags, SourceKeyIDTag)
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// Write implements replicator.ResourceReplicator. It first looks for a copy
// made earlier: a key with the source KeyId (a target that keeps ids), else
// a key tagged SourceKeyIDTag = the source KeyId (a target that does not);
// either is ErrAlreadyExists with that key's Placed. Otherwise it checks
// that none of the aliases is taken, creates the key (with the tag
// _custom_id_ so targets that can keep the KeyId do), disables it if the
// source key is disabled, creates the aliases pointing at it, and reads it
// back.
func (k *Key) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var props properties
	if err := r.DecodeProperties(&props); err != nil {
		return replicator.Placed{}, err
	}
	srcID := r.Identifier
	if srcID == "" {
		srcID = props.KeyID
	}
	if srcID == "" {
		return replicator.Placed{}, fmt.Errorf("%w: a KMS key description without a KeyId", replicator.ErrInvalidIdentifier)
	}
	c := k.client(&tgt.Endpoint)
	existing, found, err := findCopy(ctx, c, srcID)
	if err != nil {
		return replicator.Placed{}, err
	}
	if found {
		return existing, fmt.Errorf("%w: KMS key %s (target key %s)", replicator.ErrAlreadyExists, srcID, existing.Identifier)
	}
	if err := checkAliasesFree(ctx, c, props.Aliases); err != nil {
		return replicator.Placed{}, err
	}

	in := &awskms.CreateKeyInput{
		Description: nonEmpty(props.Description),
		KeyUsage:    types.KeyUsageType(props.KeyUsage),
		KeySpec:     types.KeySpec(props.KeySpec),
		Policy:      nonEmpty(props.Policy),
		// The policy is copied verbatim and may name principals of the
		// source account; an emulator does not enforce it, and AWS's
		// lockout check would only get in the way of a faithful copy.
		BypassPolicyLockoutSafetyCheck: props.Policy != "",
	}
	if props.MultiRegion {
		in.MultiRegion = aws.Bool(true)
	}
	tags := map[string]string{}
	maps.Copy(tags, r.Tags)
	tags[customIDTag] = srcID
	tags[SourceKeyIDTag] = srcID
	for _, key := range slices.Sorted(maps.Keys(tags)) {
		in.Tags = append(in.Tags, types.Tag{TagKey: aws.String(key), TagValue: aws.String(tags[key])})
	}
	out, err := c.CreateKey(ctx, in)
	if err != nil {
		if apierr.Code(err) == "AlreadyExistsException" {
			return replicator.Placed{}, fmt.Errorf("%w: KMS key %s", replicator.ErrAlreadyExists, srcID)
		}
		return replicator.Placed{}, fmt.Errorf("creating KMS key %s: %w", srcID, err)
	}
	if out.KeyMetadata == nil || aws.ToString(out.KeyMetadata.KeyId) == "" {
		return replicator.Placed{}, fmt.Errorf("creating KMS key %s: the target returned no key id", srcID)
	}
	newID := aws.ToString(out.KeyMetadata.KeyId)
	// From here on the key exists: report it even when a later step fails,
	// so the job records where it went.
	created := replicator.Placed{Identifier: newID, ARN: aws.ToString(out.KeyMetadata.Arn)}
	if !props.Enabled {
		if _, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(newID)}); err != nil {
			return created, fmt.Errorf("disabling KMS key %s (target key %s): %w", srcID, newID, err)
		}
	}
	for _, alias := range props.Aliases {
		if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(newID)}); err != nil {
			return created, fmt.Errorf("creating alias %s for KMS key %s (target key %s): %w", alias, srcID, newID, err)
		}
	}
	back, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(newID)})
	if err != nil {
		return created, fmt.Errorf("reading KMS key %s (target key %s) back from the target: %w", srcID, newID, err)
	}
	if back.KeyMetadata == nil {
		return created, fmt.Errorf("KMS key %s was written as %s but the target does not describe it", srcID, newID)
	}
	return replicator.Placed{Identifier: aws.ToString(back.KeyMetadata.KeyId), ARN: aws.ToString(back.KeyMetadata.Arn)}, nil
}

// findCopy looks in the target for a copy of the source key srcID: first
// by id (targets that keep ids), then by the SourceKeyIDTag marker (one
// ListResourceTags per key: fine for the few keys an emulator holds). Keys
// pending deletion found by the marker are ignored; the source id itself
// pending deletion is an error, since a new key cannot take that id.
func findCopy(ctx context.Context, c kmsAPI, srcID string) (replicator.Placed, bool, error) {
	out, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(srcID)})
	switch {
	case err == nil && out.KeyMetadata != nil:
		md := out.KeyMetadata
		if pendingDeletion(md) {
			return replicator.Placed{}, false, fmt.Errorf("KMS key %s exists in the target but is pending deletion: cancel the deletion (CancelKeyDeletion) to use it, or reset the target", srcID)
		}
		return replicator.Placed{Identifier: aws.ToString(md.KeyId), ARN: aws.ToString(md.Arn)}, true, nil
	case err != nil && apierr.Code(err) != "NotFoundException":
		return replicator.Placed{}, false, fmt.Errorf("looking for KMS key %s in the target: %w", srcID, err)
	}
	pages := awskms.NewListKeysPaginator(c, &awskms.ListKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return replicator.Placed{}, false, fmt.Errorf("listing the keys of the target: %w", err)
		}
		for _, entry := range page.Keys {
			id := aws.ToString(entry.KeyId)
			tags, err := tagsOf(ctx, c, id)
			if err != nil {
				if apierr.Code(err) == "NotFoundException" {
					continue // deleted since it was listed
				}
				return replicator.Placed{}, false, fmt.Errorf("listing the tags of target key %s: %w", id, err)
			}
			if tags[SourceKeyIDTag] != srcID {
				continue
			}
			d, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(id)})
			if err != nil {
				if apierr.Code(err) == "NotFoundException" {
					continue
				}
				return replicator.Placed{}, false, fmt.Errorf("describing target key %s: %w", id, err)
			}
			if d.KeyMetadata == nil || pendingDeletion(d.KeyMetadata) {
				continue
			}
			return replicator.Placed{Identifier: aws.ToString(d.KeyMetadata.KeyId), ARN: aws.ToString(d.KeyMetadata.Arn)}, true, nil
		}
	}
	return replicator.Placed{}, false, nil
}

func pendingDeletion(md *types.KeyMetadata) bool {
	return md.KeyState == types.KeyStatePendingDeletion || md.KeyState == types.KeyStatePendingReplicaDeletion
}

// checkAliasesFree fails if any of aliases already names a key in the
// target: the key is then not created, so nothing is left half-made.
func checkAliasesFree(ctx context.Context, c kmsAPI, aliases []string) error {
	if len(aliases) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, a := range aliases {
		want[a] = true
	}
	var taken []string
	pages := awskms.NewListAliasesPaginator(c, &awskms.ListAliasesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the aliases of the target: %w", err)
		}
		for _, a := range page.Aliases {
			if n := aws.ToString(a.AliasName); want[n] {
				taken = append(taken, fmt.Sprintf("%s (key %s)", n, aws.ToString(a.TargetKeyId)))
			}
		}
	}
	if len(taken) > 0 {
		slices.Sort(taken)
		return fmt.Errorf("the target already has alias %s pointing at another key; delete it there or replicate into another account",
			strings.Join(taken, ", "))
	}
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
