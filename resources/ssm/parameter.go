package ssm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/sync/errgroup"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/internal/coalesce"
	"github.com/awsreplicator/awsreplicator/internal/pipeline"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// TypeName is the CloudFormation type this adapter replicates.
const TypeName = "AWS::SSM::Parameter"

// kmsKeyType is the type a SecureString's customer-managed key has.
const kmsKeyType = "AWS::KMS::Key"

// defaultKey is the AWS-managed key SecureStrings use unless told otherwise;
// every account and emulator has its own, so it is not a dependency.
const defaultKey = "alias/aws/ssm"

// ssmAPI is the part of the SSM client the adapter uses.
type ssmAPI interface {
	GetParameters(context.Context, *awsssm.GetParametersInput, ...func(*awsssm.Options)) (*awsssm.GetParametersOutput, error)
	DescribeParameters(context.Context, *awsssm.DescribeParametersInput, ...func(*awsssm.Options)) (*awsssm.DescribeParametersOutput, error)
	ListTagsForResource(context.Context, *awsssm.ListTagsForResourceInput, ...func(*awsssm.Options)) (*awsssm.ListTagsForResourceOutput, error)
	PutParameter(context.Context, *awsssm.PutParameterInput, ...func(*awsssm.Options)) (*awsssm.PutParameterOutput, error)
}

var _ ssmAPI = (*awsssm.Client)(nil)

// taggingAPI is the part of the Resource Groups Tagging API client the
// adapter uses: one GetResources page returns the tags of up to 100
// parameters, where ListTagsForResource takes a call per parameter.
type taggingAPI interface {
	GetResources(context.Context, *tagging.GetResourcesInput, ...func(*tagging.Options)) (*tagging.GetResourcesOutput, error)
}

var _ taggingAPI = (*tagging.Client)(nil)

// Parameter replicates AWS::SSM::Parameter: String, StringList and
// SecureString parameters with their description, tier, allowed pattern,
// data type, policies, KMS key and tags. Its identifier is the parameter
// name; a BATCH job's identifier is a path ("/dev/"), replicated
// recursively ("" or "/" selects every parameter).
type Parameter struct {
	newClient        func(aws.Config) ssmAPI
	newTaggingClient func(aws.Config) taggingAPI
}

// New returns the AWS::SSM::Parameter adapter.
func New() *Parameter {
	return &Parameter{
		newClient:        func(cfg aws.Config) ssmAPI { return awsssm.NewFromConfig(cfg) },
		newTaggingClient: func(cfg aws.Config) taggingAPI { return tagging.NewFromConfig(cfg) },
	}
}

// Register adds the adapters of this package to reg.
func Register(reg *replicator.Registry) { reg.Register(New()) }

var (
	_ replicator.ResourceReplicator = (*Parameter)(nil)
	_ replicator.ARNResolver        = (*Parameter)(nil)
	_ replicator.Lister             = (*Parameter)(nil)
)

// Info implements replicator.ResourceReplicator.
func (*Parameter) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            TypeName,
		Identifier:      "Name",
		ARNService:      "ssm",
		ARNResourceType: "parameter",
		Batch:           `parameter path, replicated recursively (e.g. "/dev/"); "/" selects every parameter`,
		// A SecureString's customer-managed KMS key is replicated first.
		Dependencies: []string{kmsKeyType},
		Actions: []string{
			// Decrypting a SecureString made with a customer-managed key.
			"kms:Decrypt",
			"ssm:DescribeParameters",
			"ssm:GetParameters",
			"ssm:ListTagsForResource",
		},
		// A BATCH job reads the tags of every parameter in bulk.
		BatchActions: []string{"tag:GetResources"},
	}
}

// properties is the adapter's description of a parameter. The value of a
// SecureString is not here but in Resource.Secrets[valueField].
type properties struct {
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	Value          string   `json:"value,omitempty"`
	Description    string   `json:"description,omitempty"`
	AllowedPattern string   `json:"allowed_pattern,omitempty"`
	Tier           string   `json:"tier,omitempty"`
	DataType       string   `json:"data_type,omitempty"`
	KeyID          string   `json:"key_id,omitempty"`
	Policies       []string `json:"policies,omitempty"`
}

const valueField = "Value"

func (p *Parameter) client(e *replicator.Endpoint) ssmAPI {
	return replicator.Client(e, "ssm", p.newClient)
}

// IdentifierFromARN implements replicator.ARNResolver. An ARN does not say
// whether the name has a leading slash ("parameter/x" is the ARN of both
// "x" and "/x"), so a one-level name is looked up both ways in the source.
func (p *Parameter) IdentifierFromARN(ctx context.Context, src *replicator.Source, a arn.ARN) (string, error) {
	rest := a.ResourceID()
	if rest == "" {
		return "", fmt.Errorf("%w: ARN %s names no parameter", replicator.ErrInvalidIdentifier, a)
	}
	if strings.Contains(rest, "/") {
		return "/" + rest, nil // a hierarchical name always starts with "/"
	}
	candidates := []string{rest, "/" + rest}
	out, err := p.client(&src.Endpoint).GetParameters(ctx, &awsssm.GetParametersInput{Names: candidates})
	if err != nil {
		return "", err
	}
	names := map[string]bool{}
	for _, prm := range out.Parameters {
		names[aws.ToString(prm.Name)] = true
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("%w: neither %q nor %q exists (ARN %s)", replicator.ErrNotFound, candidates[0], candidates[1], a)
	case 1:
		for n := range names {
			return n, nil
		}
	}
	return "", fmt.Errorf("%w: ARN %s matches both parameters %q and %q: name one with resource_type %s and resource_identifier",
		replicator.ErrInvalidIdentifier, a, candidates[0], candidates[1], TypeName)
}

// Read implements replicator.ResourceReplicator.
func (p *Parameter) Read(ctx context.Context, src *replicator.Source, name string) (*replicator.Resource, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: an empty parameter name", replicator.ErrInvalidIdentifier)
	}
	c := p.client(&src.Endpoint)
	out, err := c.GetParameters(ctx, &awsssm.GetParametersInput{Names: []string{name}, WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Parameters) == 0 {
		return nil, fmt.Errorf("%w: parameter %q", replicator.ErrNotFound, name)
	}
	prm := out.Parameters[0]
	meta, err := c.DescribeParameters(ctx, &awsssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{aws.ToString(prm.Name)}},
	}})
	if err != nil {
		return nil, err
	}
	var md *types.ParameterMetadata
	if len(meta.Parameters) > 0 {
		md = &meta.Parameters[0]
	}
	tags, err := p.tags(ctx, c, aws.ToString(prm.Name))
	if err != nil {
		return nil, err
	}
	return describe(prm, md, tags)
}

func (p *Parameter) tags(ctx context.Context, c ssmAPI, name string) (map[string]string, error) {
	out, err := c.ListTagsForResource(ctx, &awsssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("listing tags of %q: %w", name, err)
	}
	if len(out.TagList) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(out.TagList))
	for _, t := range out.TagList {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// describe builds the description of one parameter from its value (prm),
// its metadata (md, nil if DescribeParameters did not return it) and tags.
func describe(prm types.Parameter, md *types.ParameterMetadata, tags map[string]string) (*replicator.Resource, error) {
	props := properties{
		Name:     aws.ToString(prm.Name),
		Type:     string(prm.Type),
		DataType: aws.ToString(prm.DataType),
	}
	res := &replicator.Resource{Type: TypeName, Identifier: props.Name, ARN: aws.ToString(prm.ARN), Tags: tags}
	if prm.Type == types.ParameterTypeSecureString {
		res.Secrets = map[string]job.Secret{valueField: job.Secret(aws.ToString(prm.Value))}
	} else {
		props.Value = aws.ToString(prm.Value)
	}
	if md != nil {
		props.Description = aws.ToString(md.Description)
		props.AllowedPattern = aws.ToString(md.AllowedPattern)
		props.Tier = string(md.Tier)
		props.KeyID = aws.ToString(md.KeyId)
		for _, pol := range md.Policies {
			props.Policies = append(props.Policies, aws.ToString(pol.PolicyText))
		}
	}
	if prm.Type == types.ParameterTypeSecureString && props.KeyID != "" && props.KeyID != defaultKey {
		res.DependsOn = append(res.DependsOn, replicator.Ref{Type: kmsKeyType, Identifier: props.KeyID,
			Reason: "the SecureString value is encrypted with this customer-managed key"})
	}
	if err := res.SetProperties(props); err != nil {
		return nil, err
	}
	return res, nil
}

// List implements replicator.Lister: filter is a path, replicated
// recursively. Each page of up to 50 names costs one DescribeParameters,
// one GetParameters per 10 names, made concurrently, and one
// tag:GetResources of the page's ARNs, with several pages read at once
// (see tagReader for sources that cannot read tags by ARN). The calls are
// paced by the source configuration's rate limits.
func (p *Parameter) List(ctx context.Context, src *replicator.Source, path string, emit func(*replicator.Resource) error) error {
	in := &awsssm.DescribeParametersInput{MaxResults: aws.Int32(50)}
	switch {
	case path == "" || path == "/":
	case !strings.HasPrefix(path, "/"):
		return fmt.Errorf("%w: BATCH identifier %q for %s is not a path: want one starting with \"/\", e.g. /dev/ (or / for every parameter)",
			replicator.ErrInvalidIdentifier, path, TypeName)
	default:
		in.ParameterFilters = []types.ParameterStringFilter{{
			Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{strings.TrimSuffix(path, "/")},
		}}
	}
	c := p.client(&src.Endpoint)
	tags := &tagReader{p: p, src: src}
	pages := awsssm.NewDescribeParametersPaginator(c, in)
	return pipeline.Pages(ctx, pagesInFlight, pages.HasMorePages,
		func(ctx context.Context) ([]types.ParameterMetadata, error) {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			return page.Parameters, nil
		},
		func(ctx context.Context, metas []types.ParameterMetadata) ([]*replicator.Resource, error) {
			values, err := p.readPage(ctx, c, metas)
			if err != nil {
				return nil, err
			}
			arns := make([]string, 0, len(values))
			for _, prm := range values {
				arns = append(arns, aws.ToString(prm.ARN))
			}
			byARN, err := tags.of(ctx, arns)
			if err != nil {
				return nil, err
			}
			return describePage(metas, values, byARN)
		}, emit)
}

// tagReader reads the tags of listed parameters, a page at a time: one
// tag:GetResources of the page's ARNs (ResourceARNList, up to 100), so a
// job pays for the parameters it selects, not for every tagged parameter
// of the account, and its first page is written without waiting for the
// others. A source that ignores ResourceARNList (moto 5.2.1 answers with
// every parameter, paged) is noticed by the answer (a pagination token, or
// a parameter not asked for); from then on every tag of the account is read
// once, 100 per call, and serves every page.
type tagReader struct {
	p   *Parameter
	src *replicator.Source

	byARNIgnored atomic.Bool
	allOnce      sync.Once
	all          map[string]map[string]string
	allErr       error
}

// of returns the tags of the parameters arns, by ARN (a parameter without
// tags may be absent).
func (t *tagReader) of(ctx context.Context, arns []string) (map[string]map[string]string, error) {
	if len(arns) == 0 {
		return nil, nil
	}
	if !t.byARNIgnored.Load() {
		tags, ok, err := t.byARN(ctx, arns)
		if err != nil || ok {
			return tags, err
		}
		t.byARNIgnored.Store(true)
	}
	t.allOnce.Do(func() { t.all, t.allErr = t.p.allTags(ctx, t.src) })
	return t.all, t.allErr
}

// byARN reads the tags of arns with GetResources of their ARNs. ok is
// false if the source ignored the list.
func (t *tagReader) byARN(ctx context.Context, arns []string) (tags map[string]map[string]string, ok bool, err error) {
	c := replicator.Client(&t.src.Endpoint, "ssm.tagging", t.p.newTaggingClient)
	tags = make(map[string]map[string]string, len(arns))
	for chunk := range slices.Chunk(arns, 100) {
		out, err := c.GetResources(ctx, &tagging.GetResourcesInput{ResourceARNList: chunk})
		if err != nil {
			return nil, false, fmt.Errorf("reading parameter tags (tag:GetResources): %w", err)
		}
		if aws.ToString(out.PaginationToken) != "" {
			return nil, false, nil
		}
		for _, m := range out.ResourceTagMappingList {
			a := aws.ToString(m.ResourceARN)
			if !slices.Contains(chunk, a) {
				return nil, false, nil
			}
			if len(m.Tags) > 0 {
				tags[a] = tagMap(m.Tags)
			}
		}
	}
	return tags, true, nil
}

// allTags returns the tags of every SSM parameter of the source account
// and region that has tags, by ARN. The Tagging API lists only resources
// that have (or had) tags, so a parameter it does not list has none.
func (p *Parameter) allTags(ctx context.Context, src *replicator.Source) (map[string]map[string]string, error) {
	c := replicator.Client(&src.Endpoint, "ssm.tagging", p.newTaggingClient)
	out := map[string]map[string]string{}
	pages := tagging.NewGetResourcesPaginator(c, &tagging.GetResourcesInput{
		ResourceTypeFilters: []string{"ssm:parameter"}, ResourcesPerPage: aws.Int32(100),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading parameter tags (tag:GetResources): %w", err)
		}
		for _, m := range page.ResourceTagMappingList {
			if len(m.Tags) == 0 {
				continue
			}
			out[aws.ToString(m.ResourceARN)] = tagMap(m.Tags)
		}
	}
	return out, nil
}

// tagMap returns tags as a map.
func tagMap(tags []taggingtypes.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// Concurrency of a listing: pages read at once, and calls per page.
const (
	pagesInFlight = 4
	callsPerPage  = 16
)

// readPage reads the values of one page of parameters, by name. A parameter
// deleted since the page was listed is left out.
func (p *Parameter) readPage(ctx context.Context, c ssmAPI, metas []types.ParameterMetadata) (map[string]types.Parameter, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(callsPerPage)
	var mu sync.Mutex
	values := make(map[string]types.Parameter, len(metas))
	for chunk := range slices.Chunk(metas, 10) {
		names := make([]string, len(chunk))
		for i, m := range chunk {
			names[i] = aws.ToString(m.Name)
		}
		g.Go(func() error {
			out, err := c.GetParameters(gctx, &awsssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, prm := range out.Parameters {
				values[aws.ToString(prm.Name)] = prm
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return values, nil
}

// describePage describes the parameters of a page from their metadata,
// values and tags (by ARN).
func describePage(metas []types.ParameterMetadata, values map[string]types.Parameter, byARN map[string]map[string]string) ([]*replicator.Resource, error) {
	resources := make([]*replicator.Resource, 0, len(metas))
	for _, md := range metas {
		prm, ok := values[aws.ToString(md.Name)]
		if !ok {
			continue // deleted since it was listed
		}
		r, err := describe(prm, &md, byARN[aws.ToString(prm.ARN)])
		if err != nil {
			return nil, err
		}
		resources = append(resources, r)
	}
	return resources, nil
}

// Write implements replicator.ResourceReplicator: one PutParameter (without
// overwrite, with tags), then GetParameters to read the result back.
func (p *Parameter) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var props properties
	if err := r.DecodeProperties(&props); err != nil {
		return replicator.Placed{}, err
	}
	if props.Name == "" {
		props.Name = r.Identifier
	}
	value := props.Value
	if props.Type == string(types.ParameterTypeSecureString) {
		value = r.Secrets[valueField].Reveal()
	}
	in := &awsssm.PutParameterInput{
		Name:           aws.String(props.Name),
		Value:          aws.String(value),
		Type:           types.ParameterType(props.Type),
		Overwrite:      aws.Bool(false),
		Description:    nonEmpty(props.Description),
		AllowedPattern: nonEmpty(props.AllowedPattern),
		DataType:       nonEmpty(props.DataType),
		Tier:           types.ParameterTier(props.Tier),
	}
	if props.Type == string(types.ParameterTypeSecureString) && props.KeyID != "" && props.KeyID != defaultKey {
		in.KeyId = aws.String(targetKeyID(tgt, props.KeyID))
	}
	if len(props.Policies) > 0 {
		in.Policies = aws.String("[" + strings.Join(props.Policies, ",") + "]")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(r.Tags[k])})
	}
	c := p.client(&tgt.Endpoint)
	if _, err := c.PutParameter(ctx, in); err != nil {
		if apierr.Has(err, "ParameterAlreadyExists") {
			return replicator.Placed{}, fmt.Errorf("%w: parameter %q", replicator.ErrAlreadyExists, props.Name)
		}
		return replicator.Placed{}, err
	}
	got, ok, err := p.readBack(tgt).Get(ctx, props.Name)
	if err != nil {
		return replicator.Placed{}, fmt.Errorf("reading parameter %q back from the target: %w", props.Name, err)
	}
	if !ok {
		return replicator.Placed{}, fmt.Errorf("parameter %q was written but the target does not return it", props.Name)
	}
	return got, nil
}

// readBack returns the target's read-back batcher: the parameters written
// at about the same time are read back together, ten names per
// GetParameters call, which nearly halves the calls a BATCH job makes to
// the target (the usual bottleneck).
func (p *Parameter) readBack(tgt *replicator.Target) *coalesce.Batcher[string, replicator.Placed] {
	return replicator.Client(&tgt.Endpoint, "ssm.readback", func(aws.Config) *coalesce.Batcher[string, replicator.Placed] {
		c := p.client(&tgt.Endpoint)
		return &coalesce.Batcher[string, replicator.Placed]{
			Max:  10,
			Wait: 100 * time.Millisecond, // at most, while another read-back is under way
			// IdleWait 0: a lone write (a single-resource job) is read back at once.
			Fetch: func(ctx context.Context, names []string) (map[string]replicator.Placed, error) {
				out, err := c.GetParameters(ctx, &awsssm.GetParametersInput{Names: names})
				if err != nil {
					return nil, err
				}
				found := make(map[string]replicator.Placed, len(out.Parameters))
				for _, prm := range out.Parameters {
					name := aws.ToString(prm.Name)
					found[name] = replicator.Placed{Identifier: name, ARN: aws.ToString(prm.ARN)}
				}
				return found, nil
			},
		}
	})
}

// targetKeyID returns how the target names the KMS key the source names
// keyID: aliases are replicated with their key, so they stay; a key id or
// key ARN is rewritten to the key the target holds (it may have assigned
// its own id), in the target's account and region.
func targetKeyID(tgt *replicator.Target, keyID string) string {
	if strings.HasPrefix(keyID, "alias/") {
		return keyID
	}
	a, err := arn.Parse(keyID)
	if err != nil {
		return tgt.TargetID(kmsKeyType, keyID)
	}
	if a.ResourceType() != "key" {
		return keyID // an alias ARN
	}
	a.AccountID, a.Region = tgt.AccountID, tgt.Region
	a.Resource = "key/" + tgt.TargetID(kmsKeyType, a.ResourceID())
	return a.String()
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
