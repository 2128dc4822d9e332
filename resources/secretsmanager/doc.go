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
// secret is created without a value, then the previous value and the
// current value are put, in that order, each with the source version id as
// its ClientRequestToken (so the target versions have the source ids).
// CreateSecret carries no value because, with a value and a version id an
// existing secret already holds, it is an idempotent success, which would
// hide that the secret already exists in the target.
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
// (LocalStack and moto honour it for secrets); moto also stores that tag as
// an ordinary tag, so the adapter removes it after the write. With the
// target account set to the source account, the target ARN equals the
// source ARN.
//
// Into another account (the default 000000000000) the name and suffix are
// kept but the ARN names the target account. The job then reports the
// outcome's identity as "same_identifier": everything of the ARN but the
// account (and region) is kept, as read back from the target, whose ARN is
// the outcome's target_identifier.
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
// read 20 at a time with BatchGetSecretValue, and each page of up to 100
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
// already in the target is left unchanged (see ignore_already_existing).
// moto 5.2.1 as a source ignores the primary-region and owning-service
// filters (it selects nothing) and fails a whole BatchGetSecretValue call
// when one secret has no value; the adapter then reads that batch one
// secret at a time. A BATCH job ends in error if one listed secret cannot
// be read (for example, kms:Decrypt is denied), naming the secret.
package secretsmanager
