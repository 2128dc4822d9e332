// Package iam replicates AWS Identity and Access Management roles
// (AWS::IAM::Role) and customer-managed policies (AWS::IAM::Policy).
//
// # What is copied
//
// A role: its name, path, description, maximum session duration, trust
// policy (AssumeRolePolicyDocument), permissions boundary, inline policies
// (name and document), attached managed policies and tags. A managed
// policy: its name, path, description, the document of its default version
// and tags.
//
// IAM returns documents URL-encoded; the description holds them decoded,
// as JSON, and they are written verbatim. Trust policies and policy
// documents are NOT rewritten: an ARN or account id inside them still names
// the source account (a trust policy naming arn:aws:iam::111111111111:root
// still does in the target). That is what an identical copy means, and
// what code that reads the documents expects.
//
// Not copied: a policy's non-default versions (the target's single version
// is v1), a role's instance profiles, last-used data and creation dates,
// and IAM users and groups (a BATCH job may select the policies attached to
// them, but does not create the principal).
//
// # Identifiers and ARNs
//
// A role is named by its name ("RoleName"), or by its ARN,
// arn:aws:iam::ACCOUNT:role/PATH/NAME (the name is the last segment). A
// policy is named by its ARN, arn:aws:iam::ACCOUNT:policy/PATH/NAME, which
// is also its identifier. IAM is global: ARNs have no region.
//
// The role name, path and policy names are kept, so with the target
// account set to the source account the target ARNs equal the source ARNs.
// Into another account (the emulators' default 000000000000), every policy
// ARN of the description that names the source account is rewritten to the
// target account: the policies attached to a role and its permissions
// boundary. Where this job wrote the policy, the ARN the target returned is
// used. AWS-managed policies (arn:aws:iam::aws:policy/...) are the same
// everywhere and are attached by reference.
//
// Role ids (AROA...) and policy ids (ANPA...) are assigned by the target.
// Each create carries the tag _custom_id_ with the source id: LocalStack
// gives the new role or policy that id; moto ignores the tag, assigns its
// own id and keeps _custom_id_ as an ordinary tag. Reading strips the tag,
// so it never enters a description. The source id is kept in the
// description (role_id, policy_id).
//
// # Dependencies
//
// A role depends on the customer-managed policies it uses: those attached
// to it and its permissions boundary, when that is a customer-managed
// policy of the same account. They are replicated first. Attaching an
// AWS-managed policy needs the target to know it (moto: start it with
// MOTO_IAM_LOAD_MANAGED_POLICIES=true; by default moto has none). When an
// attachment fails the error names every policy the target lacks, and the
// half-made role is removed from the target again, so a role never looks
// replicated while missing a policy.
//
// # BATCH
//
// AWS::IAM::Policy supports BATCH. The identifier is "" or {} (every
// customer-managed policy of the account), or a JSON object with
// "PathPrefix" and/or exactly one of "GroupName", "RoleName", "UserName":
//
//	{"PathPrefix": "/team/"}
//	{"RoleName": "app"}
//	{"UserName": "ci", "PathPrefix": "/deploy/"}
//
// With a principal, the customer-managed policies attached to it are
// replicated; AWS-managed ones are left out, as always.
//
// # TREE
//
// A TREE job on a role also follows its attached customer-managed policies
// (AWS::IAM::Policy). They are dependencies as well, so SIMPLE jobs
// replicate them too.
//
// # Source permissions
//
// Roles: iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy,
// iam:ListAttachedRolePolicies. Policies: iam:GetPolicy,
// iam:GetPolicyVersion; for BATCH also iam:ListPolicies and
// iam:ListAttachedGroupPolicies, iam:ListAttachedRolePolicies or
// iam:ListAttachedUserPolicies. Tags come with GetRole and GetPolicy.
//
// # Limitations
//
//   - AWS-managed policies cannot be replicated (Read of one fails with an
//     error wrapping [replicator.ErrUnsupported]): they exist in every
//     account and in emulators that load them.
//   - Service-linked roles (path /aws-service-role/) are made by
//     CreateServiceLinkedRole in AWS; the adapter creates them with
//     CreateRole, which targets may refuse.
//   - A role or policy with IAM's maximum of 50 tags is created without
//     the _custom_id_ tag, so even LocalStack assigns a new id.
//   - The target's ids differ from the source's on moto (see above), so
//     ARNs compare equal but RoleId and PolicyId do not.
package iam
