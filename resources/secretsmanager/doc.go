// Package secretsmanager replicates AWS Secrets Manager secrets
// (AWS::SecretsManager::Secret).
//
// # What is copied
//
// The name, the 6-character suffix AWS appends to the name in the ARN,
// the description, the customer-managed KMS key (if any), the tags, the
// resource policy, and the values of the versions labelled AWSCURRENT and
// AWSPREVIOUS (SecretString or SecretBinary), with their version ids. The
// target is written so that it labels the same values the same way: the
// secret is created with its first value (the previous one if there is
// one, else the current one), then the current value is put after the
// previous one, each with the source version id as its ClientRequestToken
// (so the target versions have the source ids). See "Writing" for how an
// existing secret is still told apart.
//
// Values are held as secret material ([replicator.Resource].Secrets, under
// [ValueCurrent] and [ValuePrevious]; binary values base64-encoded, with a
// property saying so) and never appear in the properties, logs, errors or
// job documents.
//
// A secret encrypted with a customer-managed key depends on that key
// (AWS::KMS::Key, named as the secret names it), which is replicated first
// where an adapter for it is registered. The secret is created with the id
// the target gave that key; a key ARN of the secret's own account and
// region is moved to the target's account and region. The AWS-managed key
// alias/aws/secretsmanager is no dependency: every account has its own.
//
// Not copied:
//   - Rotation. RotationEnabled, RotationLambdaARN and RotationRules are
//     recorded in the description but not applied: the rotation Lambda
//     function is not replicated, and enabling rotation in the target would
//     make it call a function that does not exist there (or, worse, rotate
//     the copied value away from the source's).
//   - Versions other than AWSCURRENT and AWSPREVIOUS (AWSPENDING, custom
//     staging labels, older unlabelled versions).
//   - Replication to other regions (replica regions), the owning service
//     of a managed secret (e.g. RDS), the primary region of a replica and
//     the partner type of a managed external secret. The last three are
//     recorded in the description only; the target secret is an ordinary
//     secret.
//
// # Identifiers and ARNs
//
// A secret is named by its ARN
// (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf). A name or a
// partial ARN (without the suffix) is accepted too; the description's
// Identifier is always the full ARN.
//
// The target keeps the suffix through the _custom_id_ create-time tag
// (LocalStack and moto honour it for secrets). moto also stores that tag
// as an ordinary tag; like the other adapters, this one leaves it there
// (removing it would cost the target a call per secret) and leaves it out
// when it reads a secret's tags, so a copy of the copy has the same tags.
// With the target account set to the source account, the target ARN equals
// the source ARN.
//
// Into another account (the default 000000000000) the name and suffix are
// kept but the ARN names the target account. The job then reports the
// outcome's identity as "same_identifier": everything of the ARN but the
// account (and region) is kept, as read back from the target, whose ARN is
// the outcome's target_identifier.
//
// # Writing
//
// A secret costs the target one CreateSecret (with the first value, the
// tags, the description, the KMS key and the _custom_id_ tag), a share of
// one BatchGetSecretValue, and one call more for a previous version
// (PutSecretValue of the current value) and for a resource policy
// (PutResourcePolicy). The read-back of each written secret goes through a
// batcher (internal/coalesce): secrets written at about the same time are
// read back together, up to 20 per BatchGetSecretValue, which returns each
// secret's ARN and its AWSCURRENT version's id and creation date (the
// values it returns too are dropped). The outcome's target ARN comes from
// this read-back. A secret without a value is read back with
// DescribeSecret (moto 5.2.1 fails a whole BatchGetSecretValue for a secret
// without a value), and so is a secret the batch does not return or when
// the batch fails.
//
// The read-back comes before any other change, because CreateSecret does
// not always say that the secret exists: when a version of an existing
// secret has the ClientRequestToken and the same value, Secrets Manager
// and moto take the call for an idempotent retry and succeed (moto 5.2.1
// even does so for a secret scheduled for deletion, which the read-back
// reports as such). That is exactly the case of a secret replicated again
// into the same target. The read-back tells such a secret apart:
//
//   - its AWSCURRENT version is not the one created (an earlier copy of a
//     secret with a previous version: created with the previous value, its
//     current version is another), or
//   - that version was created before the call. moto 5.2.1 keeps creation
//     times in whole seconds (truncated), so the time is compared with a
//     cutoff that a secret the call created cannot precede: the Date of the
//     CreateSecret response (the target's clock, whole seconds) less the
//     call's duration rounded up to whole seconds. This uses the target's
//     clock alone, so it holds for an emulator on another host whose clock
//     is off; comparing with our clock just before the call would need no
//     margin for an emulator sharing our clock (loopback), but any skew
//     would then report new secrets as existing and leave them half made.
//     Without a Date header, the cutoff is our clock at the start of the
//     call, truncated to the second, less one second of margin for skew.
//
// Such a secret is reported as already existing, with the ARN read back,
// and left unchanged: no value or policy is put. A secret the call created
// itself, including by an earlier attempt that the SDK retried after a lost
// response, has its version id and a creation time after the cutoff, and
// is completed. If completing it fails, it is deleted again, so a retry
// does not find it "already existing". If it cannot be read back at all,
// it is left alone (it may have existed) and the error says so.
//
// # BATCH
//
// A BATCH job's identifier is "" for every secret, or a JSON object of
// ListSecrets filters: each key is one of all, description, name,
// owning-service, primary-region, tag-key or tag-value, and each value is
// a non-empty array of strings, matched as ListSecrets documents (names,
// descriptions and tags by prefix; a leading "!" negates). For example
//
//	{"name": ["prod/"]}
//	{"tag-key": ["team"], "tag-value": ["platform"]}
//
// selects the secrets whose names start with "prod/", and those tagged
// team=platform. Secrets scheduled for deletion are left out. Values are
// read 20 at a time with BatchGetSecretValue, and each page of up to 50
// secrets is replicated as soon as it is read.
//
// # TREE
//
// A secret has no children; TREE jobs replicate the secret alone.
//
// # Source permissions
//
// secretsmanager:DescribeSecret, secretsmanager:GetSecretValue and
// secretsmanager:GetResourcePolicy; for BATCH jobs also
// secretsmanager:ListSecrets and secretsmanager:BatchGetSecretValue; and
// kms:Decrypt on the customer-managed keys of the secrets.
//
// # Limitations
//
// A secret scheduled for deletion in the source is not found. A secret
// already in the target is left unchanged (see ignore_already_existing);
// but a copy of the same secret made less than about two seconds before
// (by a concurrent job) cannot be told apart from one this job made, and
// is completed with the same values and policy.
// moto 5.2.1 as a source ignores the primary-region and owning-service
// filters (it selects nothing) and fails a whole BatchGetSecretValue call
// when one secret has no value; the adapter then reads that batch one
// secret at a time. A BATCH job ends in error if one listed secret cannot
// be read (for example, kms:Decrypt is denied), naming the secret.
package secretsmanager
