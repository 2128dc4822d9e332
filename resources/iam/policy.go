package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// TypeNamePolicy is the CloudFormation type of customer-managed policies.
const TypeNamePolicy = "AWS::IAM::Policy"

// Policy replicates AWS::IAM::Policy: customer-managed policies with their
// name, path, description, default version's document and tags. Its
// identifier is the policy ARN. AWS-managed policies are not replicated:
// they exist in every account (and in emulators that load them).
type Policy struct {
	newClient func(aws.Config) iamAPI
}

// NewPolicy returns the AWS::IAM::Policy adapter.
func NewPolicy() *Policy { return &Policy{newClient: newIAMClient} }

var (
	_ replicator.ResourceReplicator = (*Policy)(nil)
	_ replicator.ARNResolver        = (*Policy)(nil)
	_ replicator.Lister             = (*Policy)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*Policy) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeNamePolicy,
		Identifier:      "Arn",
		ARNService:      "iam",
		ARNResourceType: "policy",
		Batch: `JSON object with "PathPrefix" and/or exactly one of "GroupName", "RoleName", "UserName" ` +
			`(the customer-managed policies attached to that principal), e.g. {"PathPrefix": "/team/"}; ` +
			`"" or {} selects every customer-managed policy`,
		Actions: []string{
			"iam:GetPolicy",
			"iam:GetPolicyVersion",
		},
		BatchActions: []string{
			"iam:ListAttachedGroupPolicies",
			"iam:ListAttachedRolePolicies",
			"iam:ListAttachedUserPolicies",
			"iam:ListPolicies",
		},
	}
}

// policyProperties is the adapter's description of a managed policy.
type policyProperties struct {
	PolicyName  string `json:"policy_name"`
	PolicyID    string `json:"policy_id,omitempty"`
	Path        string `json:"path,omitempty"`
	Description string `json:"description,omitempty"`
	// Document is the default version's document, decoded, verbatim.
	Document string `json:"document"`
	// DefaultVersionID is the source's default version, for information:
	// the target starts again at v1.
	DefaultVersionID string `json:"default_version_id,omitempty"`
}

func (p *Policy) client(e *replicator.Endpoint) iamAPI {
	return replicator.Client(e, clientKey, p.newClient)
}

// IdentifierFromARN implements replicator.ARNResolver: a policy's
// identifier is its ARN.
func (*Policy) IdentifierFromARN(_ context.Context, _ *replicator.Source, a arn.ARN) (string, error) {
	if a.ResourceID() == "" {
		return "", fmt.Errorf("%w: ARN %s names no policy", replicator.ErrInvalidIdentifier, a)
	}
	return a.String(), nil
}

// parsePolicyARN checks that id is the ARN of a customer-managed policy.
func parsePolicyARN(id string) (arn.ARN, error) {
	a, err := arn.Parse(id)
	if err != nil || a.Service != "iam" || a.ResourceType() != "policy" || a.ResourceID() == "" {
		return arn.ARN{}, fmt.Errorf("%w: %q: the identifier of %s is the policy ARN, e.g. arn:aws:iam::111111111111:policy/team/my-policy",
			replicator.ErrInvalidIdentifier, id, TypeNamePolicy)
	}
	if a.AccountID == awsAccount {
		return arn.ARN{}, fmt.Errorf("%w: %s is an AWS-managed policy: it exists in every AWS account and in emulators that load AWS-managed policies "+
			"(moto: MOTO_IAM_LOAD_MANAGED_POLICIES=true), and cannot be created, so it is not replicated; only customer-managed policies are",
			replicator.ErrUnsupported, id)
	}
	return a, nil
}

// Read implements replicator.ResourceReplicator: GetPolicy (which carries
// the tags), then GetPolicyVersion of the default version.
func (p *Policy) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	if _, err := parsePolicyARN(id); err != nil {
		return nil, err
	}
	return p.read(ctx, p.client(&src.Endpoint), id)
}

func (p *Policy) read(ctx context.Context, c iamAPI, policyARN string) (*replicator.Resource, error) {
	out, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		if apierr.Has(err, codeNoSuchEntity) {
			return nil, fmt.Errorf("%w: policy %s: %w", replicator.ErrNotFound, policyARN, err)
		}
		return nil, fmt.Errorf("getting policy %s: %w", policyARN, err)
	}
	pol := out.Policy
	props := policyProperties{
		PolicyName:       aws.ToString(pol.PolicyName),
		PolicyID:         aws.ToString(pol.PolicyId),
		Path:             aws.ToString(pol.Path),
		Description:      aws.ToString(pol.Description),
		DefaultVersionID: aws.ToString(pol.DefaultVersionId),
	}
	ver, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: pol.DefaultVersionId})
	if err != nil {
		if apierr.Has(err, codeNoSuchEntity) {
			return nil, fmt.Errorf("%w: policy %s version %s: %w", replicator.ErrNotFound, policyARN, props.DefaultVersionID, err)
		}
		return nil, fmt.Errorf("getting version %s of policy %s: %w", props.DefaultVersionID, policyARN, err)
	}
	if props.Document, err = decodeDocument(aws.ToString(ver.PolicyVersion.Document)); err != nil {
		return nil, fmt.Errorf("decoding the document of policy %s: %w", policyARN, err)
	}
	res := &replicator.Resource{
		Type:       TypeNamePolicy,
		Identifier: policyARN,
		ARN:        aws.ToString(pol.Arn),
		Tags:       tagMap(pol.Tags),
	}
	if res.ARN == "" {
		res.ARN = policyARN
	}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

// policyFilter is a BATCH identifier.
type policyFilter struct {
	PathPrefix string
	// Principal is "GroupName", "RoleName" or "UserName"; Name its value.
	Principal, Name string
}

var principalKeys = []string{"GroupName", "RoleName", "UserName"}

// parsePolicyFilter parses a BATCH identifier: "" or a JSON object with
// "PathPrefix" and/or one of "GroupName", "RoleName", "UserName".
func parsePolicyFilter(s string) (policyFilter, error) {
	var f policyFilter
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	invalid := func(why string) (policyFilter, error) {
		return policyFilter{}, fmt.Errorf(`%w: BATCH identifier %q for %s: %s; want a JSON object with "PathPrefix" and/or exactly one of `+
			`"GroupName", "RoleName", "UserName", e.g. {"PathPrefix": "/team/"} or {"RoleName": "app"}, or "" for every customer-managed policy`,
			replicator.ErrInvalidIdentifier, s, TypeNamePolicy, why)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return invalid("not a JSON object")
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, ok := m[k].(string)
		switch {
		case k != "PathPrefix" && !slices.Contains(principalKeys, k):
			return invalid(fmt.Sprintf("unknown key %q", k))
		case !ok || v == "":
			return invalid(fmt.Sprintf("%q must be a non-empty string", k))
		case k == "PathPrefix":
			if !strings.HasPrefix(v, "/") {
				return invalid(fmt.Sprintf("PathPrefix %q does not start with \"/\"", v))
			}
			f.PathPrefix = v
		case f.Principal != "":
			return invalid(fmt.Sprintf("both %q and %q name a principal; give one", f.Principal, k))
		default:
			f.Principal, f.Name = k, v
		}
	}
	return f, nil
}

// List implements replicator.Lister. Without a principal it pages through
// ListPolicies (Scope=Local); with one, through ListAttached{Group,Role,
// User}Policies, leaving AWS-managed policies out. Each policy listed
// costs a GetPolicy and a GetPolicyVersion (up to 8 at a time).
func (p *Policy) List(ctx context.Context, src *replicator.Source, filter string, emit func(*replicator.Resource) error) error {
	f, err := parsePolicyFilter(filter)
	if err != nil {
		return err
	}
	c := p.client(&src.Endpoint)
	prefix := nonEmpty(f.PathPrefix)
	var more func() bool
	var next func(context.Context) ([]string, error)
	switch f.Principal {
	case "":
		pg := awsiam.NewListPoliciesPaginator(c, &awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: prefix})
		more, next = pageARNs(pg.HasMorePages, pg.NextPage, func(o *awsiam.ListPoliciesOutput) []string {
			arns := make([]string, 0, len(o.Policies))
			for _, pol := range o.Policies {
				arns = append(arns, aws.ToString(pol.Arn))
			}
			return arns
		})
	case "GroupName":
		pg := awsiam.NewListAttachedGroupPoliciesPaginator(c, &awsiam.ListAttachedGroupPoliciesInput{GroupName: aws.String(f.Name), PathPrefix: prefix})
		more, next = pageARNs(pg.HasMorePages, pg.NextPage, func(o *awsiam.ListAttachedGroupPoliciesOutput) []string { return attachedARNs(o.AttachedPolicies) })
	case "RoleName":
		pg := awsiam.NewListAttachedRolePoliciesPaginator(c, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String(f.Name), PathPrefix: prefix})
		more, next = pageARNs(pg.HasMorePages, pg.NextPage, func(o *awsiam.ListAttachedRolePoliciesOutput) []string { return attachedARNs(o.AttachedPolicies) })
	case "UserName":
		pg := awsiam.NewListAttachedUserPoliciesPaginator(c, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String(f.Name), PathPrefix: prefix})
		more, next = pageARNs(pg.HasMorePages, pg.NextPage, func(o *awsiam.ListAttachedUserPoliciesOutput) []string { return attachedARNs(o.AttachedPolicies) })
	}
	for more() {
		arns, err := next(ctx)
		if err != nil {
			if f.Principal != "" && apierr.Has(err, codeNoSuchEntity) {
				return fmt.Errorf("%w: %s %q: %w", replicator.ErrNotFound, f.Principal, f.Name, err)
			}
			return err
		}
		resources, err := p.readAll(ctx, c, arns)
		if err != nil {
			return err
		}
		for _, r := range resources {
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// attachedARNs returns the ARNs of the customer-managed policies among
// attached ones.
func attachedARNs(attached []types.AttachedPolicy) []string {
	arns := make([]string, 0, len(attached))
	for _, ap := range attached {
		if a := aws.ToString(ap.PolicyArn); !isAWSManaged(a) {
			arns = append(arns, a)
		}
	}
	return arns
}

// readAll describes the policies named, in order. A policy deleted since
// it was listed is left out.
func (p *Policy) readAll(ctx context.Context, c iamAPI, arns []string) ([]*replicator.Resource, error) {
	resources := make([]*replicator.Resource, len(arns))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, a := range arns {
		g.Go(func() error {
			r, err := p.read(gctx, c, a)
			if apierr.Has(err, codeNoSuchEntity) {
				return nil
			}
			resources[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(resources, func(r *replicator.Resource) bool { return r == nil }), nil
}

// Write implements replicator.ResourceReplicator: CreatePolicy (with the
// tags and the id tag), then GetPolicy to read it back. The document is
// written verbatim: ARNs inside it still name the source account.
func (p *Policy) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var props policyProperties
	if err := r.DecodeProperties(&props); err != nil {
		return replicator.Placed{}, err
	}
	srcARN := r.ARN
	if srcARN == "" {
		srcARN = r.Identifier
	}
	if props.PolicyName == "" {
		if a, err := arn.Parse(srcARN); err == nil {
			props.PolicyName = a.Resource[strings.LastIndex(a.Resource, "/")+1:]
		}
	}
	if props.Document == "" {
		return replicator.Placed{}, fmt.Errorf("policy %s has no document in its description", srcARN)
	}
	c := p.client(&tgt.Endpoint)
	out, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{
		PolicyName:     aws.String(props.PolicyName),
		PolicyDocument: aws.String(props.Document),
		Path:           nonEmpty(props.Path),
		Description:    nonEmpty(props.Description),
		Tags:           createTags(r.Tags, props.PolicyID),
	})
	if err != nil {
		if apierr.Has(err, codeEntityAlreadyExists) {
			// The policy the target holds under this name is the one in the
			// target account with the same path and name.
			existing := rewriteAccount(srcARN, accountOf(srcARN), tgt.AccountID)
			placed, _ := p.placed(ctx, c, existing)
			return placed, fmt.Errorf("%w: policy %s (%s)", replicator.ErrAlreadyExists, props.PolicyName, existing)
		}
		return replicator.Placed{}, fmt.Errorf("creating policy %s: %w", props.PolicyName, err)
	}
	placed, err := p.placed(ctx, c, aws.ToString(out.Policy.Arn))
	if err != nil {
		return replicator.Placed{}, fmt.Errorf("reading policy %s back from the target: %w", props.PolicyName, err)
	}
	return placed, nil
}

// placed reads the policy policyARN from the target.
func (*Policy) placed(ctx context.Context, c iamAPI, policyARN string) (replicator.Placed, error) {
	got, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		return replicator.Placed{}, err
	}
	a := aws.ToString(got.Policy.Arn)
	return replicator.Placed{Identifier: a, ARN: a}, nil
}

// pageARNs adapts an SDK paginator whose pages list policies to a page
// source of policy ARNs.
func pageARNs[O any, F any](more func() bool, nextPage func(context.Context, ...F) (O, error), arns func(O) []string) (func() bool, func(context.Context) ([]string, error)) {
	return more, func(ctx context.Context) ([]string, error) {
		out, err := nextPage(ctx)
		if err != nil {
			return nil, err
		}
		return arns(out), nil
	}
}
