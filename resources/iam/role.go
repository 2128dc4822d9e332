package iam

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// TypeNameRole is the CloudFormation type of IAM roles.
const TypeNameRole = "AWS::IAM::Role"

// undoTimeout bounds the removal of a role whose write failed half-way.
const undoTimeout = 30 * time.Second

// Role replicates AWS::IAM::Role: the trust policy, path, description,
// maximum session duration, permissions boundary, inline policies,
// attached managed policies and tags. Its identifier is the role name.
// Customer-managed policies it uses are dependencies (AWS::IAM::Policy),
// replicated first; AWS-managed ones are attached by reference.
type Role struct {
	newClient func(aws.Config) iamAPI
}

// NewRole returns the AWS::IAM::Role adapter.
func NewRole() *Role { return &Role{newClient: newIAMClient} }

var (
	_ replicator.ResourceReplicator = (*Role)(nil)
	_ replicator.ARNResolver        = (*Role)(nil)
	_ replicator.TreeExplorer       = (*Role)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*Role) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeNameRole,
		Identifier:      "RoleName",
		ARNService:      "iam",
		ARNResourceType: "role",
		Tree:            []string{TypeNamePolicy},
		// Customer-managed policies attached to the role, and its
		// permissions boundary, are replicated before it.
		Dependencies: []string{TypeNamePolicy},
		Actions: []string{
			"iam:GetRole",
			"iam:GetRolePolicy",
			"iam:ListAttachedRolePolicies",
			"iam:ListRolePolicies",
		},
	}
}

// roleProperties is the adapter's description of a role. Documents are
// JSON, decoded, verbatim; ARNs are the source's.
type roleProperties struct {
	RoleName string `json:"role_name"`
	// RoleID is the source's unique id (AROA...), sent as the id tag.
	RoleID                   string `json:"role_id,omitempty"`
	Path                     string `json:"path,omitempty"`
	Description              string `json:"description,omitempty"`
	AssumeRolePolicyDocument string `json:"assume_role_policy_document"`
	MaxSessionDuration       int32  `json:"max_session_duration,omitempty"`
	// PermissionsBoundary is the ARN of the boundary policy.
	PermissionsBoundary string         `json:"permissions_boundary,omitempty"`
	InlinePolicies      []inlinePolicy `json:"inline_policies,omitempty"`
	// ManagedPolicyARNs are the attached managed policies, customer- and
	// AWS-managed.
	ManagedPolicyARNs []string `json:"managed_policy_arns,omitempty"`
}

// inlinePolicy is a policy embedded in a role.
type inlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

func (rl *Role) client(e *replicator.Endpoint) iamAPI {
	return replicator.Client(e, clientKey, rl.newClient)
}

// IdentifierFromARN implements replicator.ARNResolver. A role ARN is
// arn:aws:iam::ACCOUNT:role/PATH/NAME; the name is its last segment.
func (*Role) IdentifierFromARN(_ context.Context, _ *replicator.Source, a arn.ARN) (string, error) {
	rest := a.ResourceID()
	name := rest[strings.LastIndex(rest, "/")+1:]
	if name == "" {
		return "", fmt.Errorf("%w: ARN %s names no role", replicator.ErrInvalidIdentifier, a)
	}
	return name, nil
}

// Read implements replicator.ResourceReplicator: GetRole (which carries
// the tags), ListRolePolicies and GetRolePolicy for each inline policy,
// ListAttachedRolePolicies.
func (rl *Role) Read(ctx context.Context, src *replicator.Source, name string) (*replicator.Resource, error) {
	if name == "" || strings.ContainsAny(name, "/:") {
		return nil, fmt.Errorf("%w: %q is not a role name; name a role by its name, or by its ARN with resource_arn",
			replicator.ErrInvalidIdentifier, name)
	}
	c := rl.client(&src.Endpoint)
	out, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		if apierr.Has(err, codeNoSuchEntity) {
			return nil, fmt.Errorf("%w: role %q: %w", replicator.ErrNotFound, name, err)
		}
		return nil, fmt.Errorf("getting role %q: %w", name, err)
	}
	role := out.Role
	props := roleProperties{
		RoleName:           aws.ToString(role.RoleName),
		RoleID:             aws.ToString(role.RoleId),
		Path:               aws.ToString(role.Path),
		Description:        aws.ToString(role.Description),
		MaxSessionDuration: aws.ToInt32(role.MaxSessionDuration),
	}
	if props.AssumeRolePolicyDocument, err = decodeDocument(aws.ToString(role.AssumeRolePolicyDocument)); err != nil {
		return nil, fmt.Errorf("decoding the trust policy of role %q: %w", name, err)
	}
	if role.PermissionsBoundary != nil {
		props.PermissionsBoundary = aws.ToString(role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if props.InlinePolicies, err = inlinePolicies(ctx, c, props.RoleName); err != nil {
		return nil, err
	}
	attached := awsiam.NewListAttachedRolePoliciesPaginator(c, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String(props.RoleName)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the managed policies of role %q: %w", name, err)
		}
		for _, ap := range page.AttachedPolicies {
			props.ManagedPolicyARNs = append(props.ManagedPolicyARNs, aws.ToString(ap.PolicyArn))
		}
	}
	res := &replicator.Resource{
		Type:       TypeNameRole,
		Identifier: props.RoleName,
		ARN:        aws.ToString(role.Arn),
		Tags:       tagMap(role.Tags),
		DependsOn:  roleDependencies(accountOf(aws.ToString(role.Arn)), props),
	}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

func inlinePolicies(ctx context.Context, c iamAPI, role string) ([]inlinePolicy, error) {
	var policies []inlinePolicy
	pages := awsiam.NewListRolePoliciesPaginator(c, &awsiam.ListRolePoliciesInput{RoleName: aws.String(role)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the inline policies of role %q: %w", role, err)
		}
		for _, name := range page.PolicyNames {
			out, err := c.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
			if err != nil {
				return nil, fmt.Errorf("getting inline policy %q of role %q: %w", name, role, err)
			}
			doc, err := decodeDocument(aws.ToString(out.PolicyDocument))
			if err != nil {
				return nil, fmt.Errorf("decoding inline policy %q of role %q: %w", name, role, err)
			}
			policies = append(policies, inlinePolicy{Name: name, Document: doc})
		}
	}
	return policies, nil
}

// customerManaged returns the customer-managed policies of account among
// arns, without duplicates.
func customerManaged(account string, arns ...string) []string {
	var out []string
	for _, a := range arns {
		if a != "" && account != "" && accountOf(a) == account && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// roleDependencies returns the customer-managed policies of the role's
// account that it uses: they must be in the target before the role can
// attach them (or use one as its boundary).
func roleDependencies(account string, props roleProperties) []replicator.Ref {
	var refs []replicator.Ref
	for _, a := range customerManaged(account, props.ManagedPolicyARNs...) {
		refs = append(refs, replicator.Ref{Type: TypeNamePolicy, Identifier: a, Reason: "customer-managed policy attached to the role"})
	}
	for _, a := range customerManaged(account, props.PermissionsBoundary) {
		if !slices.Contains(props.ManagedPolicyARNs, a) {
			refs = append(refs, replicator.Ref{Type: TypeNamePolicy, Identifier: a, Reason: "customer-managed policy used as the role's permissions boundary"})
		}
	}
	return refs
}

// Children implements replicator.TreeExplorer: the customer-managed
// policies attached to the role (as its description lists them; no call
// to the source).
func (rl *Role) Children(_ context.Context, _ *replicator.Source, r *replicator.Resource) ([]replicator.Ref, error) {
	var props roleProperties
	if err := r.DecodeProperties(&props); err != nil {
		return nil, err
	}
	var refs []replicator.Ref
	for _, a := range customerManaged(accountOf(r.ARN), props.ManagedPolicyARNs...) {
		refs = append(refs, replicator.Ref{Type: TypeNamePolicy, Identifier: a, Reason: "customer-managed policy attached to the role"})
	}
	return refs, nil
}

// Write implements replicator.ResourceReplicator: CreateRole (with the
// tags and the id tag), PutRolePolicy for each inline policy,
// AttachRolePolicy for each managed policy, then GetRole to read it back.
// Policy ARNs of the source account (attached policies, the boundary) are
// rewritten to the target's; documents are written verbatim. If a step
// after CreateRole fails, the role is removed again, so that the target
// never holds a role that looks replicated but lacks a policy.
func (rl *Role) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var props roleProperties
	if err := r.DecodeProperties(&props); err != nil {
		return replicator.Placed{}, err
	}
	if props.RoleName == "" {
		props.RoleName = r.Identifier
	}
	srcAccount := accountOf(r.ARN)
	in := &awsiam.CreateRoleInput{
		RoleName:                 aws.String(props.RoleName),
		AssumeRolePolicyDocument: aws.String(props.AssumeRolePolicyDocument),
		Path:                     nonEmpty(props.Path),
		Description:              nonEmpty(props.Description),
		Tags:                     createTags(r.Tags, props.RoleID),
	}
	if props.MaxSessionDuration > 0 {
		in.MaxSessionDuration = aws.Int32(props.MaxSessionDuration)
	}
	if props.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(targetPolicyARN(tgt, srcAccount, props.PermissionsBoundary))
	}
	c := rl.client(&tgt.Endpoint)
	if _, err := c.CreateRole(ctx, in); err != nil {
		if apierr.Has(err, codeEntityAlreadyExists) {
			placed, _ := rl.placed(ctx, c, props.RoleName)
			return placed, fmt.Errorf("%w: role %q", replicator.ErrAlreadyExists, props.RoleName)
		}
		return replicator.Placed{}, fmt.Errorf("creating role %q: %w", props.RoleName, err)
	}
	if err := rl.configure(ctx, c, tgt, srcAccount, props); err != nil {
		return replicator.Placed{}, err
	}
	placed, err := rl.placed(ctx, c, props.RoleName)
	if err != nil {
		return replicator.Placed{}, fmt.Errorf("reading role %q back from the target: %w", props.RoleName, err)
	}
	return placed, nil
}

// configure adds the inline and managed policies to the role just created,
// and removes the role again if that fails. Every managed policy is tried,
// so that the error names all those the target lacks.
func (rl *Role) configure(ctx context.Context, c iamAPI, tgt *replicator.Target, srcAccount string, props roleProperties) error {
	role := aws.String(props.RoleName)
	var put, attached []string
	var errs []error
	for _, p := range props.InlinePolicies {
		_, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String(p.Name), PolicyDocument: aws.String(p.Document)})
		if err != nil {
			errs = append(errs, fmt.Errorf("putting inline policy %q: %w", p.Name, err))
			break
		}
		put = append(put, p.Name)
	}
	for _, src := range props.ManagedPolicyARNs {
		if len(put) < len(props.InlinePolicies) {
			break
		}
		a := targetPolicyARN(tgt, srcAccount, src)
		_, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: role, PolicyArn: aws.String(a)})
		switch {
		case err == nil:
			attached = append(attached, a)
		case apierr.Has(err, codeNoSuchEntity) && isAWSManaged(a):
			errs = append(errs, fmt.Errorf("attaching AWS-managed policy %s: the target does not have it "+
				"(moto knows AWS-managed policies only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true): %w", a, err))
		case apierr.Has(err, codeNoSuchEntity):
			errs = append(errs, fmt.Errorf("attaching customer-managed policy %s (%s in the source): the target does not have it: %w", a, src, err))
		default:
			errs = append(errs, fmt.Errorf("attaching managed policy %s: %w", a, err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	err := joinErrors(errs)
	if uerr := rl.undo(ctx, c, props.RoleName, put, attached); uerr != nil {
		return fmt.Errorf("role %q was created but could not be completed, and removing it failed (remove it by hand): %w; removal: %v", props.RoleName, err, uerr)
	}
	return fmt.Errorf("role %q could not be completed, so it was removed from the target again: %w", props.RoleName, err)
}

// undo removes a half-made role: its inline policies, its attachments,
// then the role. It runs even if ctx is cancelled.
func (*Role) undo(ctx context.Context, c iamAPI, name string, inline, attached []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	role := aws.String(name)
	var errs []error
	for _, p := range inline {
		if _, err := c.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(p)}); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range attached {
		if _, err := c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: role, PolicyArn: aws.String(a)}); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	_, err := c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: role})
	return err
}

// placed reads the role from the target.
func (*Role) placed(ctx context.Context, c iamAPI, name string) (replicator.Placed, error) {
	out, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return replicator.Placed{}, err
	}
	return replicator.Placed{Identifier: aws.ToString(out.Role.RoleName), ARN: aws.ToString(out.Role.Arn)}, nil
}

// joinedErrors is errors.Join on one line: its message joins with "; ".
type joinedErrors []error

func (e joinedErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e joinedErrors) Unwrap() []error { return e }

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return joinedErrors(errs)
}
