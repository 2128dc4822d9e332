package replicator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/job"
)

// execution is the RUNNING phase of one job: it reads resources, replicates
// each once (parents first), and records an outcome for each.
type execution struct {
	j   *Job
	p   prepared
	reg *Registry
	src *Source
	tgt *Target

	mu   sync.Mutex
	seen map[string]*pending // by resource key; each resource is replicated once
	// waitsFor maps a resource whose parents are being replicated to the
	// parent it is waiting for (being replicated by this goroutine or by
	// another), so that a wait closing a cycle across goroutines is
	// reported rather than never ending.
	waitsFor map[string]string
}

// pending is one resource's replication, which others may wait on.
type pending struct {
	done chan struct{}
	err  error // nil when the resource is in the target (written or already there)
}

func newExecution(j *Job, p prepared, src *Source, tgt *Target) *execution {
	return &execution{j: j, p: p, reg: j.runner.reg, src: src, tgt: tgt, seen: map[string]*pending{}, waitsFor: map[string]string{}}
}

func key(typ, id string) string { return strings.ToLower(typ) + "\x00" + id }

// run replicates what the spec selects. It returns an error only for what
// ends the whole job (the selection cannot be read); per-resource failures
// become outcomes.
func (ex *execution) run(ctx context.Context) error {
	spec := ex.p.spec
	if spec.ReplicationType == job.Batch {
		return ex.batch(ctx)
	}
	id := spec.Identifier
	if spec.ARN != "" {
		var err error
		if id, err = ex.p.adapter.(ARNResolver).IdentifierFromARN(ctx, ex.src, ex.p.arn); err != nil {
			return ex.readFailed(spec.ResourceType, spec.ARN, err)
		}
	}
	res, err := ex.p.adapter.Read(ctx, ex.src, id)
	if err != nil {
		return ex.readFailed(spec.ResourceType, id, err)
	}
	ex.replicate(ctx, res, false, nil)
	return nil
}

// readFailed records the selected resource as failed and returns the
// job-ending error.
func (ex *execution) readFailed(typ, id string, err error) error {
	msg := ex.readErrorMessage(typ, id, err)
	ex.j.addOutcome(job.Failed, job.Outcome{ResourceType: typ, ResourceIdentifier: id, ErrorMessage: msg})
	return errors.New(msg)
}

func (ex *execution) readErrorMessage(typ, id string, err error) string {
	if errors.Is(err, ErrNotFound) {
		return fmt.Sprintf("%s %q does not exist in the source (account %s, region %s)", typ, id, ex.src.AccountID, ex.src.Region)
	}
	return fmt.Sprintf("reading %s %q from the source: %v", typ, id, err)
}

// readAhead is how many listed resources, per writer, a BATCH job holds
// while every writer is busy: the listing goes on reading the source while
// the target is being written, instead of the two taking turns, and memory
// stays bounded.
const readAhead = 4

func (ex *execution) batch(ctx context.Context) error {
	n := ex.j.runner.opts.Concurrency
	queue := make(chan *Resource, n*readAhead)
	var writers sync.WaitGroup
	for range n {
		writers.Go(func() {
			for res := range queue {
				if ctx.Err() != nil {
					continue // cancelled: what is queued is not attempted
				}
				ex.replicate(ctx, res, false, nil) // records its failures as outcomes
			}
		})
	}
	listErr := ex.p.adapter.(Lister).List(ctx, ex.src, ex.p.spec.Identifier, func(res *Resource) error {
		if res.readErr != nil {
			ex.j.addOutcome(job.Failed, job.Outcome{ResourceType: res.Type, ResourceIdentifier: res.Identifier,
				ErrorMessage: ex.readErrorMessage(res.Type, res.Identifier, res.readErr)})
			return nil
		}
		select {
		case queue <- res:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(queue)
	writers.Wait()
	if listErr != nil {
		return fmt.Errorf("listing %s %q in the source: %w", ex.p.spec.ResourceType, ex.p.spec.Identifier, listErr)
	}
	return nil
}

// replicate writes res into the target once per job, after its parents,
// and records the outcome. It returns nil when res is in the target
// afterwards. path holds the keys being replicated up the call chain, to
// report a dependency cycle instead of waiting on itself.
func (ex *execution) replicate(ctx context.Context, res *Resource, dependency bool, path []string) error {
	k := key(res.Type, res.Identifier)
	for _, p := range path {
		if p == k {
			return fmt.Errorf("dependency cycle through %s %s", res.Type, res.Identifier)
		}
	}
	ex.mu.Lock()
	if p, ok := ex.seen[k]; ok {
		return ex.awaitLocked(ctx, res.Type, res.Identifier, p, path)
	}
	p := &pending{done: make(chan struct{})}
	ex.seen[k] = p
	done := ex.waitForLocked(path, k)
	ex.mu.Unlock()
	p.err = ex.replicateOnce(ctx, res, dependency, append(path, k))
	done()
	close(p.done)
	// Children come after the parent is settled: they depend on it.
	if p.err == nil && !dependency && ex.p.spec.ExploreStrategy == job.Tree {
		ex.children(ctx, res)
	}
	return p.err
}

func (ex *execution) replicateOnce(ctx context.Context, res *Resource, dependency bool, path []string) error {
	out := job.Outcome{ResourceType: res.Type, ResourceIdentifier: res.Identifier, ResourceARN: res.ARN, Dependency: dependency}
	fail := func(msg string) error {
		out.ErrorMessage = res.redact(msg)
		ex.j.addOutcome(job.Failed, out)
		return errors.New(out.ErrorMessage)
	}
	adapter, err := ex.reg.Lookup(res.Type)
	if err != nil {
		return fail(err.Error())
	}
	for _, dep := range res.DependsOn {
		if err := ex.ensure(ctx, dep, path); err != nil {
			return fail(fmt.Sprintf("its parent %s could not be replicated (%s): %v", dep, dep.Reason, err))
		}
	}
	placed, err := adapter.Write(ctx, ex.tgt, res)
	ex.tgt.recordID(res.Type, res.Identifier, placed.Identifier)
	switch {
	case errors.Is(err, ErrAlreadyExists) && (dependency || ex.p.spec.IgnoreAlreadyExisting):
		out.ErrorMessage = "already exists in the target; left unchanged"
		ex.j.addOutcome(job.Skipped, out)
	case errors.Is(err, ErrAlreadyExists):
		return fail(fmt.Sprintf("already exists in the target (account %s, region %s); set ignore_already_existing to skip it", ex.tgt.AccountID, ex.tgt.Region))
	case err != nil:
		return fail(fmt.Sprintf("writing into the target: %v", err))
	default:
		out.TargetIdentifier, out.TargetARN = placed.Identifier, placed.ARN
		out.Identity = identity(res, placed)
		ex.j.addOutcome(job.Succeeded, out)
	}
	return nil
}

// awaitLocked waits, on behalf of the chain of resources path (the last of
// which needs it), for p, the replication of (typ, id) by another call. It
// is called with ex.mu held and releases it. If (typ, id) waits, directly or
// through other resources, for one of path, waiting would never end: the
// dependency cycle is reported instead.
func (ex *execution) awaitLocked(ctx context.Context, typ, id string, p *pending, path []string) error {
	for n, steps := key(typ, id), 0; steps <= len(ex.waitsFor); steps++ {
		if slices.Contains(path, n) {
			ex.mu.Unlock()
			return fmt.Errorf("dependency cycle through %s %s", typ, id)
		}
		next, ok := ex.waitsFor[n]
		if !ok {
			break
		}
		n = next
	}
	done := ex.waitForLocked(path, key(typ, id))
	ex.mu.Unlock()
	defer done()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitForLocked records that the last resource of path waits for k, until
// the returned function is called. ex.mu must be held.
func (ex *execution) waitForLocked(path []string, k string) (done func()) {
	if len(path) == 0 {
		return func() {}
	}
	waiter := path[len(path)-1]
	ex.waitsFor[waiter] = k
	return func() {
		ex.mu.Lock()
		delete(ex.waitsFor, waiter)
		ex.mu.Unlock()
	}
}

// identity compares what the target holds with the source.
func identity(res *Resource, placed Placed) job.Identity {
	switch {
	case placed.Identifier != res.Identifier && arnIdentifiers(res, placed):
		return job.IdentitySameIdentifier
	case placed.Identifier != res.Identifier:
		return job.IdentityDifferent
	case res.ARN != "" && placed.ARN == res.ARN:
		return job.IdentitySame
	case res.ARN == "" && placed.ARN == "":
		return job.IdentitySame
	default:
		return job.IdentitySameIdentifier
	}
}

// arnIdentifiers reports whether a type identified by ARN (a secret, an IAM
// policy) kept everything of its ARN but the account and region, which
// follow the target's.
func arnIdentifiers(res *Resource, placed Placed) bool {
	if res.Identifier != res.ARN || placed.Identifier != placed.ARN {
		return false
	}
	a, err1 := arn.Parse(res.ARN)
	b, err2 := arn.Parse(placed.ARN)
	if err1 != nil || err2 != nil {
		return false
	}
	a.AccountID, a.Region = b.AccountID, b.Region
	return a == b
}

// ensure makes sure the resource ref names is in the target, replicating it
// from the source if needed. References to types without an adapter are
// left to the target (the write of the child reports what is missing).
func (ex *execution) ensure(ctx context.Context, ref Ref, path []string) error {
	adapter, err := ex.reg.Lookup(ref.Type)
	if err != nil {
		ex.j.runner.opts.Logger.Debug("dependency of an unsupported type left to the target", "job_id", ex.j.id, "dependency", ref.String())
		return nil
	}
	// The parent is claimed, as named here, before it is read: children
	// needing it at the same time (the subnets of one VPC in a BATCH) wait
	// for this one read and write instead of each reading it, and a parent
	// that cannot be read is reported once.
	k := key(ref.Type, ref.Identifier)
	if slices.Contains(path, k) {
		return fmt.Errorf("dependency cycle through %s %s", ref.Type, ref.Identifier)
	}
	ex.mu.Lock()
	if p, ok := ex.seen[k]; ok {
		return ex.awaitLocked(ctx, ref.Type, ref.Identifier, p, path)
	}
	p := &pending{done: make(chan struct{})}
	ex.seen[k] = p
	done := ex.waitForLocked(path, k)
	ex.mu.Unlock()
	p.err = ex.ensureOnce(ctx, adapter, ref, k, path)
	done()
	close(p.done)
	return p.err
}

// ensureOnce reads the parent ref names (claimed under k) and replicates it.
func (ex *execution) ensureOnce(ctx context.Context, adapter ResourceReplicator, ref Ref, k string, path []string) error {
	res, err := adapter.Read(ctx, ex.src, ref.Identifier)
	if err != nil {
		msg := ex.readErrorMessage(ref.Type, ref.Identifier, err)
		ex.j.addOutcome(job.Failed, job.Outcome{ResourceType: ref.Type, ResourceIdentifier: ref.Identifier, Dependency: true, ErrorMessage: msg})
		return errors.New(msg)
	}
	if key(res.Type, res.Identifier) == k {
		return ex.replicateOnce(ctx, res, true, append(path, k))
	}
	// Named another way (a key's alias): replicated under its own identifier.
	return ex.replicate(ctx, res, true, append(path, k))
}

// children follows res's children for TREE jobs, one at a time (each may
// have children of its own).
func (ex *execution) children(ctx context.Context, res *Resource) {
	adapter, _ := ex.reg.Lookup(res.Type)
	explorer, ok := adapter.(TreeExplorer)
	if !ok {
		return
	}
	refs, err := explorer.Children(ctx, ex.src, res)
	if err != nil {
		ex.j.addOutcome(job.Failed, job.Outcome{ResourceType: res.Type, ResourceIdentifier: res.Identifier,
			ErrorMessage: fmt.Sprintf("listing its children in the source: %v", err)})
		return
	}
	for _, ref := range refs {
		child, err := ex.reg.Lookup(ref.Type)
		if err != nil {
			continue // a child type this build cannot replicate
		}
		r, err := child.Read(ctx, ex.src, ref.Identifier)
		if err != nil {
			ex.j.addOutcome(job.Failed, job.Outcome{ResourceType: ref.Type, ResourceIdentifier: ref.Identifier,
				ErrorMessage: ex.readErrorMessage(ref.Type, ref.Identifier, err)})
			continue
		}
		_ = ex.replicate(ctx, r, false, nil)
	}
}
