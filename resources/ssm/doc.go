// Package ssm replicates AWS Systems Manager Parameter Store parameters
// (AWS::SSM::Parameter).
//
// # What is copied
//
// Name, type (String, StringList, SecureString), value, description, tier,
// allowed pattern, data type, policies, tags and, for a SecureString
// encrypted with a customer-managed key, that key's id. SecureString values
// are read decrypted from the source and written as SecureString; they are
// held as secret material ([replicator.Resource].Secrets) and never appear in
// logs, errors or job documents.
//
// # Identifiers and ARNs
//
// A parameter is named by its name, or by its ARN. The ARN of "/app/x" is
// "...:parameter/app/x" and that of "x" is "...:parameter/x", so the ARN of
// a one-level name does not say whether it had a leading slash; the adapter
// looks both up in the source and takes the one that exists. With the
// target account set to the source account, the target ARN equals the
// source ARN.
//
// # BATCH
//
// A BATCH job's identifier is a path such as "/dev/"; every parameter below
// it is replicated, recursively. "/" selects every parameter. Each listed
// page's tags are read with one tag:GetResources of its parameters' ARNs;
// a source that ignores the ARN list (moto) has every tag of the account
// read once instead.
//
// # Source permissions
//
// ssm:DescribeParameters, ssm:GetParameters, ssm:ListTagsForResource (and, for
// BATCH jobs, tag:GetResources, which reads the tags of 100 parameters a
// call), and
// kms:Decrypt on the keys of SecureString parameters.
package ssm
