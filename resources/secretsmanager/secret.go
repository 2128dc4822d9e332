package secretsmanager

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/internal/coalesce"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// TypeName is the CloudFormation type this adapter replicates.
const TypeName = "AWS::SecretsManager::Secret"

// Keys of [replicator.Resource].Secrets under which the adapter holds a
// secret's values. A binary value (SecretBinary) is held base64-encoded
// (standard encoding, with padding); the description's properties say
// which values are binary.
const (
	// ValueCurrent holds the value of the version labelled AWSCURRENT.
	ValueCurrent = "current"
	// ValuePrevious holds the value of the version labelled AWSPREVIOUS,
	// where the secret has one.
	ValuePrevious = "previous"
)

const (
	// kmsKeyType is the type of a secret's customer-managed key.
	kmsKeyType = "AWS::KMS::Key"
	// defaultKey is the AWS-managed key secrets use unless told otherwise;
	// every account and emulator has its own, so it is not a dependency.
	defaultKey = "alias/aws/secretsmanager"
	// customIDTag is the create-time tag with which LocalStack and moto keep
	// the 6-character ARN suffix (REFERENCE.md section 3). moto also stores
	// it as an ordinary tag, which is left in the target (as the other
	// adapters leave theirs) and stripped when reading.
	customIDTag = "_custom_id_"
	// stageCurrent and stagePrevious are the staging labels copied.
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// secretsAPI is the part of the Secrets Manager client the adapter uses.
type secretsAPI interface {
	DescribeSecret(context.Context, *awssm.DescribeSecretInput, ...func(*awssm.Options)) (*awssm.DescribeSecretOutput, error)
	GetSecretValue(context.Context, *awssm.GetSecretValueInput, ...func(*awssm.Options)) (*awssm.GetSecretValueOutput, error)
	GetResourcePolicy(context.Context, *awssm.GetResourcePolicyInput, ...func(*awssm.Options)) (*awssm.GetResourcePolicyOutput, error)
	ListSecrets(context.Context, *awssm.ListSecretsInput, ...func(*awssm.Options)) (*awssm.ListSecretsOutput, error)
	BatchGetSecretValue(context.Context, *awssm.BatchGetSecretValueInput, ...func(*awssm.Options)) (*awssm.BatchGetSecretValueOutput, error)
	CreateSecret(context.Context, *awssm.CreateSecretInput, ...func(*awssm.Options)) (*awssm.CreateSecretOutput, error)
	PutSecretValue(context.Context, *awssm.PutSecretValueInput, ...func(*awssm.Options)) (*awssm.PutSecretValueOutput, error)
	PutResourcePolicy(context.Context, *awssm.PutResourcePolicyInput, ...func(*awssm.Options)) (*awssm.PutResourcePolicyOutput, error)
	DeleteSecret(context.Context, *awssm.DeleteSecretInput, ...func(*awssm.Options)) (*awssm.DeleteSecretOutput, error)
}

var _ secretsAPI = (*awssm.Client)(nil)

// Secret replicates AWS::SecretsManager::Secret: name, ARN suffix,
// description, KMS key, tags, resource policy, and the values of the
// AWSCURRENT and AWSPREVIOUS versions. Its identifier is the secret ARN;
// a name or partial ARN is accepted too and resolved to the full ARN. A
// BATCH job's identifier is "" (every secret) or a JSON object of
// ListSecrets filters (see the package documentation).
type Secret struct {
	newClient func(aws.Config) secretsAPI
}

// New returns the AWS::SecretsManager::Secret adapter.
func New() *Secret {
	return &Secret{newClient: func(cfg aws.Config) secretsAPI { return awssm.NewFromConfig(cfg) }}
}

// Register adds the adapters of this package to reg.
func Register(reg *replicator.Registry) { reg.Register(New()) }

var (
	_ replicator.ResourceReplicator = (*Secret)(nil)
	_ replicator.ARNResolver        = (*Secret)(nil)
	_ replicator.Lister             = (*Secret)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*Secret) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeName,
		Identifier:      "Arn",
		ARNService:      "secretsmanager",
		ARNResourceType: "secret",
		Batch: `"" for every secret, or a JSON object of ListSecrets filters, each key one of ` +
			strings.Join(filterKeys, ", ") + ` with an array of values, e.g. {"name":["prod/"],"tag-key":["team"]}`,
		// A customer-managed KMS key encrypting the secret is replicated first.
		Dependencies: []string{"AWS::KMS::Key"},
		Actions: []string{
			// Reading a value encrypted with a customer-managed key.
			"kms:Decrypt",
			"secretsmanager:DescribeSecret",
			"secretsmanager:GetResourcePolicy",
			"secretsmanager:GetSecretValue",
		},
		BatchActions: []string{
			"secretsmanager:BatchGetSecretValue",
			"secretsmanager:ListSecrets",
		},
	}
}

// properties is the adapter's description of a secret. The values are
// not here but in Resource.Secrets[ValueCurrent] and [ValuePrevious].
type properties struct {
	Name string `json:"name"`
	// ARNSuffix is the 6 characters AWS appends to the name in the ARN
	// ("-AbCdEf"), kept in the target with the _custom_id_ tag.
	ARNSuffix   string `json:"arn_suffix,omitempty"`
	Description string `json:"description,omitempty"`
	// KMSKeyID is the customer-managed key as the source gives it (key
	// id, key ARN, alias or alias ARN); empty for the AWS-managed key.
	KMSKeyID string `json:"kms_key_id,omitempty"`
	// ResourcePolicy is the JSON resource policy, if any.
	ResourcePolicy string `json:"resource_policy,omitempty"`
	// CurrentVersionID and PreviousVersionID are the version ids of the
	// AWSCURRENT and AWSPREVIOUS versions, kept in the target as the
	// ClientRequestToken of the writes; empty where there is no version.
	CurrentVersionID  string `json:"current_version_id,omitempty"`
	PreviousVersionID string `json:"previous_version_id,omitempty"`
	// CurrentBinary and PreviousBinary say the value is SecretBinary.
	CurrentBinary  bool `json:"current_binary,omitempty"`
	PreviousBinary bool `json:"previous_binary,omitempty"`
	// Rotation is recorded but not applied: see the package documentation.
	Rotation *rotation `json:"rotation,omitempty"`
	// OwningService, PrimaryRegion and SecretType (the partner of a
	// managed external secret) are recorded but not applied.
	OwningService string `json:"owning_service,omitempty"`
	PrimaryRegion string `json:"primary_region,omitempty"`
	SecretType    string `json:"secret_type,omitempty"`
}

// rotation is a secret's rotation configuration.
type rotation struct {
	Enabled                bool   `json:"enabled"`
	LambdaARN              string `json:"lambda_arn,omitempty"`
	AutomaticallyAfterDays int64  `json:"automatically_after_days,omitempty"`
	Duration               string `json:"duration,omitempty"`
	ScheduleExpression     string `json:"schedule_expression,omitempty"`
}

// meta is what DescribeSecret and ListSecrets both say about a secret.
type meta struct {
	arn, name, description, kmsKeyID  string
	owningService, primaryRegion, typ string
	rotationEnabled                   bool
	rotationLambda                    string
	rotationRules                     *types.RotationRulesType
	tags                              []types.Tag
	stages                            map[string][]string // version id → staging labels
	deleted                           bool
}

func metaFromDescribe(o *awssm.DescribeSecretOutput) meta {
	return meta{
		arn: aws.ToString(o.ARN), name: aws.ToString(o.Name), description: aws.ToString(o.Description),
		kmsKeyID: aws.ToString(o.KmsKeyId), owningService: aws.ToString(o.OwningService),
		primaryRegion: aws.ToString(o.PrimaryRegion), typ: aws.ToString(o.Type),
		rotationEnabled: aws.ToBool(o.RotationEnabled), rotationLambda: aws.ToString(o.RotationLambdaARN),
		rotationRules: o.RotationRules, tags: o.Tags, stages: o.VersionIdsToStages, deleted: o.DeletedDate != nil,
	}
}

func metaFromList(e *types.SecretListEntry) meta {
	return meta{
		arn: aws.ToString(e.ARN), name: aws.ToString(e.Name), description: aws.ToString(e.Description),
		kmsKeyID: aws.ToString(e.KmsKeyId), owningService: aws.ToString(e.OwningService),
		primaryRegion: aws.ToString(e.PrimaryRegion), typ: aws.ToString(e.Type),
		rotationEnabled: aws.ToBool(e.RotationEnabled), rotationLambda: aws.ToString(e.RotationLambdaARN),
		rotationRules: e.RotationRules, tags: e.Tags, stages: e.SecretVersionsToStages, deleted: e.DeletedDate != nil,
	}
}

// hasStage reports whether a version of the secret carries label.
func (m meta) hasStage(label string) bool {
	for _, labels := range m.stages {
		if slices.Contains(labels, label) {
			return true
		}
	}
	return false
}

// value is one version's value as read from the source.
type value struct {
	versionID string
	str       *string
	bin       []byte
}

func (s *Secret) client(e *replicator.Endpoint) secretsAPI {
	return replicator.Client(e, "secretsmanager", s.newClient)
}

// IdentifierFromARN implements replicator.ARNResolver: the identifier of a
// secret is its ARN.
func (*Secret) IdentifierFromARN(_ context.Context, _ *replicator.Source, a arn.ARN) (string, error) {
	if a.ResourceType() != "secret" || a.ResourceID() == "" {
		return "", fmt.Errorf("%w: ARN %s names no secret (want arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)",
			replicator.ErrInvalidIdentifier, a)
	}
	return a.String(), nil
}

// Read implements replicator.ResourceReplicator. id is the secret's ARN,
// partial ARN or name; the description's Identifier is the full ARN. A
// secret scheduled for deletion is not found.
func (s *Secret) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: an empty secret ARN or name", replicator.ErrInvalidIdentifier)
	}
	c := s.client(&src.Endpoint)
	out, err := c.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		if apierr.Has(err, "ResourceNotFoundException") {
			return nil, fmt.Errorf("%w: secret %q: %w", replicator.ErrNotFound, id, err)
		}
		return nil, fmt.Errorf("describing secret %q: %w", id, err)
	}
	m := metaFromDescribe(out)
	if m.deleted {
		return nil, fmt.Errorf("%w: secret %q is scheduled for deletion on %s", replicator.ErrNotFound, id, out.DeletedDate.UTC().Format("2006-01-02"))
	}
	var cur, prev *value
	if m.hasStage(stageCurrent) {
		if cur, err = getValue(ctx, c, m.arn, stageCurrent); err != nil {
			return nil, err
		}
		if cur == nil {
			return nil, fmt.Errorf("%w: secret %q was deleted while being read", replicator.ErrNotFound, id)
		}
	}
	if cur != nil && m.hasStage(stagePrevious) {
		if prev, err = getValue(ctx, c, m.arn, stagePrevious); err != nil {
			return nil, err
		}
	}
	policy, err := getPolicy(ctx, c, m.arn)
	if err != nil {
		return nil, err
	}
	return describe(m, cur, prev, policy)
}

// getValue reads the value of the version labelled stage; nil if the
// secret or the version is gone (deleted since it was described).
func getValue(ctx context.Context, c secretsAPI, secretARN, stage string) (*value, error) {
	out, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String(secretARN), VersionStage: aws.String(stage)})
	if err != nil {
		if gone(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the %s value of secret %s: %w", stage, secretARN, err)
	}
	return &value{versionID: aws.ToString(out.VersionId), str: out.SecretString, bin: out.SecretBinary}, nil
}

// getPolicy reads a secret's resource policy; "" if it has none.
func getPolicy(ctx context.Context, c secretsAPI, secretARN string) (string, error) {
	out, err := c.GetResourcePolicy(ctx, &awssm.GetResourcePolicyInput{SecretId: aws.String(secretARN)})
	if err != nil {
		return "", fmt.Errorf("reading the resource policy of secret %s: %w", secretARN, err)
	}
	return aws.ToString(out.ResourcePolicy), nil
}

// describe builds the description of one secret.
func describe(m meta, cur, prev *value, policy string) (*replicator.Resource, error) {
	props := properties{
		Name:           m.name,
		ARNSuffix:      arnSuffix(m.arn, m.name),
		Description:    m.description,
		ResourcePolicy: policy,
		OwningService:  m.owningService,
		PrimaryRegion:  m.primaryRegion,
		SecretType:     m.typ,
	}
	res := &replicator.Resource{Type: TypeName, Identifier: m.arn, ARN: m.arn}
	if m.kmsKeyID != "" && m.kmsKeyID != defaultKey {
		props.KMSKeyID = m.kmsKeyID
		res.DependsOn = append(res.DependsOn, replicator.Ref{Type: kmsKeyType, Identifier: m.kmsKeyID,
			Reason: "the secret's values are encrypted with this customer-managed key"})
	}
	if m.rotationEnabled || m.rotationLambda != "" || m.rotationRules != nil {
		props.Rotation = &rotation{Enabled: m.rotationEnabled, LambdaARN: m.rotationLambda}
		if r := m.rotationRules; r != nil {
			props.Rotation.AutomaticallyAfterDays = aws.ToInt64(r.AutomaticallyAfterDays)
			props.Rotation.Duration = aws.ToString(r.Duration)
			props.Rotation.ScheduleExpression = aws.ToString(r.ScheduleExpression)
		}
	}
	for _, t := range m.tags {
		if k := aws.ToString(t.Key); k != customIDTag {
			if res.Tags == nil {
				res.Tags = map[string]string{}
			}
			res.Tags[k] = aws.ToString(t.Value)
		}
	}
	if cur != nil {
		res.Secrets = map[string]job.Secret{}
		props.CurrentVersionID, props.CurrentBinary = cur.versionID, cur.str == nil
		res.Secrets[ValueCurrent] = cur.secret()
		if prev != nil {
			props.PreviousVersionID, props.PreviousBinary = prev.versionID, prev.str == nil
			res.Secrets[ValuePrevious] = prev.secret()
		}
	}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

func (v *value) secret() job.Secret {
	if v.str != nil {
		return job.Secret(*v.str)
	}
	return job.Secret(base64.StdEncoding.EncodeToString(v.bin))
}

// arnSuffix returns the 6 characters after the name in a secret ARN
// ("...:secret:prod/db-AbCdEf" → "AbCdEf"), or "" if the ARN has none.
func arnSuffix(secretARN, name string) string {
	a, err := arn.Parse(secretARN)
	if err != nil {
		return ""
	}
	rest, ok := strings.CutPrefix(a.ResourceID(), name+"-")
	if !ok || len(rest) != 6 {
		return ""
	}
	return rest
}

// Write implements replicator.ResourceReplicator. It creates the secret
// with its first value (the AWSPREVIOUS value if the source has one, else
// the AWSCURRENT value) and the _custom_id_ tag set to the source ARN
// suffix, reads it back, and then, only for a secret this call created,
// puts the AWSCURRENT value (if the first was the previous one) and the
// resource policy. Each value carries the source version id as its
// ClientRequestToken, so the target versions have the source ids and the
// target labels them as the source does. If a step after the read-back
// fails, the half-made secret is deleted again.
//
// CreateSecret with a value and a ClientRequestToken that a version of an
// existing secret already holds (with the same value) is an idempotent
// success on Secrets Manager and moto, not ResourceExistsException. The
// read-back tells such a secret apart (see existed): it is reported as
// already existing and left unchanged.
//
// The read-backs of secrets written at about the same time are coalesced
// into BatchGetSecretValue calls of up to 20 secrets, so a secret without
// a previous version or a policy costs the target about one call.
func (s *Secret) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var props properties
	if err := r.DecodeProperties(&props); err != nil {
		return replicator.Placed{}, err
	}
	if props.Name == "" {
		return replicator.Placed{}, fmt.Errorf("%w: the description of secret %s has no name", replicator.ErrInvalidIdentifier, r.Identifier)
	}
	cur, hasCur, err := secretValue(r, ValueCurrent, props.CurrentVersionID, props.CurrentBinary)
	if err != nil {
		return replicator.Placed{}, err
	}
	prev, hasPrev, err := secretValue(r, ValuePrevious, props.PreviousVersionID, props.PreviousBinary)
	if err != nil {
		return replicator.Placed{}, err
	}
	in := &awssm.CreateSecretInput{Name: aws.String(props.Name), Description: nonEmpty(props.Description)}
	if props.KMSKeyID != "" {
		in.KmsKeyId = aws.String(targetKey(tgt, r.ARN, props.KMSKeyID))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(r.Tags[k])})
	}
	if props.ARNSuffix != "" {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(customIDTag), Value: aws.String(props.ARNSuffix)})
	}
	// The value created with becomes AWSCURRENT; putting the current value
	// after it moves it to AWSPREVIOUS. A previous value without a current
	// one is not written.
	var put *awssm.PutSecretValueInput
	switch {
	case hasCur && hasPrev:
		in.SecretString, in.SecretBinary, in.ClientRequestToken = prev.str, prev.bin, token(prev.versionID)
		put = &awssm.PutSecretValueInput{SecretString: cur.str, SecretBinary: cur.bin, ClientRequestToken: token(cur.versionID)}
	case hasCur:
		in.SecretString, in.SecretBinary, in.ClientRequestToken = cur.str, cur.bin, token(cur.versionID)
	}

	c := s.client(&tgt.Endpoint)
	start := time.Now()
	out, err := c.CreateSecret(ctx, in)
	if err != nil {
		if apierr.Has(err, "ResourceExistsException") {
			placed, _ := readBack(ctx, c, props.Name) // best effort: the error says what matters
			return placed, fmt.Errorf("%w: secret %q", replicator.ErrAlreadyExists, props.Name)
		}
		if apierr.Has(err, "InvalidRequestException") {
			// AWS refuses a name whose secret is scheduled for deletion.
			if d, derr := c.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(props.Name)}); derr == nil && d.DeletedDate != nil {
				return replicator.Placed{}, scheduledForDeletion(props.Name, err)
			}
		}
		return replicator.Placed{}, fmt.Errorf("creating secret %q: %w", props.Name, err)
	}
	call := createCall{start: start, end: time.Now()}
	call.server, _ = awsmiddleware.GetServerTime(out.ResultMetadata)
	tgtARN := aws.ToString(out.ARN)

	// The version the call created: the token sent, or the one the SDK
	// filled in (it sets a missing ClientRequestToken on the input).
	var created *string
	hasValue := in.SecretString != nil || in.SecretBinary != nil
	if hasValue {
		created = in.ClientRequestToken
	}
	got, err := s.current(ctx, tgt, c, tgtARN, hasValue)
	if err != nil {
		// Whether this call created the secret is unknown: it is left alone
		// rather than risk deleting a secret that was there before.
		return replicator.Placed{}, fmt.Errorf("reading secret %s back from the target: %w "+
			"(it is left as it is: it may be incomplete, or it may have existed before)", tgtARN, err)
	}
	placed := replicator.Placed{Identifier: got.arn, ARN: got.arn}
	if got.deleted {
		// moto accepts an idempotent CreateSecret for a secret scheduled for deletion.
		return replicator.Placed{}, scheduledForDeletion(props.Name, nil)
	}
	if existed(got, created, call) {
		return placed, fmt.Errorf("%w: secret %q", replicator.ErrAlreadyExists, props.Name)
	}
	if err := finish(ctx, c, got.arn, put, props.ResourcePolicy); err != nil {
		// Leave no half-made secret that a retry would find "already
		// existing". The target is an emulator and the secret is ours.
		if _, derr := c.DeleteSecret(context.WithoutCancel(ctx), &awssm.DeleteSecretInput{
			SecretId: aws.String(got.arn), ForceDeleteWithoutRecovery: aws.Bool(true)}); derr != nil {
			err = fmt.Errorf("%w (and deleting the incomplete secret %s failed: %w)", err, got.arn, derr)
		}
		return replicator.Placed{}, err
	}
	return placed, nil
}

func scheduledForDeletion(name string, err error) error {
	msg := fmt.Sprintf("creating secret %q: a secret of that name is scheduled for deletion in the target: "+
		"restore it (RestoreSecret) or delete it for good (DeleteSecret with ForceDeleteWithoutRecovery)", name)
	if err == nil {
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// finish completes a secret this job created: the current value, if the
// secret was created with the previous one, and the resource policy.
func finish(ctx context.Context, c secretsAPI, tgtARN string, put *awssm.PutSecretValueInput, policy string) error {
	if put != nil {
		put.SecretId = aws.String(tgtARN)
		if _, err := c.PutSecretValue(ctx, put); err != nil {
			return fmt.Errorf("writing the current value of secret %s: %w", tgtARN, err)
		}
	}
	if policy != "" {
		if _, err := c.PutResourcePolicy(ctx, &awssm.PutResourcePolicyInput{SecretId: aws.String(tgtARN), ResourcePolicy: aws.String(policy)}); err != nil {
			return fmt.Errorf("putting the resource policy of secret %s: %w", tgtARN, err)
		}
	}
	return nil
}

// readBack returns what the target holds under name.
func readBack(ctx context.Context, c secretsAPI, name string) (replicator.Placed, error) {
	out, err := c.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		return replicator.Placed{}, err
	}
	a := aws.ToString(out.ARN)
	return replicator.Placed{Identifier: a, ARN: a}, nil
}

// targetSecret is what the read-back learns of a secret just written.
type targetSecret struct {
	arn string
	// versionID is the version labelled AWSCURRENT; "" if none.
	versionID string
	// created is when that version (or, read back with DescribeSecret, the
	// secret) was created, by the target's clock; zero if not said.
	created time.Time
	deleted bool // scheduled for deletion
}

// createCall is when a CreateSecret call was made: by the local clock
// just before and just after it, and by the target's clock (the Date
// header of its response, whole seconds) if the target sent one.
type createCall struct {
	start, end, server time.Time
}

// cutoff returns the target time before which a secret (or version) was
// created if it predates the call. A secret the call created has a
// creation time of at least the cutoff, even if the target truncates
// creation times to whole seconds (moto does).
//
// With the Date of the response (D, whole seconds), only the target's
// clock is used: the secret was created at most the call's duration e
// before the response was sent, so its creation time, truncated, is at
// least D - ceil(e). Without it, the local clock is used, one second
// before the start of the call truncated to the second: a target sharing
// our clock needs no margin beyond the truncation, the extra second
// absorbs the skew of a synchronised clock on another host.
func (c createCall) cutoff() time.Time {
	if !c.server.IsZero() {
		e := c.end.Sub(c.start)
		ceil := (e + time.Second - 1).Truncate(time.Second)
		return c.server.Truncate(time.Second).Add(-ceil)
	}
	return c.start.Truncate(time.Second).Add(-time.Second)
}

// existed reports whether the secret read back after a successful
// CreateSecret was there before the call (CreateSecret was an idempotent
// success): its AWSCURRENT version is not the one created (token), or was
// created before the call. A version created in the second or two before
// the call (a concurrent copy of the same secret) cannot be told apart.
func existed(got targetSecret, token *string, call createCall) bool {
	if token != nil && got.versionID != *token {
		return true
	}
	return !got.created.IsZero() && got.created.Before(call.cutoff())
}

// current reads back the secret just created as tgtARN: with
// BatchGetSecretValue, coalesced with the read-backs of other writes, if
// it has a value; with DescribeSecret if it has none (moto fails a whole
// BatchGetSecretValue for a secret without value), if the batch fails, or
// if the batch does not return it (it may be scheduled for deletion).
func (s *Secret) current(ctx context.Context, tgt *replicator.Target, c secretsAPI, tgtARN string, hasValue bool) (targetSecret, error) {
	if hasValue {
		if got, ok, err := s.readBacks(tgt).Get(ctx, tgtARN); err == nil && ok {
			return got, nil
		} else if ctx.Err() != nil {
			return targetSecret{}, ctx.Err()
		}
	}
	d, err := c.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String(tgtARN)})
	if err != nil {
		return targetSecret{}, err
	}
	got := targetSecret{arn: aws.ToString(d.ARN), created: aws.ToTime(d.CreatedDate), deleted: d.DeletedDate != nil}
	for id, labels := range d.VersionIdsToStages {
		if slices.Contains(labels, stageCurrent) {
			got.versionID = id
		}
	}
	return got, nil
}

// readBacks returns the target's read-back batcher: the secrets written at
// about the same time are read back together, 20 ARNs per
// BatchGetSecretValue call (which returns each secret's ARN and its
// AWSCURRENT version's id and creation date; the values it returns too
// are dropped at once).
func (s *Secret) readBacks(tgt *replicator.Target) *coalesce.Batcher[string, targetSecret] {
	return replicator.Client(&tgt.Endpoint, "secretsmanager.readback", func(aws.Config) *coalesce.Batcher[string, targetSecret] {
		c := s.client(&tgt.Endpoint)
		return &coalesce.Batcher[string, targetSecret]{
			Max:  batchSize,
			Wait: 100 * time.Millisecond, // at most, while another read-back is under way
			// IdleWait 0: a lone write (a single-resource job) is read back at once.
			Fetch: func(ctx context.Context, arns []string) (map[string]targetSecret, error) {
				found := make(map[string]targetSecret, len(arns))
				pages := awssm.NewBatchGetSecretValuePaginator(c, &awssm.BatchGetSecretValueInput{SecretIdList: arns})
				for pages.HasMorePages() {
					page, err := pages.NextPage(ctx)
					if err != nil {
						return nil, err
					}
					// A secret in page.Errors (e.g. scheduled for deletion)
					// is absent: its writer reads it with DescribeSecret.
					for _, e := range page.SecretValues {
						a := aws.ToString(e.ARN)
						found[a] = targetSecret{arn: a, versionID: aws.ToString(e.VersionId), created: aws.ToTime(e.CreatedDate)}
					}
				}
				return found, nil
			},
		}
	})
}

// writeValue is one value to write: a string or bytes, and its version id.
type writeValue struct {
	str       *string
	bin       []byte
	versionID string
}

// secretValue returns the value r holds under key. versionID non-empty
// says the source had that version, so the value must be there.
func secretValue(r *replicator.Resource, key, versionID string, binary bool) (writeValue, bool, error) {
	sec, ok := r.Secrets[key]
	if !ok {
		if versionID != "" {
			return writeValue{}, false, fmt.Errorf("the description of secret %s has no %s value although the source has one (version %s): was it redacted?",
				r.Identifier, key, versionID)
		}
		return writeValue{}, false, nil
	}
	v := writeValue{versionID: versionID}
	if !binary {
		v.str = aws.String(sec.Reveal())
		return v, true, nil
	}
	b, err := base64.StdEncoding.DecodeString(sec.Reveal())
	if err != nil {
		// The error of DecodeString names a byte offset only, not the value.
		return writeValue{}, false, fmt.Errorf("the %s binary value of secret %s is not base64: %w", key, r.Identifier, err)
	}
	v.bin = b
	return v, true, nil
}

// token returns a version id usable as a ClientRequestToken (32 to 64
// characters), or nil to let the target choose one.
func token(versionID string) *string {
	if n := len(versionID); n < 32 || n > 64 {
		return nil
	}
	return aws.String(versionID)
}

// targetKey returns the KMS key the target secret is encrypted with: the
// id the target gave the source key when this job replicated it, and a key
// or alias ARN of the secret's own account and region is moved to the
// target's account and region. Other keys are passed as given.
func targetKey(tgt *replicator.Target, secretARN, keyID string) string {
	if id := tgt.TargetID(kmsKeyType, keyID); id != keyID {
		return id
	}
	k, err := arn.Parse(keyID)
	if err != nil || k.Service != "kms" {
		return keyID
	}
	sa, err := arn.Parse(secretARN)
	if err != nil || k.AccountID != sa.AccountID || k.Region != sa.Region {
		return keyID // a key in another account or region is left to the target
	}
	if k.ResourceType() == "key" {
		k.Resource = "key/" + tgt.TargetID(kmsKeyType, k.ResourceID())
	}
	if tgt.AccountID != "" {
		k.AccountID = tgt.AccountID
	}
	if tgt.Region != "" {
		k.Region = tgt.Region
	}
	return k.String()
}

// gone reports whether err says the secret or version no longer exists:
// ResourceNotFoundException, or InvalidRequestException, which AWS returns
// for a secret scheduled for deletion.
func gone(err error) bool {
	return apierr.Has(err, "ResourceNotFoundException", "InvalidRequestException")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
