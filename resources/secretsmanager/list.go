package secretsmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"golang.org/x/sync/errgroup"

	"github.com/awsreplicator/awsreplicator/internal/apierr"
	"github.com/awsreplicator/awsreplicator/internal/pipeline"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// filterKeys are the ListSecrets filter keys a BATCH identifier may use
// (the API's FilterNameStringType values), sorted.
var filterKeys = []string{"all", "description", "name", "owning-service", "primary-region", "tag-key", "tag-value"}

// batchSize is the most secrets one BatchGetSecretValue call returns.
const batchSize = 20

// listPageSize is how many secrets one ListSecrets page asks for.
const listPageSize = 100

// parseFilter parses a BATCH identifier: "" (or "{}") selects every
// secret; otherwise a JSON object whose keys are ListSecrets filter keys
// and whose values are arrays of strings, e.g. {"name":["prod/"]}. Keys
// are sent in sorted order, values as given (a leading "!" negates, as in
// the API).
func parseFilter(s string) ([]types.Filter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: BATCH identifier %q for %s: %s; want \"\" for every secret or a JSON object of ListSecrets filters "+
			"such as {\"name\":[\"prod/\"],\"tag-key\":[\"team\"]}, with keys among %s",
			replicator.ErrInvalidIdentifier, s, TypeName, fmt.Sprintf(format, args...), strings.Join(filterKeys, ", "))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil || raw == nil {
		return nil, invalid("not a JSON object")
	}
	var filters []types.Filter
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if !slices.Contains(filterKeys, k) {
			return nil, invalid("unknown filter key %q", k)
		}
		var vals []string
		dec := json.NewDecoder(bytes.NewReader(raw[k]))
		if err := dec.Decode(&vals); err != nil || len(vals) == 0 {
			return nil, invalid("filter %q must be a non-empty array of strings", k)
		}
		filters = append(filters, types.Filter{Key: types.FilterNameStringType(k), Values: vals})
	}
	return filters, nil
}

// List implements replicator.Lister. filter is "" for every secret or a
// JSON object of ListSecrets filters (see parseFilter). Secrets scheduled
// for deletion are left out. Each page of up to 100 secrets costs one
// ListSecrets, one BatchGetSecretValue per 20 secrets that have a value,
// and, made concurrently, one GetResourcePolicy per secret and one
// GetSecretValue per secret with an AWSPREVIOUS version. A page's
// descriptions are emitted as soon as it is read; up to two pages are
// read at once, with up to 16 calls each.
func (s *Secret) List(ctx context.Context, src *replicator.Source, filter string, emit func(*replicator.Resource) error) error {
	filters, err := parseFilter(filter)
	if err != nil {
		return err
	}
	c := s.client(&src.Endpoint)
	pages := awssm.NewListSecretsPaginator(c, &awssm.ListSecretsInput{Filters: filters, MaxResults: aws.Int32(listPageSize)})
	return pipeline.Pages(ctx, pagesInFlight, pages.HasMorePages,
		func(ctx context.Context) ([]types.SecretListEntry, error) {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing secrets: %w", err)
			}
			return page.SecretList, nil
		},
		func(ctx context.Context, entries []types.SecretListEntry) ([]*replicator.Resource, error) {
			return readPage(ctx, c, entries)
		}, emit)
}

// Concurrency of a listing: pages read at once, and calls per page.
const (
	pagesInFlight = 2
	callsPerPage  = 16
)

// readPage describes one page of listed secrets. A secret deleted since
// the page was listed is left out.
func readPage(ctx context.Context, c secretsAPI, entries []types.SecretListEntry) ([]*replicator.Resource, error) {
	metas := make([]meta, 0, len(entries))
	var withValue []string
	for i := range entries {
		m := metaFromList(&entries[i])
		if m.deleted {
			continue
		}
		metas = append(metas, m)
		if m.hasStage(stageCurrent) {
			withValue = append(withValue, m.arn)
		}
	}
	current, unreadable, err := batchValues(ctx, c, withValue)
	if err != nil {
		return nil, err
	}
	resources := make([]*replicator.Resource, len(metas))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(callsPerPage)
	for i, m := range metas {
		if err := unreadable[m.arn]; err != nil {
			resources[i] = replicator.Unreadable(TypeName, m.arn, err)
			continue
		}
		cur, ok := current[m.arn]
		if m.hasStage(stageCurrent) && !ok {
			continue // gone since listed
		}
		g.Go(func() error {
			// A secret that cannot be read fails alone; the job goes on.
			fail := func(err error) error {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				resources[i] = replicator.Unreadable(TypeName, m.arn, err)
				return nil
			}
			var prev *value
			if cur != nil && m.hasStage(stagePrevious) {
				var err error
				if prev, err = getValue(gctx, c, m.arn, stagePrevious); err != nil {
					return fail(err)
				}
			}
			policy, err := getPolicy(gctx, c, m.arn)
			if err != nil {
				if gone(err) {
					return nil
				}
				return fail(err)
			}
			resources[i], err = describe(m, cur, prev, policy)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(resources, func(r *replicator.Resource) bool { return r == nil }), nil
}

// batchValues reads the AWSCURRENT values of the secrets named by ARN,
// 20 per BatchGetSecretValue call. Secrets gone since they were listed
// are absent from the result; secrets the source refused to read (say,
// access to their KMS key denied) are in unreadable. moto fails a whole
// batch with ResourceNotFoundException when one secret has no value (AWS
// reports it in Errors); such a batch is read again one secret at a time.
func batchValues(ctx context.Context, c secretsAPI, arns []string) (values map[string]*value, unreadable map[string]error, err error) {
	var mu sync.Mutex
	values, unreadable = make(map[string]*value, len(arns)), map[string]error{}
	g, gctx := errgroup.WithContext(ctx)
	for chunk := range slices.Chunk(arns, batchSize) {
		g.Go(func() error {
			found, failed, err := batchChunk(gctx, c, chunk)
			mu.Lock()
			defer mu.Unlock()
			maps.Copy(values, found)
			maps.Copy(unreadable, failed)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return values, unreadable, nil
}

// batchChunk reads the values of up to batchSize secrets.
func batchChunk(ctx context.Context, c secretsAPI, chunk []string) (map[string]*value, map[string]error, error) {
	out, failed := make(map[string]*value, len(chunk)), map[string]error{}
	pages := awssm.NewBatchGetSecretValuePaginator(c, &awssm.BatchGetSecretValueInput{SecretIdList: chunk})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if !apierr.Has(err, "ResourceNotFoundException") {
				return nil, nil, fmt.Errorf("reading the values of %d secrets: %w", len(chunk), err)
			}
			for _, a := range chunk {
				v, err := getValue(ctx, c, a, stageCurrent)
				if err != nil {
					return nil, nil, err
				}
				if v != nil {
					out[a] = v
				}
			}
			return out, failed, nil
		}
		for _, e := range page.SecretValues {
			out[aws.ToString(e.ARN)] = &value{versionID: aws.ToString(e.VersionId), str: e.SecretString, bin: e.SecretBinary}
		}
		for _, e := range page.Errors {
			switch aws.ToString(e.ErrorCode) {
			case "ResourceNotFoundException", "InvalidRequestException":
				// deleted, or scheduled for deletion, since listed
			default:
				failed[aws.ToString(e.SecretId)] = fmt.Errorf("reading its value: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.Message))
			}
		}
	}
	return out, failed, nil
}
