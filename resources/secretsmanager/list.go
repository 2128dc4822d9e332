package secretsmanager

import (
	"bytes"
	"cmp"
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

// listPageSize is how many secrets one ListSecrets page asks for, but
// for the first, which asks for firstPageSize: the first secrets are then
// read (a BatchGetSecretValue, a GetResourcePolicy each) and handed to the
// writers after a few round trips, instead of after a hundred reads, and
// the later pages are read while those are written.
const (
	listPageSize  = 50
	firstPageSize = batchSize
)

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
// for deletion are left out. Each page of up to 50 secrets (the first: 20,
// so that writing starts early) costs one ListSecrets, one
// BatchGetSecretValue per 20 secrets that have a value and, at the same
// time, one GetResourcePolicy per secret and one GetSecretValue per secret
// with an AWSPREVIOUS version. A page's descriptions are emitted as soon as
// it is read; up to three pages are read at once, with up to 32 calls each.
func (s *Secret) List(ctx context.Context, src *replicator.Source, filter string, emit func(*replicator.Resource) error) error {
	filters, err := parseFilter(filter)
	if err != nil {
		return err
	}
	c := s.client(&src.Endpoint)
	in := &awssm.ListSecretsInput{Filters: filters, MaxResults: aws.Int32(firstPageSize)}
	more := true
	return pipeline.Pages(ctx, pagesInFlight, func() bool { return more },
		func(ctx context.Context) ([]types.SecretListEntry, error) {
			page, err := c.ListSecrets(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("listing secrets: %w", err)
			}
			// A page may be empty and still have a token; a token the
			// service repeats would never end.
			prev, token := aws.ToString(in.NextToken), aws.ToString(page.NextToken)
			in.NextToken, in.MaxResults = page.NextToken, aws.Int32(listPageSize)
			more = token != "" && token != prev
			return page.SecretList, nil
		},
		func(ctx context.Context, entries []types.SecretListEntry) ([]*replicator.Resource, error) {
			return readPage(ctx, c, entries)
		}, emit)
}

// Concurrency of a listing: pages read at once, and calls per page.
const (
	pagesInFlight = 3
	callsPerPage  = 32
)

// readPage describes one page of listed secrets: the page's current
// values in bulk, and at the same time each secret's resource policy (and
// previous value). A secret deleted since the page was listed is left out;
// one that cannot be read is reported as unreadable.
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
	// What each secret needs besides its current value.
	type rest struct {
		prev   *value
		policy string
		gone   bool
		err    error // the secret cannot be read; the job goes on
	}
	rests := make([]rest, len(metas))
	var current map[string]*value
	var unreadable map[string]error
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(callsPerPage)
	g.Go(func() (err error) {
		current, unreadable, err = batchValues(gctx, c, withValue)
		return err
	})
	for i, m := range metas {
		g.Go(func() error {
			r := &rests[i]
			if m.hasStage(stageCurrent) && m.hasStage(stagePrevious) {
				if r.prev, r.err = getValue(gctx, c, m.arn, stagePrevious); r.err != nil {
					return gctx.Err()
				}
			}
			if r.policy, r.err = getPolicy(gctx, c, m.arn); r.err != nil {
				r.gone, r.err = gone(r.err), cmp.Or(gctx.Err(), r.err)
				return gctx.Err()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	resources := make([]*replicator.Resource, 0, len(metas))
	for i, m := range metas {
		cur, ok := current[m.arn]
		r := rests[i]
		switch {
		case unreadable[m.arn] != nil:
			resources = append(resources, replicator.Unreadable(TypeName, m.arn, unreadable[m.arn]))
		case m.hasStage(stageCurrent) && !ok, r.gone:
			// gone since listed
		case r.err != nil:
			resources = append(resources, replicator.Unreadable(TypeName, m.arn, r.err))
		default:
			res, err := describe(m, cur, r.prev, r.policy)
			if err != nil {
				return nil, err
			}
			resources = append(resources, res)
		}
	}
	return resources, nil
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
