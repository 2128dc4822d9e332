package iam

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// iamAPI is the part of the IAM client the adapters of this package use:
// reads on the source, creates (and the deletes that undo a half-made
// role) on the target.
type iamAPI interface {
	GetRole(context.Context, *awsiam.GetRoleInput, ...func(*awsiam.Options)) (*awsiam.GetRoleOutput, error)
	GetRolePolicy(context.Context, *awsiam.GetRolePolicyInput, ...func(*awsiam.Options)) (*awsiam.GetRolePolicyOutput, error)
	ListRolePolicies(context.Context, *awsiam.ListRolePoliciesInput, ...func(*awsiam.Options)) (*awsiam.ListRolePoliciesOutput, error)
	ListAttachedRolePolicies(context.Context, *awsiam.ListAttachedRolePoliciesInput, ...func(*awsiam.Options)) (*awsiam.ListAttachedRolePoliciesOutput, error)
	ListAttachedGroupPolicies(context.Context, *awsiam.ListAttachedGroupPoliciesInput, ...func(*awsiam.Options)) (*awsiam.ListAttachedGroupPoliciesOutput, error)
	ListAttachedUserPolicies(context.Context, *awsiam.ListAttachedUserPoliciesInput, ...func(*awsiam.Options)) (*awsiam.ListAttachedUserPoliciesOutput, error)
	GetPolicy(context.Context, *awsiam.GetPolicyInput, ...func(*awsiam.Options)) (*awsiam.GetPolicyOutput, error)
	GetPolicyVersion(context.Context, *awsiam.GetPolicyVersionInput, ...func(*awsiam.Options)) (*awsiam.GetPolicyVersionOutput, error)
	ListPolicies(context.Context, *awsiam.ListPoliciesInput, ...func(*awsiam.Options)) (*awsiam.ListPoliciesOutput, error)

	CreateRole(context.Context, *awsiam.CreateRoleInput, ...func(*awsiam.Options)) (*awsiam.CreateRoleOutput, error)
	PutRolePolicy(context.Context, *awsiam.PutRolePolicyInput, ...func(*awsiam.Options)) (*awsiam.PutRolePolicyOutput, error)
	AttachRolePolicy(context.Context, *awsiam.AttachRolePolicyInput, ...func(*awsiam.Options)) (*awsiam.AttachRolePolicyOutput, error)
	DetachRolePolicy(context.Context, *awsiam.DetachRolePolicyInput, ...func(*awsiam.Options)) (*awsiam.DetachRolePolicyOutput, error)
	DeleteRolePolicy(context.Context, *awsiam.DeleteRolePolicyInput, ...func(*awsiam.Options)) (*awsiam.DeleteRolePolicyOutput, error)
	DeleteRole(context.Context, *awsiam.DeleteRoleInput, ...func(*awsiam.Options)) (*awsiam.DeleteRoleOutput, error)
	CreatePolicy(context.Context, *awsiam.CreatePolicyInput, ...func(*awsiam.Options)) (*awsiam.CreatePolicyOutput, error)
}

var _ iamAPI = (*awsiam.Client)(nil)

// clientKey names this package's client in an endpoint's client cache.
const clientKey = "resources/iam"

func newIAMClient(cfg aws.Config) iamAPI { return awsiam.NewFromConfig(cfg) }

// Register adds the adapters of this package (AWS::IAM::Role and
// AWS::IAM::Policy) to reg.
func Register(reg *replicator.Registry) {
	reg.Register(NewRole())
	reg.Register(NewPolicy())
}

// customIDTag is the tag LocalStack reads at create time to give a new
// resource a chosen id (REFERENCE.md section 3: IAM role and policy ids).
// It is sent on every create and never carried into a description's tags.
const customIDTag = "_custom_id_"

// maxTags is IAM's limit on the tags of one role or policy. The id tag is
// left out rather than making a create with 50 tags fail.
const maxTags = 50

// awsAccount is the account part of the ARN of an AWS-managed policy
// (arn:aws:iam::aws:policy/ReadOnlyAccess).
const awsAccount = "aws"

// Error codes of the IAM API.
const (
	codeNoSuchEntity        = "NoSuchEntity"
	codeEntityAlreadyExists = "EntityAlreadyExists"
)

// decodeDocument returns a policy document as JSON. IAM returns documents
// (trust policies, inline policies, policy versions) URL-encoded as RFC 3986
// says; moto returns policy versions unencoded. An encoded document never
// starts with '{' (that is "%7B"), so one that does is taken as it is. The
// decoding is botocore's (urllib.parse.unquote): "%XX" only, a '+' stays a
// '+'.
func decodeDocument(doc string) (string, error) {
	if doc == "" || strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return doc, nil
	}
	return url.PathUnescape(doc)
}

// tagMap turns IAM tags into a map, without the id tag.
func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		if k := aws.ToString(t.Key); k != customIDTag {
			m[k] = aws.ToString(t.Value)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// createTags returns the tags to create a resource with: its own, sorted
// by key, plus the id tag holding the source id (when there is room).
func createTags(tags map[string]string, sourceID string) []types.Tag {
	out := make([]types.Tag, 0, len(tags)+1)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if k != customIDTag {
			out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
		}
	}
	if sourceID != "" && len(out) < maxTags {
		out = append(out, types.Tag{Key: aws.String(customIDTag), Value: aws.String(sourceID)})
	}
	return out
}

// accountOf returns the account of an ARN, "" if s is not one.
func accountOf(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.AccountID
}

// isAWSManaged reports whether policyARN names an AWS-managed policy.
func isAWSManaged(policyARN string) bool { return accountOf(policyARN) == awsAccount }

// rewriteAccount returns the IAM ARN s with its account changed from "from"
// to "to". Other ARNs (another service, another account, AWS-managed, not
// an ARN) and empty accounts leave s unchanged.
func rewriteAccount(s, from, to string) string {
	if from == "" || to == "" || from == to {
		return s
	}
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" || a.AccountID != from {
		return s
	}
	a.AccountID = to
	return a.String()
}

// targetPolicyARN returns the ARN the target holds for the source policy
// srcARN: the one recorded when this job wrote or found it, else srcARN
// with the source account rewritten to the target's (a customer-managed
// policy of the source account lives in the target account).
func targetPolicyARN(tgt *replicator.Target, srcAccount, srcARN string) string {
	if id := tgt.TargetID(TypeNamePolicy, srcARN); id != srcARN {
		return id
	}
	return rewriteAccount(srcARN, srcAccount, tgt.AccountID)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
