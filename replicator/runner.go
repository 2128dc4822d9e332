package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/uuid"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/job"
)

// Options configure a [Runner].
type Options struct {
	// Logger receives progress and diagnostics; nil means silent.
	Logger *slog.Logger
	// Concurrency bounds how many resources one job replicates at once.
	// Default DefaultConcurrency.
	Concurrency int
	// ConnectTimeout bounds each connection test of TESTING_CONNECTION.
	// Default 15s.
	ConnectTimeout time.Duration
	// UpdateInterval is the least time between two progress updates sent
	// on a job's Updates channels; state changes are always sent at once.
	// Default 200ms.
	UpdateInterval time.Duration
}

// DefaultConcurrency is the default of [Options.Concurrency]. Reads from
// the source are paced by the rate limits of its configuration (see
// credentials.LoadSource), and its throttling is retried, so the bound is
// chosen for the target: a local emulator keeps up with this many writes
// at once, and writes that end together share their read-backs (up to 20
// resources a call). Measured with internal/bench: 16 makes secrets'
// read-backs 3 times as many calls as 32.
const DefaultConcurrency = 32

// Runner runs replication jobs with the adapters of a [Registry]. It keeps
// every job it ran, so jobs can be looked up by id. It is safe for
// concurrent use.
type Runner struct {
	reg  *Registry
	opts Options

	mu   sync.Mutex
	jobs map[string]*Job
	ids  []string // submission order
}

// NewRunner returns a Runner using reg, configured by optFns.
func NewRunner(reg *Registry, optFns ...func(*Options)) (*Runner, error) {
	if reg == nil {
		return nil, errors.New("replicator: NewRunner needs a Registry: reg := replicator.NewRegistry(); resources.Register(reg)")
	}
	opts := Options{Concurrency: DefaultConcurrency, ConnectTimeout: 15 * time.Second, UpdateInterval: 200 * time.Millisecond}
	for _, fn := range optFns {
		fn(&opts)
	}
	switch {
	case opts.Concurrency < 1:
		return nil, fmt.Errorf("replicator: Options.Concurrency is %d: want at least 1", opts.Concurrency)
	case opts.ConnectTimeout <= 0:
		return nil, fmt.Errorf("replicator: Options.ConnectTimeout is %v: want a positive duration", opts.ConnectTimeout)
	case opts.UpdateInterval < 0:
		return nil, fmt.Errorf("replicator: Options.UpdateInterval is %v: want zero or more", opts.UpdateInterval)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{reg: reg, opts: opts, jobs: map[string]*Job{}}, nil
}

// Registry returns the runner's registry.
func (r *Runner) Registry() *Registry { return r.reg }

// Spec is what a job replicates, and from where to where.
type Spec struct {
	// ReplicationType defaults to SINGLE_RESOURCE.
	ReplicationType job.ReplicationType
	// ExploreStrategy defaults to SIMPLE.
	ExploreStrategy job.ExploreStrategy
	// ResourceType and Identifier name the resource (or, for BATCH, the
	// selection); alternatively ARN names a single resource.
	ResourceType string
	Identifier   string
	ARN          string
	// IgnoreAlreadyExisting makes a resource already in the target
	// "skipped" instead of failing the job.
	IgnoreAlreadyExisting bool
	// MasterUserPassword is used by database types whose password cannot
	// be read from the source.
	MasterUserPassword job.Secret
	// Source and Target are the configurations to read from and write to,
	// typically from credentials.LoadSource and credentials.LoadTarget.
	// The runner guards them whatever their origin: the source can only
	// read, and the target can only reach an emulator.
	Source aws.Config
	Target aws.Config
}

// Submit validates spec and starts the job in the background. Invalid specs
// (unknown type, malformed ARN, missing identifier...) are returned as
// errors at once and no job is made. The job runs until it ends, ctx is
// cancelled, or Job.Cancel is called; it does not stop when Submit returns.
func (r *Runner) Submit(ctx context.Context, spec Spec) (*Job, error) {
	p, err := r.prepare(spec)
	if err != nil {
		return nil, err
	}
	j := newJob(r, p)
	r.mu.Lock()
	r.jobs[j.id] = j
	r.ids = append(r.ids, j.id)
	r.mu.Unlock()
	jctx, cancel := context.WithCancel(ctx)
	j.cancel = cancel
	go func() {
		defer cancel()
		j.run(jctx)
	}()
	return j, nil
}

// Run runs a job to its end and returns its final status. A job that ends
// in ERROR is reported by the status (State and ErrorMessage), not by the
// error, which is non-nil only for an invalid spec, or when ctx was
// cancelled (the job has then stopped, in ERROR).
func (r *Runner) Run(ctx context.Context, spec Spec) (job.Status, error) {
	j, err := r.Submit(ctx, spec)
	if err != nil {
		return job.Status{}, err
	}
	st, _ := j.Wait(context.WithoutCancel(ctx)) // the job stops when ctx does
	return st, ctx.Err()
}

// Job returns the job with the given id.
func (r *Runner) Job(id string) (*Job, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	return j, ok
}

// Jobs returns the status of every job, in submission order.
func (r *Runner) Jobs() []job.Status {
	r.mu.Lock()
	jobs := make([]*Job, len(r.ids))
	for i, id := range r.ids {
		jobs[i] = r.jobs[id]
	}
	r.mu.Unlock()
	out := make([]job.Status, len(jobs))
	for i, j := range jobs {
		out[i] = j.Status()
	}
	return out
}

// prepared is a validated spec.
type prepared struct {
	spec    Spec
	adapter ResourceReplicator
	arn     arn.ARN // zero unless the job names its resource by ARN
}

// ErrInvalidSpec is wrapped by every error Submit returns for a spec that
// cannot be a job.
var ErrInvalidSpec = errors.New("replicator: invalid job")

func (r *Runner) prepare(spec Spec) (prepared, error) {
	invalid := func(err error) (prepared, error) { return prepared{}, fmt.Errorf("%w: %w", ErrInvalidSpec, err) }
	if spec.ReplicationType == "" {
		spec.ReplicationType = job.SingleResource
	}
	if spec.ExploreStrategy == "" {
		spec.ExploreStrategy = job.Simple
	}
	// Parse, not Valid: a value differing only in case is normalised
	// rather than reported with a nil error.
	var err error
	if spec.ReplicationType, err = job.ParseReplicationType(string(spec.ReplicationType)); err != nil {
		return invalid(err)
	}
	if spec.ExploreStrategy, err = job.ParseExploreStrategy(string(spec.ExploreStrategy)); err != nil {
		return invalid(err)
	}
	cfg := job.Config{ResourceType: spec.ResourceType, ResourceIdentifier: spec.Identifier, ResourceARN: spec.ARN}
	if err := cfg.Validate(spec.ReplicationType); err != nil {
		return invalid(err)
	}
	p := prepared{spec: spec}
	if spec.ARN != "" {
		if spec.ReplicationType == job.Batch {
			return invalid(errors.New("a BATCH job selects resources by resource_type and resource_identifier, not by ARN"))
		}
		if p.arn, err = arn.Parse(spec.ARN); err != nil {
			return invalid(err)
		}
		if p.adapter, err = r.reg.LookupARN(p.arn); err != nil {
			return invalid(err)
		}
		p.spec.ResourceType = p.adapter.Info().Type
	} else if p.adapter, err = r.reg.Lookup(spec.ResourceType); err != nil {
		return invalid(err)
	}
	info := p.adapter.Info()
	p.spec.ResourceType = info.Type
	if spec.ReplicationType == job.Batch {
		if _, ok := p.adapter.(Lister); !ok {
			return invalid(fmt.Errorf("%w: %s does not support BATCH replication; use SINGLE_RESOURCE", ErrUnsupported, info.Type))
		}
	}
	if spec.Source.Credentials == nil {
		return invalid(errors.New("Spec.Source has no credentials: build it with credentials.LoadSource"))
	}
	if spec.Target.Credentials == nil {
		return invalid(errors.New("Spec.Target has no credentials: build it with credentials.LoadTarget"))
	}
	if spec.Source.Region == "" {
		return invalid(errors.New("Spec.Source has no region: set AWS_DEFAULT_REGION or the source region"))
	}
	if spec.Target.BaseEndpoint == nil {
		return invalid(fmt.Errorf("Spec.Target has no endpoint: the target must be an emulator such as %s", credentials.DefaultTargetEndpoint))
	}
	// Guard whatever configurations we were handed (no-ops when they came
	// from package credentials). Copy the option slices: never mutate the
	// caller's.
	p.spec.Source.APIOptions = append(slices.Clone(spec.Source.APIOptions), credentials.ReadOnly())
	p.spec.Target.APIOptions = append(slices.Clone(spec.Target.APIOptions), credentials.EmulatorOnly())
	// An ARN says which region the resource lives in.
	if p.arn.Region != "" && p.arn.Region != spec.Source.Region {
		p.spec.Source.Region = p.arn.Region
	}
	return p, nil
}

// Job is one replication job. Its methods are safe for concurrent use.
type Job struct {
	id     string
	runner *Runner
	cancel context.CancelFunc
	done   chan struct{}

	stats jobStats

	mu         sync.Mutex
	p          prepared // cleared (credentials dropped) when the job ends
	status     job.Status
	subs       []chan job.Status
	lastUpdate time.Time
}

func newJob(r *Runner, p prepared) *Job {
	j := &Job{id: uuid.NewString(), runner: r, done: make(chan struct{})}
	// prepare cloned the option slices: these appends are the job's own.
	p.spec.Source.APIOptions = append(p.spec.Source.APIOptions, j.stats.source.option())
	p.spec.Target.APIOptions = append(p.spec.Target.APIOptions, j.stats.target.option())
	j.p = p
	cfg := job.StatusConfigOf(job.Config{
		ResourceType:          p.spec.ResourceType,
		ResourceIdentifier:    p.spec.Identifier,
		ResourceARN:           p.spec.ARN,
		IgnoreAlreadyExisting: p.spec.IgnoreAlreadyExisting,
	})
	if p.spec.ARN != "" {
		cfg.ResourceType = "" // echo what was asked
	}
	j.status = job.Status{
		JobID:           j.id,
		State:           job.StateTestingConnection,
		Type:            p.spec.ReplicationType,
		ExploreStrategy: p.spec.ExploreStrategy,
		Config:          cfg,
	}
	return j
}

// String returns "job ID (STATE)". It is also what %v and %+v print: a Job
// holds the credentials of its source and target, which must not be dumped.
func (j *Job) String() string { return fmt.Sprintf("job %s (%s)", j.id, j.Status().State) }

// GoString implements fmt.GoStringer for %#v, for the same reason.
func (j *Job) GoString() string { return fmt.Sprintf("&replicator.Job{id: %q}", j.id) }

// ID returns the job id, a UUID.
func (j *Job) ID() string { return j.id }

// Status returns a snapshot of the job's status.
func (j *Job) Status() job.Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.statusLocked()
}

// statusLocked returns a snapshot with the current call counts.
func (j *Job) statusLocked() job.Status {
	s := j.status.Clone()
	s.Statistics = j.stats.snapshot()
	return s
}

// Done is closed when the job has ended.
func (j *Job) Done() <-chan struct{} { return j.done }

// Cancel stops the job. It ends in ERROR with a message saying so;
// resources already written stay in the target.
func (j *Job) Cancel() {
	if j.cancel != nil {
		j.cancel()
	}
}

// Wait blocks until the job ends or ctx is done, and returns the job's
// status; the error is ctx's if ctx ended first.
func (j *Job) Wait(ctx context.Context) (job.Status, error) {
	select {
	case <-j.done:
		return j.Status(), nil
	case <-ctx.Done():
		return j.Status(), ctx.Err()
	}
}

// Updates returns a channel that receives the job's status on every state
// change and, at most every Options.UpdateInterval, as resources complete.
// A slow reader misses intermediate updates, never the latest one: the last
// value received is always the final status, after which the channel is
// closed. The first value is the status at the time of the call.
func (j *Job) Updates() <-chan job.Status {
	ch := make(chan job.Status, 1)
	j.mu.Lock()
	defer j.mu.Unlock()
	ch <- j.statusLocked()
	if j.status.State.Terminal() {
		close(ch)
		return ch
	}
	j.subs = append(j.subs, ch)
	return ch
}

// publishLocked sends the status to every subscriber, replacing an unread
// older value. Only the job sends, with j.mu held, so this never blocks.
func (j *Job) publishLocked() {
	j.lastUpdate = time.Now()
	for _, ch := range j.subs {
		s := j.statusLocked()
		select {
		case ch <- s:
		default:
			select {
			case <-ch:
			default:
			}
			ch <- s
		}
	}
	if j.status.State.Terminal() {
		for _, ch := range j.subs {
			close(ch)
		}
		j.subs = nil
	}
}

func (j *Job) setState(s job.State, errMsg string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	next, err := j.status.State.Transition(s)
	if err != nil {
		panic(err) // a bug in the runner, not a condition to handle
	}
	j.status.State = next
	if errMsg != "" {
		j.status.ErrorMessage = &errMsg
	}
	j.runner.opts.Logger.Info("replication job state", "job_id", j.id, "state", s)
	j.publishLocked()
}

func (j *Job) addOutcome(result job.Result, o job.Outcome) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status.Resources.Add(result, o)
	j.runner.opts.Logger.Info("replicated resource", "job_id", j.id, "result", result,
		"resource_type", o.ResourceType, "resource_identifier", o.ResourceIdentifier, "identity", o.Identity, "error", o.ErrorMessage)
	if time.Since(j.lastUpdate) >= j.runner.opts.UpdateInterval {
		j.publishLocked()
	}
}

// run is the job's goroutine.
func (j *Job) run(ctx context.Context) {
	defer close(j.done)
	errMsg := j.execute(ctx)
	j.mu.Lock()
	j.p = prepared{adapter: j.p.adapter} // drop the credentials
	res := &j.status.Resources
	for _, l := range [][]job.Outcome{res.Succeeded, res.Failed, res.Skipped} {
		slices.SortStableFunc(l, func(a, b job.Outcome) int {
			return cmpOutcome(a, b)
		})
	}
	if errMsg == "" && len(res.Failed) > 0 {
		errMsg = failureSummary(res.Failed, res.Len())
	}
	j.mu.Unlock()
	if errMsg != "" {
		j.setState(job.StateError, errMsg)
		return
	}
	j.setState(job.StateSucceeded, "")
}

func cmpOutcome(a, b job.Outcome) int {
	if c := strings.Compare(a.ResourceType, b.ResourceType); c != 0 {
		return c
	}
	return strings.Compare(a.ResourceIdentifier, b.ResourceIdentifier)
}

func failureSummary(failed []job.Outcome, total int) string {
	first := failed[0]
	if len(failed) == 1 && total == 1 {
		return fmt.Sprintf("%s %s: %s", first.ResourceType, first.ResourceIdentifier, first.ErrorMessage)
	}
	return fmt.Sprintf("%d of %d resources failed; first: %s %s: %s", len(failed), total, first.ResourceType, first.ResourceIdentifier, first.ErrorMessage)
}

// execute runs the job and returns the message of a job-ending error, or "".
func (j *Job) execute(ctx context.Context) string {
	j.mu.Lock()
	p := j.p
	j.mu.Unlock()
	src, tgt, err := connect(ctx, p, j.runner.opts.ConnectTimeout)
	if err != nil {
		if ctx.Err() != nil { // not a connection problem: the job was cancelled
			return cancelledMessage(ctx.Err())
		}
		return err.Error()
	}
	if err := ctx.Err(); err != nil {
		return cancelledMessage(err)
	}
	j.setState(job.StateRunning, "")
	ex := newExecution(j, p, src, tgt)
	if err := ex.run(ctx); err != nil {
		if ctx.Err() != nil {
			return cancelledMessage(ctx.Err())
		}
		return err.Error()
	}
	if ctx.Err() != nil {
		return cancelledMessage(ctx.Err())
	}
	return ""
}

func cancelledMessage(err error) string {
	return fmt.Sprintf("job cancelled (%v); resources written before the cancellation stay in the target", err)
}
