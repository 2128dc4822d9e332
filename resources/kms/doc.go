// Package kms replicates AWS Key Management Service keys (AWS::KMS::Key).
//
// # What is copied
//
// For a customer-managed key: its key spec, key usage, description, key
// policy (the "default" policy, verbatim), tags, enabled state (a disabled
// source key is created and then disabled in the target), multi-Region
// flag, and its aliases, which are created in the target pointing at the
// copy. The key's origin and multi-Region key type are recorded in the
// description; the copy always has AWS_KMS key material and, when the
// source key is multi-Region, is a multi-Region primary key.
//
// Key material is never copied, and cannot be: AWS does not let key
// material leave KMS. The copy has the same KeyId and ARN (where the target
// keeps them) but new material, so ciphertext made with the key in AWS does
// not decrypt in the target; data meant for the target must be encrypted
// there. LocalStack's _custom_key_material_ tag is not used, since there is
// no AWS material to give it.
//
// Not copied: grants, key rotation settings, custom key stores, imported
// material, and replica keys in other Regions. Keys pending deletion are
// treated as not existing. AWS-managed keys (alias/aws/...) are not
// supported: every account and emulator has its own.
//
// # Identifiers and ARNs
//
// A key is named by its KeyId ("1234abcd-12ab-34cd-56ef-1234567890ab", or
// "mrk-..." for a multi-Region key), and the description always carries
// that KeyId. Read also accepts a key ARN, an alias name ("alias/team-key")
// or an alias ARN, and resolves it with DescribeKey, because other
// resources refer to keys by whatever their owner configured (an SSM
// SecureString may hold "alias/team-key" or a key ARN). A job can name a
// key by its key ARN ("arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"); alias ARNs
// are accepted as a resource_identifier but not as resource_arn.
//
// The key is created with the tag _custom_id_ set to the source KeyId:
// LocalStack then gives the copy the same KeyId, and the same ARN when the
// target account is the source account. moto ignores the tag (and keeps it
// as an ordinary tag): the copy gets a new KeyId, which the job reports as
// identity "different" with the new id as the target identifier.
//
// Every key the adapter creates is also tagged SourceKeyIDTag
// ("awsreplicator:source-key-id") with the source KeyId. Before creating a
// key, Write looks in the target for the source KeyId, then for a key
// carrying that tag; if it finds one, the key already exists (an error, or
// skipped with ignore_already_existing) and no second copy is made, even on
// targets that cannot keep ids. Both tags are left out when a key's tags
// are read, so a replicated key reads like its original. Write fails,
// creating nothing, when one of the key's aliases already points at another
// key in the target.
//
// The key policy is copied verbatim. It usually names the owning account
// ("arn:aws:iam::111111111111:root"). Replicated into the same account
// number, that is exactly right; replicated into another account (the
// default 000000000000), the policy still names the source account. The
// emulators do not enforce key policies, so the key works all the same, but
// a tool that inspects the policy sees the source account, and principals
// of other accounts named in it must exist there for a target that does
// check them. The policy lockout safety check is bypassed on create, since
// the policy is by design not written for the target's caller.
//
// # BATCH
//
// Not supported: LocalStack's replicator lists no BATCH mode for KMS keys.
//
// # TREE
//
// KMS keys have no children.
//
// # Source permissions
//
// kms:DescribeKey, kms:GetKeyPolicy, kms:ListAliases and
// kms:ListResourceTags.
//
// # Limitations
//
//   - Ciphertext from AWS never decrypts in the target (see above).
//   - On moto the copy has a new KeyId; resources that refer to the key by
//     its KeyId or key ARN must be rewritten by their adapters (with
//     [replicator.Target.TargetID]); references by alias name keep working,
//     since the aliases are copied.
//   - A key in another account (a key ARN naming another account) cannot
//     be read: tags and aliases of another account's key are not listable.
//   - Enabled state, aliases and the rest are copied once; a key that
//     already exists in the target is left unchanged.
package kms
