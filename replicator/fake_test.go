package replicator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// Test accounts: the fake STS answers with these.
const (
	sourceAccount = "111111111111"
	targetAccount = "000000000000"
	region        = "eu-central-1"
)

// ---- a fake STS behind aws.HTTPClient -------------------------------------

// fakeSTS answers sts:GetCallerIdentity for one account without touching the
// network, and counts the requests it receives.
type fakeSTS struct {
	account string
	// gate, if set, holds every answer until it is closed.
	gate chan struct{}
	// fail, if set, is returned instead of an answer (an unreachable host).
	fail error
	// status, if set, is answered with an STS error document with code
	// (default InvalidClientTokenId).
	status int
	code   string

	mu    sync.Mutex
	calls int
	hosts []string
}

func (f *fakeSTS) Do(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	f.mu.Lock()
	f.calls++
	f.hosts = append(f.hosts, req.URL.Host)
	f.mu.Unlock()
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	if f.fail != nil {
		return nil, f.fail
	}
	if !bytes.Contains(body, []byte("Action=GetCallerIdentity")) {
		return nil, fmt.Errorf("fakeSTS: unexpected request %s %s", req.URL, body)
	}
	if f.status != 0 {
		code := f.code
		if code == "" {
			code = "InvalidClientTokenId"
		}
		doc := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>` + code +
			`</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>`
		return xmlResponse(req, f.status, doc), nil
	}
	doc := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws:iam::` + f.account + `:user/x</Arn><UserId>X</UserId><Account>` + f.account + `</Account>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	return xmlResponse(req, 200, doc), nil
}

func xmlResponse(req *http.Request, status int, doc string) *http.Response {
	return &http.Response{
		StatusCode:    status,
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:        http.Header{"Content-Type": {"text/xml"}},
		Body:          io.NopCloser(strings.NewReader(doc)),
		ContentLength: int64(len(doc)),
		Request:       req,
	}
}

func (f *fakeSTS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// awsConfig is an aws.Config whose every request goes to client.
func awsConfig(client aws.HTTPClient, endpoint string) aws.Config {
	cfg := aws.Config{
		Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		}),
		HTTPClient: client,
		Retryer:    func() aws.Retryer { return aws.NopRetryer{} },
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg
}

// configs returns a source config answering for sourceAccount and a target
// config on loopback answering for targetAccount.
func configs() (src, tgt aws.Config) {
	return configsFor(&fakeSTS{account: sourceAccount}, &fakeSTS{account: targetAccount})
}

// configsFor returns a source config using srcSTS and a target config on
// loopback using tgtSTS.
func configsFor(srcSTS, tgtSTS *fakeSTS) (src, tgt aws.Config) {
	return awsConfig(srcSTS, ""), awsConfig(tgtSTS, "http://127.0.0.1:1")
}

// ---- an in-memory world and a fake adapter --------------------------------

// world is the source account and the target emulator, in memory, shared by
// every fake adapter of a test.
type world struct {
	mu sync.Mutex
	// src holds the source resources by key(type, id).
	src map[string]*replicator.Resource
	// children holds TREE children by parent key.
	children map[string][]replicator.Ref
	// tgt holds what the target has, by key(type, target id).
	tgt map[string]replicator.Placed
	// writes is every successful write in order ("TYPE ID").
	writes []string
	// attempts counts Write calls by key.
	attempts map[string]int
	// reads counts Read calls by key.
	reads map[string]int
	// seenTargetIDs records, per written resource, what Target.TargetID
	// said for each of its dependencies at write time.
	seenTargetIDs map[string]map[string]string
	// regions records the source region of each Read.
	regions []string

	inflight, maxInflight int

	// Hooks; nil means none.
	readHook  func(ctx context.Context, typ, id string) error
	writeHook func(ctx context.Context, r *replicator.Resource) error
	// assignID returns the id the target gives r ("" to keep the source id).
	assignID func(r *replicator.Resource) string
	// listErr, if set, is returned by List after emitting everything.
	listErr error
}

func newWorld() *world {
	return &world{
		src:           map[string]*replicator.Resource{},
		children:      map[string][]replicator.Ref{},
		tgt:           map[string]replicator.Placed{},
		attempts:      map[string]int{},
		reads:         map[string]int{},
		seenTargetIDs: map[string]map[string]string{},
	}
}

func key(typ, id string) string { return strings.ToLower(typ) + " " + id }

// add puts a resource into the source and returns it. deps are "TYPE ID".
func (w *world) add(typ, id string, deps ...replicator.Ref) *replicator.Resource {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := &replicator.Resource{
		Type:       typ,
		Identifier: id,
		ARN:        fakeARN(typ, sourceAccount, region, id),
		Tags:       map[string]string{"team": "platform"},
		DependsOn:  deps,
	}
	_ = r.SetProperties(map[string]string{"value": "value of " + id})
	w.src[key(typ, id)] = r
	return r
}

// addChild declares child as a TREE child of parent.
func (w *world) addChild(parent, child *replicator.Resource) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := key(parent.Type, parent.Identifier)
	w.children[k] = append(w.children[k], child.Ref())
}

// put puts a resource into the target already.
func (w *world) put(typ, id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tgt[key(typ, id)] = replicator.Placed{Identifier: id, ARN: fakeARN(typ, targetAccount, region, id)}
}

func (w *world) writeLog() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.writes)
}

func (w *world) writeAttempts(typ, id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.attempts[key(typ, id)]
}

func (w *world) readCount(typ, id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reads[key(typ, id)]
}

func (w *world) maxInFlight() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxInflight
}

// fakeARN is the ARN of a fake resource: arn:aws:fake:REGION:ACCOUNT:<kind>/ID
// where kind is the last part of the type name in lower case.
func fakeARN(typ, account, region, id string) string {
	return "arn:aws:fake:" + region + ":" + account + ":" + arnKind(typ) + "/" + id
}

func arnKind(typ string) string {
	parts := strings.Split(typ, "::")
	return strings.ToLower(parts[len(parts)-1])
}

// fakeAdapter replicates one type of the world. It implements every
// optional capability.
type fakeAdapter struct {
	w   *world
	typ string
	// deps and tree are what Info declares as Dependencies and Tree.
	deps, tree []string
}

var (
	_ replicator.ResourceReplicator = (*fakeAdapter)(nil)
	_ replicator.ARNResolver        = (*fakeAdapter)(nil)
	_ replicator.Lister             = (*fakeAdapter)(nil)
	_ replicator.TreeExplorer       = (*fakeAdapter)(nil)
)

func (a *fakeAdapter) Info() replicator.TypeInfo {
	return replicator.TypeInfo{
		Type:            a.typ,
		Identifier:      "Name",
		ARNService:      "fake",
		ARNResourceType: arnKind(a.typ),
		Batch:           "a prefix of the name",
		Actions:         []string{"fake:Get" + arnKind(a.typ), "fake:ListTags"},
		BatchActions:    []string{"fake:List" + arnKind(a.typ)},
		Dependencies:    a.deps,
		Tree:            a.tree,
	}
}

func (a *fakeAdapter) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	w := a.w
	if w.readHook != nil {
		if err := w.readHook(ctx, a.typ, id); err != nil {
			return nil, err
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reads[key(a.typ, id)]++
	w.regions = append(w.regions, src.Region)
	r, ok := w.src[key(a.typ, id)]
	if !ok {
		return nil, fmt.Errorf("%w: %s %s", replicator.ErrNotFound, a.typ, id)
	}
	return clone(r), nil
}

func clone(r *replicator.Resource) *replicator.Resource {
	c := *r
	c.DependsOn = slices.Clone(r.DependsOn)
	return &c
}

func (a *fakeAdapter) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	w := a.w
	k := key(r.Type, r.Identifier)
	w.mu.Lock()
	w.attempts[k]++
	w.inflight++
	w.maxInflight = max(w.maxInflight, w.inflight)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.inflight--
		w.mu.Unlock()
	}()
	if w.writeHook != nil {
		if err := w.writeHook(ctx, r); err != nil {
			return replicator.Placed{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return replicator.Placed{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Parents first: refuse a resource whose registered parents are not in
	// the target yet, as a real API would.
	ids := map[string]string{}
	for _, d := range r.DependsOn {
		tid := tgt.TargetID(d.Type, d.Identifier)
		ids[d.String()] = tid
		if _, registered := w.src[key(d.Type, d.Identifier)]; !registered {
			continue
		}
		if _, ok := w.tgt[key(d.Type, tid)]; !ok {
			return replicator.Placed{}, fmt.Errorf("parent %s (target id %s) is not in the target", d, tid)
		}
	}
	id := r.Identifier
	if w.assignID != nil {
		if nid := w.assignID(r); nid != "" {
			id = nid
		}
	}
	if p, ok := w.tgt[key(r.Type, r.Identifier)]; ok {
		return p, fmt.Errorf("%w: %s", replicator.ErrAlreadyExists, k)
	}
	p := replicator.Placed{Identifier: id, ARN: fakeARN(r.Type, tgt.AccountID, tgt.Region, id)}
	if r.ARN == "" {
		p.ARN = ""
	}
	w.tgt[key(r.Type, id)] = p
	w.writes = append(w.writes, r.Type+" "+r.Identifier)
	w.seenTargetIDs[k] = ids
	return p, nil
}

func (a *fakeAdapter) IdentifierFromARN(_ context.Context, _ *replicator.Source, x arn.ARN) (string, error) {
	return x.ResourceID(), nil
}

func (a *fakeAdapter) List(ctx context.Context, src *replicator.Source, filter string, emit func(*replicator.Resource) error) error {
	a.w.mu.Lock()
	var rs []*replicator.Resource
	for _, r := range a.w.src {
		if strings.EqualFold(r.Type, a.typ) && strings.HasPrefix(r.Identifier, filter) {
			rs = append(rs, clone(r))
		}
	}
	a.w.mu.Unlock()
	slices.SortFunc(rs, func(x, y *replicator.Resource) int { return strings.Compare(x.Identifier, y.Identifier) })
	for _, r := range rs {
		if a.w.readHook != nil {
			if err := a.w.readHook(ctx, r.Type, r.Identifier); err != nil {
				r = replicator.Unreadable(r.Type, r.Identifier, err)
			}
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	return a.w.listErr
}

func (a *fakeAdapter) Children(_ context.Context, _ *replicator.Source, r *replicator.Resource) ([]replicator.Ref, error) {
	a.w.mu.Lock()
	defer a.w.mu.Unlock()
	return slices.Clone(a.w.children[key(r.Type, r.Identifier)]), nil
}

// basicAdapter has only the required methods: no ARN, no BATCH, no TREE.
type basicAdapter struct {
	f    *fakeAdapter
	info replicator.TypeInfo
}

func (b basicAdapter) Info() replicator.TypeInfo { return b.info }
func (b basicAdapter) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	return b.f.Read(ctx, src, id)
}
func (b basicAdapter) Write(ctx context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	return b.f.Write(ctx, tgt, r)
}

// Types of the fake world.
const (
	typeParent = "Test::Fake::Parent"
	typeChild  = "Test::Fake::Child"
	typeThing  = "Test::Fake::Thing"
	typeBasic  = "Test::Fake::Basic"
)

// setup returns a world, a registry with fake adapters for typeParent,
// typeChild and typeThing (and typeBasic without optional capabilities),
// and a runner with opts.
func setup(t *testing.T, opts ...func(*replicator.Options)) (*world, *replicator.Runner) {
	t.Helper()
	w := newWorld()
	reg := replicator.NewRegistry()
	for _, typ := range []string{typeParent, typeChild, typeThing} {
		reg.Register(&fakeAdapter{w: w, typ: typ})
	}
	reg.Register(basicAdapter{f: &fakeAdapter{w: w, typ: typeBasic}, info: replicator.TypeInfo{Type: typeBasic, Identifier: "Id"}})
	r, err := replicator.NewRunner(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w, r
}

// spec returns a SINGLE_RESOURCE spec for (typ, id) with fake configs.
func spec(typ, id string) replicator.Spec {
	src, tgt := configs()
	return replicator.Spec{ResourceType: typ, Identifier: id, Source: src, Target: tgt}
}

// run runs s to its end, failing the test on an invalid spec or if the job
// does not end within a generous bound (a hang is a bug, not slowness).
func run(t *testing.T, r *replicator.Runner, s replicator.Spec) job.Status {
	t.Helper()
	return runWithin(t, r, s, 30*time.Second)
}

// runWithin is run with a bound of d.
func runWithin(t *testing.T, r *replicator.Runner, s replicator.Spec, d time.Duration) job.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	j, err := r.Submit(ctx, s)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	st, err := j.Wait(ctx)
	if err != nil {
		t.Fatalf("job %s did not end: %v; status %+v", j.ID(), err, st)
	}
	if !st.State.Terminal() {
		t.Fatalf("Wait returned a non-terminal status %+v", st)
	}
	return st
}

// outcome returns the only outcome of (typ, id) in list, failing otherwise.
func outcome(t *testing.T, list []job.Outcome, typ, id string) job.Outcome {
	t.Helper()
	var found []job.Outcome
	for _, o := range list {
		if o.ResourceType == typ && o.ResourceIdentifier == id {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d outcomes for %s %s in %+v, want 1", len(found), typ, id, list)
	}
	return found[0]
}

func errorMessage(st job.Status) string {
	if st.ErrorMessage == nil {
		return ""
	}
	return *st.ErrorMessage
}

// barrier lets n goroutines wait for each other once.
type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	done    chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, done: make(chan struct{})} }

// wait blocks until n goroutines have called it, or ctx ends.
func (b *barrier) wait(ctx context.Context) error {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.done)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// yieldALittle gives other goroutines a chance to run (no timing involved).
func yieldALittle() {
	for range 10 {
		runtime.Gosched()
	}
}

var errBoom = errors.New("boom")
