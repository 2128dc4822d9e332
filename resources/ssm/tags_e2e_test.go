package ssm_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/ssm"
)

// awsTagging is the Tagging API as AWS documents it, over moto's: moto
// 5.2.1 ignores GetResources' ResourceARNList (it answers with every
// resource, paged), AWS answers with those resources only, in one page.
// It records what each call asked for.
type awsTagging struct {
	moto *tagging.Client

	mu    sync.Mutex
	asked [][]string // ResourceARNList of each call; nil for a call without
}

func (a *awsTagging) GetResources(ctx context.Context, in *tagging.GetResourcesInput, opts ...func(*tagging.Options)) (*tagging.GetResourcesOutput, error) {
	a.mu.Lock()
	a.asked = append(a.asked, slices.Clone(in.ResourceARNList))
	a.mu.Unlock()
	if len(in.ResourceARNList) == 0 {
		return a.moto.GetResources(ctx, in, opts...)
	}
	out := &tagging.GetResourcesOutput{}
	pages := tagging.NewGetResourcesPaginator(a.moto, &tagging.GetResourcesInput{ResourceTypeFilters: []string{"ssm:parameter"}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, opts...)
		if err != nil {
			return nil, err
		}
		for _, m := range page.ResourceTagMappingList {
			if slices.Contains(in.ResourceARNList, aws.ToString(m.ResourceARN)) {
				out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
			}
		}
	}
	return out, nil
}

// On AWS, a BATCH job reads the tags of the parameters it selects, a page
// at a time by ARN, and never every tagged parameter of the account.
// (Against moto itself, which ignores the ARN list, the adapter reads every
// tag once: the other end-to-end tests.)
func TestBatchReadsOnlyTheSelectedParametersTags(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, _ := setup(t, tgt, fixture.SourceAccount)
		var want []param
		for i := range 3 {
			p := param{Name: fmt.Sprintf("/app/a/p%d", i), Type: "String", Value: "v", Tags: map[string]string{"team": "a", "n": fmt.Sprint(i)}}
			put(t, c.src, p)
			want = append(want, p)
		}
		for i := range 120 { // more than one GetResources page of the account
			put(t, c.src, param{Name: fmt.Sprintf("/app/b/q%03d", i), Type: "String", Value: "v", Tags: map[string]string{"team": "b"}})
		}
		fake := &awsTagging{}
		reg := replicator.NewRegistry()
		reg.Register(ssm.NewWithTagging(func(cfg aws.Config) ssm.TaggingAPI {
			fake.moto = tagging.NewFromConfig(cfg) // the source's, read-only
			return fake
		}))
		r, err := replicator.NewRunner(reg)
		if err != nil {
			t.Fatal(err)
		}
		spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, ssm.TypeName, "/app/a/"
		mustSucceed(t, run(t, r, spec))
		for _, p := range want {
			if got, _ := get(t, c.tgt, p.Name); !cmp.Equal(got, p) {
				t.Errorf("%s in the target: %+v, want %+v", p.Name, got, p)
			}
		}
		if len(fake.asked) == 0 {
			t.Fatal("no tags were read")
		}
		for _, arns := range fake.asked {
			if len(arns) == 0 {
				t.Errorf("a GetResources call read every tagged parameter of the account")
			}
			for _, a := range arns {
				if !strings.Contains(a, ":parameter/app/a/") {
					t.Errorf("the tags of %s were asked for, which the job does not select", a)
				}
			}
		}
	})
}
