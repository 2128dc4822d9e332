package ec2

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/replicator"
)

// Groups written at the same time (a BATCH job) share their lookups: the
// existing copies, the new groups and the read-backs are looked up many
// per call. Each group is still found or created exactly once, by id
// before tag, and gets exactly its rules.
func TestConcurrentWritesShareLookups(t *testing.T) {
	f := newFake()
	f.lookupDelay = 5 * time.Millisecond
	f.add("sg-kept", "kept", "vpc-src")                                                                           // the target kept the source id (LocalStack)
	f.add("sg-old", "tagged", "vpc-src", types.Tag{Key: aws.String(SourceIDTag), Value: aws.String("sg-tagged")}) // a copy made earlier (moto)
	f.add("sg-ph", "placeholder", "vpc-src", types.Tag{Key: aws.String(SourceIDTag), Value: aws.String("sg-placeholder")},
		types.Tag{Key: aws.String(PlaceholderTag), Value: aws.String("true")})
	adapter := &SecurityGroup{newClient: func(aws.Config) ec2API { return f }}
	tgt := testTarget()

	const n = 30
	var resources []*replicator.Resource
	for i := range n {
		id := fmt.Sprintf("sg-new%02d", i)
		resources = append(resources, groupResource(t, id, groupProps{GroupName: fmt.Sprintf("new%02d", i), Description: "new", VpcID: "vpc-src",
			Ingress: []rule{tcp(443, 443).from("0.0.0.0/0"), tcp(5432, 5432).from(id)}, Egress: []rule{allOut}}, map[string]string{"team": "bench"}))
	}
	for _, id := range []string{"sg-kept", "sg-tagged", "sg-placeholder"} {
		resources = append(resources, groupResource(t, id, groupProps{GroupName: strings.TrimPrefix(id, "sg-"), Description: "old", VpcID: "vpc-src",
			Ingress: []rule{tcp(22, 22).from("10.0.0.0/8")}, Egress: []rule{allOut}}, nil))
	}
	before := len(f.groups)
	placed := make([]replicator.Placed, len(resources))
	errs := make([]error, len(resources))
	var wg sync.WaitGroup
	for i, r := range resources {
		wg.Go(func() { placed[i], errs[i] = adapter.Write(context.Background(), tgt, r) })
	}
	wg.Wait()

	for i, r := range resources[:n] {
		if errs[i] != nil {
			t.Fatalf("Write %s: %v", r.Identifier, errs[i])
		}
		g := f.group(placed[i].Identifier)
		if g == nil || g.name != fmt.Sprintf("new%02d", i) || tagValue(g.tags, SourceIDTag) != r.Identifier {
			t.Fatalf("%s placed as %+v: %+v", r.Identifier, placed[i], g)
		}
		wantRules(t, r.Identifier+" ingress", g.ingress, []rule{tcp(443, 443).from("0.0.0.0/0"), tcp(5432, 5432).from(g.id)})
		wantRules(t, r.Identifier+" egress", g.egress, []rule{allOut})
	}
	for i, want := range map[int]string{n: "sg-kept", n + 1: "sg-old"} {
		if !errors.Is(errs[i], replicator.ErrAlreadyExists) || placed[i].Identifier != want {
			t.Errorf("Write %s = %+v, %v; want ErrAlreadyExists with %s", resources[i].Identifier, placed[i], errs[i], want)
		}
	}
	if errs[n+2] != nil || placed[n+2].Identifier != "sg-ph" || hasTag(f.group("sg-ph").tags, PlaceholderTag) {
		t.Errorf("Write sg-placeholder = %+v, %v; want the placeholder sg-ph completed", placed[n+2], errs[n+2])
	}
	for _, c := range f.calls {
		if strings.Contains(c, "Egress") {
			t.Errorf("egress changed although it is the default: %s", c)
		}
	}
	if len(f.groups) != before+n {
		t.Errorf("%d groups created, want %d", len(f.groups)-before, n)
	}
	// Creating first, the writes of the new groups look nothing up but
	// their read-backs; one at a time, the 33 writes would make 3
	// DescribeTags and 33+3 DescribeSecurityGroups calls.
	tags, describes := f.lookupCalls("DescribeTags"), f.lookupCalls("DescribeSecurityGroups")
	t.Logf("%d writes: %d DescribeTags, %d DescribeSecurityGroups", len(resources), tags, describes)
	if tags > 2 || describes > len(resources)/3 {
		t.Errorf("%d writes made %d DescribeTags and %d DescribeSecurityGroups calls, want lookups shared", len(resources), tags, describes)
	}
}

// The copy a target holds by id (LocalStack keeps ids) comes before one
// found by tag, even when both are looked up in one call.
func TestFindPrefersTheSameIDToTheTag(t *testing.T) {
	f := newFake()
	f.add("sg-a", "a", "vpc-src")
	f.add("sg-other", "a", "vpc-other", types.Tag{Key: aws.String(SourceIDTag), Value: aws.String("sg-a")})
	f.add("sg-bcopy", "b", "vpc-src", types.Tag{Key: aws.String(SourceIDTag), Value: aws.String("sg-b")})
	gt := (&SecurityGroup{newClient: func(aws.Config) ec2API { return f }}).target(testTarget())
	found, err := gt.fetchCopies(context.Background(), []string{"sg-a", "sg-b", "sg-c"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for src, g := range found {
		got[src] = aws.ToString(g.GroupId)
	}
	if want := map[string]string{"sg-a": "sg-a", "sg-b": "sg-bcopy"}; !cmp.Equal(got, want) {
		t.Errorf("copies = %v, want %v", got, want)
	}
	if c := f.lookupCalls("DescribeTags") + f.lookupCalls("DescribeSecurityGroups"); c != 2 {
		t.Errorf("%d calls for one batch, want 2", c)
	}
}
