package replicator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

func TestSingleSucceeded(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	st := run(t, r, spec(typeThing, "a"))

	if st.State != job.StateSucceeded || st.ErrorMessage != nil {
		t.Fatalf("status = %+v, message %q", st, errorMessage(st))
	}
	if _, err := uuid.Parse(st.JobID); err != nil {
		t.Errorf("JobID %q is not a UUID: %v", st.JobID, err)
	}
	if st.Type != job.SingleResource || st.ExploreStrategy != job.Simple {
		t.Errorf("type/strategy = %s/%s, want the defaults", st.Type, st.ExploreStrategy)
	}
	wantCfg := &job.StatusConfig{ResourceType: typeThing, ResourceIdentifier: "a"}
	if diff := cmp.Diff(wantCfg, st.Config); diff != "" {
		t.Errorf("Config (-want +got):\n%s", diff)
	}
	want := job.Resources{Succeeded: []job.Outcome{{
		ResourceType:       typeThing,
		ResourceIdentifier: "a",
		ResourceARN:        fakeARN(typeThing, sourceAccount, region, "a"),
		TargetIdentifier:   "a",
		TargetARN:          fakeARN(typeThing, targetAccount, region, "a"),
		Identity:           job.IdentitySameIdentifier,
	}}}
	if diff := cmp.Diff(want, st.Resources, cmpEmpty); diff != "" {
		t.Errorf("Resources (-want +got):\n%s", diff)
	}
	if got := w.writeLog(); !slices.Equal(got, []string{typeThing + " a"}) {
		t.Errorf("writes = %q", got)
	}
}

// cmpEmpty treats nil and empty outcome lists alike.
var cmpEmpty = cmp.Transformer("emptyNil", func(l []job.Outcome) []job.Outcome {
	if len(l) == 0 {
		return nil
	}
	return l
})

func TestUpdatesSequence(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	srcSTS := &fakeSTS{account: sourceAccount, gate: make(chan struct{})}
	s := spec(typeThing, "a")
	s.Source, s.Target = configsFor(srcSTS, &fakeSTS{account: targetAccount})
	readGate := make(chan struct{})
	w.readHook = func(ctx context.Context, _, _ string) error {
		select {
		case <-readGate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	j, err := r.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	updates := j.Updates()
	var states []job.State
	var last job.Status
	note := func(st job.Status) {
		if len(states) == 0 || states[len(states)-1] != st.State {
			states = append(states, st.State)
		}
		last = st
	}
	// The connection test is held, so the first value is TESTING_CONNECTION.
	note(<-updates)
	if states[0] != job.StateTestingConnection {
		t.Fatalf("first update = %s", states[0])
	}
	close(srcSTS.gate)
	// Reading is held until RUNNING has been seen.
	for st := range updates {
		note(st)
		if st.State == job.StateRunning {
			break
		}
	}
	close(readGate)
	for st := range updates {
		note(st)
	}
	want := []job.State{job.StateTestingConnection, job.StateRunning, job.StateSucceeded}
	if !slices.Equal(states, want) {
		t.Errorf("states = %v, want %v", states, want)
	}
	// The last value before the close is the final status.
	if last.State != job.StateSucceeded || len(last.Resources.Succeeded) != 1 {
		t.Errorf("last update = %+v", last)
	}
	if _, ok := <-updates; ok {
		t.Errorf("Updates channel not closed after the terminal value")
	}
	<-j.Done()
	if diff := cmp.Diff(j.Status(), last); diff != "" {
		t.Errorf("last update differs from Status() (-status +update):\n%s", diff)
	}

	// A subscriber after the end gets the final status once.
	late := j.Updates()
	st, ok := <-late
	if !ok || st.State != job.StateSucceeded {
		t.Errorf("late subscriber got %+v, %v", st, ok)
	}
	if _, ok := <-late; ok {
		t.Errorf("late subscriber's channel not closed")
	}
}

func TestUpdatesManySubscribers(t *testing.T) {
	w, r := setup(t, func(o *replicator.Options) { o.UpdateInterval = 0 })
	for i := range 20 {
		w.add(typeThing, fmt.Sprintf("b-%02d", i))
	}
	srcSTS := &fakeSTS{account: sourceAccount, gate: make(chan struct{})}
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	s.Source, s.Target = configsFor(srcSTS, &fakeSTS{account: targetAccount})
	j, err := r.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	finals := make([]job.Status, 5)
	for i := range finals {
		ch := j.Updates() // subscribed while TESTING_CONNECTION is held
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := -1
			for st := range ch {
				// Progress never goes backwards for a reader.
				if n := st.Resources.Len(); n < prev {
					t.Errorf("subscriber %d: %d outcomes after %d", i, n, prev)
				} else {
					prev = n
				}
				finals[i] = st
			}
		}()
	}
	close(srcSTS.gate)
	wg.Wait()
	for i, st := range finals {
		if st.State != job.StateSucceeded || len(st.Resources.Succeeded) != 20 {
			t.Errorf("subscriber %d's last value: %s with %d succeeded", i, st.State, len(st.Resources.Succeeded))
		}
	}
}

func TestNotFound(t *testing.T) {
	w, r := setup(t)
	st := run(t, r, spec(typeThing, "missing"))
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	o := outcome(t, st.Resources.Failed, typeThing, "missing")
	for _, want := range []string{"does not exist in the source", sourceAccount, region} {
		if !strings.Contains(o.ErrorMessage, want) {
			t.Errorf("outcome message %q does not mention %q", o.ErrorMessage, want)
		}
	}
	if msg := errorMessage(st); !strings.Contains(msg, `"missing" does not exist`) {
		t.Errorf("job message = %q", msg)
	}
	if st.Resources.Len() != 1 {
		t.Errorf("outcomes = %+v", st.Resources)
	}
	if len(w.writeLog()) != 0 {
		t.Errorf("wrote %q", w.writeLog())
	}
}

func TestReadError(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	w.readHook = func(context.Context, string, string) error { return errBoom }
	st := run(t, r, spec(typeThing, "a"))
	if st.State != job.StateError || !strings.Contains(errorMessage(st), "reading "+typeThing+` "a" from the source: boom`) {
		t.Errorf("status = %s %q", st.State, errorMessage(st))
	}
}

func TestAlreadyExists(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignore=%v", ignore), func(t *testing.T) {
			w, r := setup(t)
			w.add(typeThing, "a")
			w.put(typeThing, "a")
			s := spec(typeThing, "a")
			s.IgnoreAlreadyExisting = ignore
			st := run(t, r, s)
			if st.Config == nil || st.Config.IgnoreAlreadyExisting != ignore {
				t.Errorf("Config = %+v", st.Config)
			}
			if !ignore {
				if st.State != job.StateError {
					t.Fatalf("state = %s, want ERROR", st.State)
				}
				o := outcome(t, st.Resources.Failed, typeThing, "a")
				for _, want := range []string{"already exists in the target", targetAccount, "ignore_already_existing"} {
					if !strings.Contains(o.ErrorMessage, want) {
						t.Errorf("message %q does not mention %q", o.ErrorMessage, want)
					}
				}
				if !strings.Contains(errorMessage(st), typeThing+" a: already exists") {
					t.Errorf("job message = %q", errorMessage(st))
				}
				return
			}
			if st.State != job.StateSucceeded || st.ErrorMessage != nil {
				t.Fatalf("status = %s %q, want SUCCEEDED", st.State, errorMessage(st))
			}
			o := outcome(t, st.Resources.Skipped, typeThing, "a")
			if o.Dependency || o.Identity != job.IdentityUnverified || !strings.Contains(o.ErrorMessage, "already exists") {
				t.Errorf("skipped outcome = %+v", o)
			}
			if st.Resources.Len() != 1 {
				t.Errorf("outcomes = %+v", st.Resources)
			}
		})
	}
}

func TestDependenciesFirst(t *testing.T) {
	w, r := setup(t)
	w.add(typeParent, "grand")
	w.add(typeParent, "p", replicator.Ref{Type: typeParent, Identifier: "grand", Reason: "nested in it"})
	w.add(typeThing, "t", replicator.Ref{Type: typeParent, Identifier: "p", Reason: "lives in it"})
	st := run(t, r, spec(typeThing, "t"))
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	want := []string{typeParent + " grand", typeParent + " p", typeThing + " t"}
	if got := w.writeLog(); !slices.Equal(got, want) {
		t.Errorf("write order = %q, want %q", got, want)
	}
	for _, id := range []string{"grand", "p"} {
		if o := outcome(t, st.Resources.Succeeded, typeParent, id); !o.Dependency {
			t.Errorf("parent %s not marked as a dependency: %+v", id, o)
		}
	}
	if o := outcome(t, st.Resources.Succeeded, typeThing, "t"); o.Dependency {
		t.Errorf("the selected resource is marked as a dependency")
	}
	// Outcomes are sorted by type, then identifier.
	var got []string
	for _, o := range st.Resources.Succeeded {
		got = append(got, o.ResourceType+" "+o.ResourceIdentifier)
	}
	if !slices.IsSorted(got) {
		t.Errorf("outcomes not sorted: %q", got)
	}
}

func TestSharedDependencyWrittenOnce(t *testing.T) {
	w, r := setup(t, func(o *replicator.Options) { o.Concurrency = 4 })
	w.add(typeParent, "p")
	for i := range 6 {
		w.add(typeThing, fmt.Sprintf("b-%d", i), replicator.Ref{Type: typeParent, Identifier: "p"})
	}
	// Hold the parent's write until several batch resources wait on it.
	w.writeHook = func(ctx context.Context, res *replicator.Resource) error {
		if res.Type == typeParent {
			yieldALittle()
		}
		return nil
	}
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	if n := w.writeAttempts(typeParent, "p"); n != 1 {
		t.Errorf("the shared parent was written %d times, want 1", n)
	}
	if o := outcome(t, st.Resources.Succeeded, typeParent, "p"); !o.Dependency {
		t.Errorf("parent outcome = %+v", o)
	}
	if len(st.Resources.Succeeded) != 7 || st.Resources.Len() != 7 {
		t.Errorf("outcomes = %+v", st.Resources)
	}
	log := w.writeLog()
	if log[0] != typeParent+" p" {
		t.Errorf("the parent was not written first: %q", log)
	}
}

func TestDependencyAlreadyInTarget(t *testing.T) {
	w, r := setup(t)
	w.add(typeParent, "p")
	w.put(typeParent, "p")
	w.add(typeThing, "t", replicator.Ref{Type: typeParent, Identifier: "p"})
	st := run(t, r, spec(typeThing, "t")) // without IgnoreAlreadyExisting
	if st.State != job.StateSucceeded || st.ErrorMessage != nil {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	o := outcome(t, st.Resources.Skipped, typeParent, "p")
	if !o.Dependency {
		t.Errorf("skipped parent not marked as a dependency: %+v", o)
	}
	outcome(t, st.Resources.Succeeded, typeThing, "t")
	if got := w.writeLog(); !slices.Equal(got, []string{typeThing + " t"}) {
		t.Errorf("writes = %q", got)
	}
}

func TestFailedDependency(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(w *world)
		parentIn string // the parent's outcome message must contain this
	}{
		{
			name:     "parent missing from the source",
			setup:    func(w *world) { w.add(typeParent, "p"); delete(w.src, key(typeParent, "p")) },
			parentIn: "does not exist in the source",
		},
		{
			name: "parent write fails",
			setup: func(w *world) {
				w.add(typeParent, "p")
				w.writeHook = func(_ context.Context, res *replicator.Resource) error {
					if res.Type == typeParent {
						return errBoom
					}
					return nil
				}
			},
			parentIn: "writing into the target: boom",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r := setup(t)
			tc.setup(w)
			w.add(typeThing, "t", replicator.Ref{Type: typeParent, Identifier: "p", Reason: "lives in it"})
			st := run(t, r, spec(typeThing, "t"))
			if st.State != job.StateError {
				t.Fatalf("state = %s", st.State)
			}
			parent := outcome(t, st.Resources.Failed, typeParent, "p")
			if !parent.Dependency || !strings.Contains(parent.ErrorMessage, tc.parentIn) {
				t.Errorf("parent outcome = %+v", parent)
			}
			child := outcome(t, st.Resources.Failed, typeThing, "t")
			for _, want := range []string{"its parent " + typeParent + " p", "lives in it", tc.parentIn} {
				if !strings.Contains(child.ErrorMessage, want) {
					t.Errorf("child message %q does not mention %q", child.ErrorMessage, want)
				}
			}
			if w.writeAttempts(typeThing, "t") != 0 {
				t.Errorf("the child was written without its parent")
			}
			if msg := errorMessage(st); !strings.Contains(msg, "2 of 2 resources failed") {
				t.Errorf("job message = %q", msg)
			}
		})
	}
}

func TestSharedFailedDependency(t *testing.T) {
	// Two batch resources need a parent that cannot be read: both fail,
	// each naming the parent.
	w, r := setup(t, func(o *replicator.Options) { o.Concurrency = 1 })
	w.add(typeThing, "b-1", replicator.Ref{Type: typeParent, Identifier: "gone"})
	w.add(typeThing, "b-2", replicator.Ref{Type: typeParent, Identifier: "gone"})
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	st := run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	for _, id := range []string{"b-1", "b-2"} {
		if o := outcome(t, st.Resources.Failed, typeThing, id); !strings.Contains(o.ErrorMessage, "its parent "+typeParent+" gone") {
			t.Errorf("%s: %q", id, o.ErrorMessage)
		}
	}
	// The parent is reported once.
	outcome(t, st.Resources.Failed, typeParent, "gone")
}

func TestUnsupportedDependencyLeftToTarget(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "t", replicator.Ref{Type: "AWS::Not::Registered", Identifier: "x"})
	st := run(t, r, spec(typeThing, "t"))
	if st.State != job.StateSucceeded || st.Resources.Len() != 1 {
		t.Errorf("status = %s %q %+v", st.State, errorMessage(st), st.Resources)
	}
}

func TestDependencyCycle(t *testing.T) {
	w, r := setup(t)
	w.add(typeParent, "a", replicator.Ref{Type: typeParent, Identifier: "b"})
	w.add(typeParent, "b", replicator.Ref{Type: typeParent, Identifier: "a"})
	st := run(t, r, spec(typeParent, "a"))
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	if !strings.Contains(errorMessage(st), "dependency cycle") {
		t.Errorf("job message %q does not report the cycle", errorMessage(st))
	}
	if len(w.writeLog()) != 0 {
		t.Errorf("wrote %q", w.writeLog())
	}
}

func TestDependencyCycleAcrossBatch(t *testing.T) {
	// a → x → b → y → a, with a and b selected by one BATCH: each is
	// replicated by its own goroutine, which must not wait for the other
	// forever. The reads of x and y are held until both goroutines have
	// claimed their own resource, so that the two waits cross.
	for i := range 20 {
		if t.Failed() {
			break
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			w, r := setup(t, func(o *replicator.Options) { o.Concurrency = 2 })
			w.add(typeParent, "a", replicator.Ref{Type: typeChild, Identifier: "x"})
			w.add(typeChild, "x", replicator.Ref{Type: typeParent, Identifier: "b"})
			w.add(typeParent, "b", replicator.Ref{Type: typeChild, Identifier: "y"})
			w.add(typeChild, "y", replicator.Ref{Type: typeParent, Identifier: "a"})
			both := newBarrier(2)
			w.readHook = func(ctx context.Context, typ, _ string) error {
				if typ == typeChild {
					return both.wait(ctx)
				}
				return nil
			}
			s := spec(typeParent, "")
			s.ReplicationType = job.Batch
			st := runWithin(t, r, s, 10*time.Second)
			if st.State != job.StateError {
				t.Fatalf("state = %s", st.State)
			}
			if !strings.Contains(errorMessage(st), "dependency cycle") {
				t.Errorf("job message %q does not report the cycle", errorMessage(st))
			}
			for _, id := range []string{"a", "b"} {
				outcome(t, st.Resources.Failed, typeParent, id)
			}
			if len(w.writeLog()) != 0 {
				t.Errorf("wrote %q", w.writeLog())
			}
		})
	}
}

func TestTree(t *testing.T) {
	for _, strategy := range []job.ExploreStrategy{job.Simple, job.Tree} {
		t.Run(string(strategy), func(t *testing.T) {
			w, r := setup(t)
			p := w.add(typeParent, "p")
			parentRef := replicator.Ref{Type: typeParent, Identifier: "p", Reason: "child of it"}
			c1 := w.add(typeChild, "c1", parentRef)
			c2 := w.add(typeChild, "c2", parentRef)
			g := w.add(typeChild, "g", replicator.Ref{Type: typeChild, Identifier: "c1"})
			w.addChild(p, c2)
			w.addChild(p, c1)
			w.addChild(c1, g)
			w.addChild(p, &replicator.Resource{Type: "AWS::Not::Registered", Identifier: "x"}) // ignored
			s := spec(typeParent, "p")
			s.ExploreStrategy = strategy
			st := run(t, r, s)
			if st.State != job.StateSucceeded {
				t.Fatalf("status = %s %q", st.State, errorMessage(st))
			}
			if st.ExploreStrategy != strategy {
				t.Errorf("ExploreStrategy = %s", st.ExploreStrategy)
			}
			log := w.writeLog()
			if strategy == job.Simple {
				if !slices.Equal(log, []string{typeParent + " p"}) {
					t.Errorf("SIMPLE wrote %q", log)
				}
				return
			}
			want := []string{typeParent + " p", typeChild + " c2", typeChild + " c1", typeChild + " g"}
			if !slices.Equal(log, want) {
				t.Errorf("TREE write order = %q, want %q", log, want)
			}
			for _, id := range []string{"c1", "c2", "g"} {
				if o := outcome(t, st.Resources.Succeeded, typeChild, id); o.Dependency {
					t.Errorf("child %s marked as a dependency", id)
				}
			}
			if o := outcome(t, st.Resources.Succeeded, typeParent, "p"); o.Dependency {
				t.Errorf("the root is marked as a dependency")
			}
			if n := w.writeAttempts(typeParent, "p"); n != 1 {
				t.Errorf("the parent was written %d times", n)
			}
		})
	}
}

func TestTreeChildMissing(t *testing.T) {
	w, r := setup(t)
	p := w.add(typeParent, "p")
	w.addChild(p, &replicator.Resource{Type: typeChild, Identifier: "ghost"})
	s := spec(typeParent, "p")
	s.ExploreStrategy = job.Tree
	st := run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	outcome(t, st.Resources.Succeeded, typeParent, "p")
	if o := outcome(t, st.Resources.Failed, typeChild, "ghost"); !strings.Contains(o.ErrorMessage, "does not exist in the source") {
		t.Errorf("child outcome = %+v", o)
	}
}

func TestIdentity(t *testing.T) {
	for _, tc := range []struct {
		name       string
		tgtAccount string
		assign     string
		noARN      bool
		want       job.Identity
	}{
		{name: "same", tgtAccount: sourceAccount, want: job.IdentitySame},
		{name: "same identifier", tgtAccount: targetAccount, want: job.IdentitySameIdentifier},
		{name: "different", tgtAccount: sourceAccount, assign: "a-new", want: job.IdentityDifferent},
		{name: "no ARN", tgtAccount: targetAccount, noARN: true, want: job.IdentitySame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r := setup(t)
			res := w.add(typeThing, "a")
			if tc.noARN {
				res.ARN = ""
			}
			if tc.assign != "" {
				w.assignID = func(*replicator.Resource) string { return tc.assign }
			}
			s := spec(typeThing, "a")
			s.Source, s.Target = configsFor(&fakeSTS{account: sourceAccount}, &fakeSTS{account: tc.tgtAccount})
			st := run(t, r, s)
			o := outcome(t, st.Resources.Succeeded, typeThing, "a")
			if o.Identity != tc.want {
				t.Errorf("Identity = %q, want %q (%+v)", o.Identity, tc.want, o)
			}
			wantID := "a"
			if tc.assign != "" {
				wantID = tc.assign
			}
			if o.TargetIdentifier != wantID {
				t.Errorf("TargetIdentifier = %q, want %q", o.TargetIdentifier, wantID)
			}
			if !tc.noARN && o.TargetARN != fakeARN(typeThing, tc.tgtAccount, region, wantID) {
				t.Errorf("TargetARN = %q", o.TargetARN)
			}
		})
	}
}

func TestTargetIDMapping(t *testing.T) {
	w, r := setup(t)
	w.add(typeParent, "p")
	w.add(typeThing, "t", replicator.Ref{Type: typeParent, Identifier: "p"})
	w.add(typeThing, "u", replicator.Ref{Type: typeParent, Identifier: "p"}, replicator.Ref{Type: typeThing, Identifier: "t"})
	// The target assigns its own ids to parents only.
	w.assignID = func(res *replicator.Resource) string {
		if res.Type == typeParent {
			return "p-assigned"
		}
		return ""
	}
	st := run(t, r, spec(typeThing, "u"))
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	p := outcome(t, st.Resources.Succeeded, typeParent, "p")
	if p.TargetIdentifier != "p-assigned" || p.Identity != job.IdentityDifferent {
		t.Errorf("parent outcome = %+v", p)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// The children saw the parent's target id through Target.TargetID; an
	// id the target kept maps to itself.
	if got := w.seenTargetIDs[key(typeThing, "t")][typeParent+" p"]; got != "p-assigned" {
		t.Errorf("t saw parent id %q, want p-assigned", got)
	}
	if got := w.seenTargetIDs[key(typeThing, "u")]; got[typeParent+" p"] != "p-assigned" || got[typeThing+" t"] != "t" {
		t.Errorf("u saw %v", got)
	}
}

func TestTargetIDMappingOnAlreadyExisting(t *testing.T) {
	// A parent the target holds under another id is found by Write, which
	// returns its Placed with ErrAlreadyExists: children must use that id.
	w, r := setup(t)
	w.add(typeParent, "p")
	w.add(typeThing, "t", replicator.Ref{Type: typeParent, Identifier: "p"})
	parents := &existingUnderOtherID{fakeAdapter: fakeAdapter{w: w, typ: typeParent}, placed: replicator.Placed{Identifier: "p-existing"}}
	w.tgt[key(typeParent, "p-existing")] = parents.placed
	reg := replicator.NewRegistry()
	reg.Register(parents)
	reg.Register(&fakeAdapter{w: w, typ: typeThing})
	r, _ = replicator.NewRunner(reg)
	st := run(t, r, spec(typeThing, "t"))
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	outcome(t, st.Resources.Skipped, typeParent, "p")
	if got := w.seenTargetIDs[key(typeThing, "t")][typeParent+" p"]; got != "p-existing" {
		t.Errorf("t saw parent id %q, want p-existing", got)
	}
}

// existingUnderOtherID reports its resource as already in the target under
// another identifier.
type existingUnderOtherID struct {
	fakeAdapter
	placed replicator.Placed
}

func (e *existingUnderOtherID) Write(context.Context, *replicator.Target, *replicator.Resource) (replicator.Placed, error) {
	return e.placed, fmt.Errorf("%w: found by its name", replicator.ErrAlreadyExists)
}

func TestTargetIDDefault(t *testing.T) {
	var tgt replicator.Target
	if got := tgt.TargetID(typeThing, "x"); got != "x" {
		t.Errorf("TargetID of an unknown resource = %q, want the source id", got)
	}
}

const secretValue = "s3cr3t-VALUE-do-not-print"

func TestSecretRedaction(t *testing.T) {
	var logs bytes.Buffer
	w, r := setup(t, func(o *replicator.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	res := w.add(typeThing, "a")
	res.Secrets = map[string]job.Secret{"value": secretValue, "short": "s3cr3t", "empty": ""}
	w.writeHook = func(_ context.Context, res *replicator.Resource) error {
		// An API error that echoes the value it was given.
		return fmt.Errorf("ValidationException: value %q at 'value' failed to satisfy constraint (prefix %s)", res.Secrets["value"].Reveal(), "s3cr3t")
	}
	s := spec(typeThing, "a")
	s.MasterUserPassword = secretValue
	st := run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	o := outcome(t, st.Resources.Failed, typeThing, "a")
	if !strings.Contains(o.ErrorMessage, `value "`+job.Redacted+`"`) || !strings.Contains(o.ErrorMessage, "(prefix "+job.Redacted+")") {
		t.Errorf("outcome message = %q, want the values redacted", o.ErrorMessage)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{
		"outcome":     o.ErrorMessage,
		"job message": errorMessage(st),
		"status JSON": string(b),
		"status %+v":  fmt.Sprintf("%+v", st),
		"logs":        logs.String(),
	} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("%s leaks the secret: %s", what, out)
		}
	}
	if !strings.Contains(logs.String(), job.Redacted) {
		t.Errorf("the failure was not logged: %s", logs.String())
	}
}

func TestBatch(t *testing.T) {
	w, r := setup(t)
	for _, id := range []string{"b-3", "b-1", "b-2", "other"} {
		w.add(typeThing, id)
	}
	w.put(typeThing, "b-2")
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	s.IgnoreAlreadyExisting = true
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	if st.Type != job.Batch || st.Config.ResourceIdentifier != "b-" {
		t.Errorf("status = %+v / %+v", st, st.Config)
	}
	var got []string
	for _, o := range st.Resources.Succeeded {
		got = append(got, o.ResourceIdentifier)
	}
	if !slices.Equal(got, []string{"b-1", "b-3"}) {
		t.Errorf("succeeded = %q, want sorted b-1 b-3", got)
	}
	outcome(t, st.Resources.Skipped, typeThing, "b-2")
	if w.writeAttempts(typeThing, "other") != 0 {
		t.Errorf("the filter was not applied")
	}
}

func TestBatchEmpty(t *testing.T) {
	_, r := setup(t)
	s := spec(typeThing, "")
	s.ReplicationType = job.Batch
	st := run(t, r, s)
	if st.State != job.StateSucceeded || st.Resources.Len() != 0 {
		t.Errorf("empty batch: %s %q %+v", st.State, errorMessage(st), st.Resources)
	}
}

func TestBatchPartialFailure(t *testing.T) {
	w, r := setup(t)
	for _, id := range []string{"b-1", "b-2", "b-3"} {
		w.add(typeThing, id)
	}
	w.writeHook = func(_ context.Context, res *replicator.Resource) error {
		if res.Identifier != "b-2" {
			return fmt.Errorf("throttled %s", res.Identifier)
		}
		return nil
	}
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	st := run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	want := "2 of 3 resources failed; first: " + typeThing + " b-1: writing into the target: throttled b-1"
	if got := errorMessage(st); got != want {
		t.Errorf("job message = %q, want %q", got, want)
	}
	outcome(t, st.Resources.Succeeded, typeThing, "b-2")
}

func TestBatchListError(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "b-1")
	w.listErr = errBoom
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	st := run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	if got := errorMessage(st); !strings.Contains(got, "listing "+typeThing+` "b-" in the source: boom`) {
		t.Errorf("job message = %q", got)
	}
	// What was listed before the error was still replicated.
	outcome(t, st.Resources.Succeeded, typeThing, "b-1")
}

func TestByARN(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	s := spec("", "")
	s.ARN = fakeARN(typeThing, sourceAccount, "us-east-1", "a")
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	if diff := cmp.Diff(&job.StatusConfig{ResourceARN: s.ARN}, st.Config); diff != "" {
		t.Errorf("Config echoes what was asked (-want +got):\n%s", diff)
	}
	outcome(t, st.Resources.Succeeded, typeThing, "a")
	// The ARN's region is where the source is read.
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Equal(w.regions, []string{"us-east-1"}) {
		t.Errorf("read in %q, want the ARN's region", w.regions)
	}
}

func TestByARNOtherAccount(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	s := spec("", "")
	s.ARN = fakeARN(typeThing, "222222222222", region, "a")
	st := run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	for _, want := range []string{"222222222222", sourceAccount, "credentials"} {
		if !strings.Contains(errorMessage(st), want) {
			t.Errorf("job message %q does not mention %q", errorMessage(st), want)
		}
	}
	if w.readCount(typeThing, "a") != 0 {
		t.Errorf("read from the wrong account")
	}
}

func TestConnectionErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src, tgt *fakeSTS
		mention  []string
	}{
		{
			name:    "source rejects the credentials",
			src:     &fakeSTS{account: sourceAccount, status: 403},
			tgt:     &fakeSTS{account: targetAccount},
			mention: []string{"the source", "rejected sts:GetCallerIdentity", "InvalidClientTokenId", "AWS_PROFILE"},
		},
		{
			name:    "target unreachable",
			src:     &fakeSTS{account: sourceAccount},
			tgt:     &fakeSTS{fail: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")},
			mention: []string{"cannot reach the target", "http://127.0.0.1:1", "connection refused", "is the emulator running"},
		},
		{
			name:    "both",
			src:     &fakeSTS{fail: errors.New("no route to host")},
			tgt:     &fakeSTS{account: targetAccount, status: 403},
			mention: []string{"cannot reach the source", "no route to host", "the target", "rejected"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r := setup(t)
			w.add(typeThing, "a")
			s := spec(typeThing, "a")
			s.Source, s.Target = configsFor(tc.src, tc.tgt)
			j, err := r.Submit(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			updates := j.Updates()
			var states []job.State
			for st := range updates {
				states = append(states, st.State)
			}
			st := j.Status()
			if st.State != job.StateError {
				t.Fatalf("state = %s", st.State)
			}
			if slices.Contains(states, job.StateRunning) {
				t.Errorf("states %v went through RUNNING", states)
			}
			for _, m := range tc.mention {
				if !strings.Contains(errorMessage(st), m) {
					t.Errorf("job message %q does not mention %q", errorMessage(st), m)
				}
			}
			if w.readCount(typeThing, "a") != 0 || st.Resources.Len() != 0 {
				t.Errorf("the job went on after a failed connection test: %+v", st.Resources)
			}
		})
	}
}

func TestRunnerGuardsTarget(t *testing.T) {
	// A target configuration that points at AWS is refused before anything
	// is sent, even though it did not come from credentials.LoadTarget.
	w, r := setup(t)
	w.add(typeThing, "a")
	tgtSTS := &fakeSTS{account: targetAccount}
	s := spec(typeThing, "a")
	s.Target = awsConfig(tgtSTS, "https://sts.eu-central-1.amazonaws.com")
	st := run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	if !strings.Contains(errorMessage(st), "not an emulator") {
		t.Errorf("job message = %q", errorMessage(st))
	}
	if n := tgtSTS.count(); n != 0 {
		t.Errorf("%d requests reached the non-emulator target", n)
	}
}

// writingReader is an adapter whose Read tries to change the source.
type writingReader struct {
	fakeAdapter
	err error
}

func (a *writingReader) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	c := replicator.Client(&src.Endpoint, "sts", func(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) })
	_, a.err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/x"), RoleSessionName: aws.String("x")})
	return a.fakeAdapter.Read(ctx, src, id)
}

func TestRunnerGuardsSource(t *testing.T) {
	// A source configuration without the read-only guard gets one.
	w := newWorld()
	w.add(typeThing, "a")
	sneaky := &writingReader{fakeAdapter: fakeAdapter{w: w, typ: typeThing}}
	reg := replicator.NewRegistry()
	reg.Register(sneaky)
	r, _ := replicator.NewRunner(reg)
	srcSTS := &fakeSTS{account: sourceAccount}
	s := spec(typeThing, "a")
	s.Source, s.Target = configsFor(srcSTS, &fakeSTS{account: targetAccount})
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	if !errors.Is(sneaky.err, credentials.ErrNotReadOnly) {
		t.Errorf("sts:AssumeRole through the source: %v, want ErrNotReadOnly", sneaky.err)
	}
	if n := srcSTS.count(); n != 1 {
		t.Errorf("the source received %d requests, want only the connection test", n)
	}
}

func TestSourceAndTargetEndpoints(t *testing.T) {
	w := newWorld()
	w.add(typeThing, "a")
	var gotSrc, gotTgt replicator.Endpoint
	reg := replicator.NewRegistry()
	reg.Register(&endpointRecorder{fakeAdapter: fakeAdapter{w: w, typ: typeThing}, src: &gotSrc, tgt: &gotTgt})
	r, _ := replicator.NewRunner(reg)
	s := spec(typeThing, "a")
	s.Target.Region = "us-west-2"
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %s %q", st.State, errorMessage(st))
	}
	if gotSrc.AccountID != sourceAccount || gotSrc.Region != region {
		t.Errorf("source endpoint = %s/%s", gotSrc.AccountID, gotSrc.Region)
	}
	if gotTgt.AccountID != targetAccount || gotTgt.Region != "us-west-2" {
		t.Errorf("target endpoint = %s/%s", gotTgt.AccountID, gotTgt.Region)
	}
}

// endpointRecorder notes the accounts and regions it is handed.
type endpointRecorder struct {
	fakeAdapter
	src, tgt *replicator.Endpoint
}

func (e *endpointRecorder) Read(ctx context.Context, src *replicator.Source, id string) (*replicator.Resource, error) {
	e.src.AccountID, e.src.Region = src.AccountID, src.Region
	return e.fakeAdapter.Read(ctx, src, id)
}

func (e *endpointRecorder) Write(ctx context.Context, tgt *replicator.Target, res *replicator.Resource) (replicator.Placed, error) {
	e.tgt.AccountID, e.tgt.Region = tgt.AccountID, tgt.Region
	return e.fakeAdapter.Write(ctx, tgt, res)
}

func TestCancelContextMidBatch(t *testing.T) {
	w, r := setup(t, func(o *replicator.Options) { o.Concurrency = 2 })
	for i := range 6 {
		w.add(typeThing, fmt.Sprintf("b-%d", i))
	}
	started := make(chan struct{}, 10)
	w.writeHook = func(ctx context.Context, _ *replicator.Resource) error {
		started <- struct{}{}
		<-ctx.Done() // writes take until the job is cancelled
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-started
		<-started // both slots are busy
		cancel()
	}()
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	st, err := r.Run(ctx, s)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run err = %v, want context.Canceled", err)
	}
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	if msg := errorMessage(st); !strings.Contains(msg, "cancelled") || !strings.Contains(msg, "stay in the target") {
		t.Errorf("job message = %q", msg)
	}
	if len(w.writeLog()) != 0 {
		t.Errorf("writes completed after the cancellation: %q", w.writeLog())
	}
	attempts := 0
	for i := range 6 {
		attempts += w.writeAttempts(typeThing, fmt.Sprintf("b-%d", i))
	}
	if attempts >= 6 {
		t.Errorf("%d writes attempted: the batch went on after the cancellation", attempts)
	}
	if len(st.Resources.Failed) < 2 {
		t.Errorf("the interrupted writes are not reported: %+v", st.Resources)
	}
	// The job is done, and its id still finds it.
	j, ok := r.Job(st.JobID)
	if !ok {
		t.Fatalf("Job(%s) not found", st.JobID)
	}
	select {
	case <-j.Done():
	default:
		t.Errorf("Run returned before the job was done")
	}
}

func TestCancelDuringConnectionTest(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	srcSTS := &fakeSTS{account: sourceAccount, gate: make(chan struct{})} // never answers
	s := spec(typeThing, "a")
	s.Source, s.Target = configsFor(srcSTS, &fakeSTS{account: targetAccount})
	j, err := r.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	j.Cancel()
	st, err := j.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != job.StateError || !strings.Contains(errorMessage(st), "cancelled") {
		t.Errorf("status = %s %q, want ERROR saying the job was cancelled", st.State, errorMessage(st))
	}
}

func TestJobCancel(t *testing.T) {
	w, r := setup(t, func(o *replicator.Options) { o.Concurrency = 1 })
	for i := range 3 {
		w.add(typeThing, fmt.Sprintf("b-%d", i))
	}
	started := make(chan struct{}, 10)
	w.writeHook = func(ctx context.Context, _ *replicator.Resource) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	j, err := r.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	j.Cancel()
	j.Cancel() // idempotent
	<-j.Done()
	st := j.Status()
	if st.State != job.StateError || !strings.Contains(errorMessage(st), "cancelled") {
		t.Errorf("status = %s %q", st.State, errorMessage(st))
	}
	// Wait after the end returns at once, with a done context too.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if st2, err := j.Wait(done); st2.State != job.StateError || (err != nil && !errors.Is(err, context.Canceled)) {
		t.Errorf("Wait after the end = %s, %v", st2.State, err)
	}
}

func TestWaitContext(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	srcSTS := &fakeSTS{account: sourceAccount, gate: make(chan struct{})}
	s := spec(typeThing, "a")
	s.Source, s.Target = configsFor(srcSTS, &fakeSTS{account: targetAccount})
	j, err := r.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := j.Wait(ctx)
	if !errors.Is(err, context.Canceled) || st.State != job.StateTestingConnection {
		t.Errorf("Wait with a done context = %s, %v", st.State, err)
	}
	// Waiting gave up; the job did not stop.
	close(srcSTS.gate)
	if st, _ := j.Wait(context.Background()); st.State != job.StateSucceeded {
		t.Errorf("state = %s", st.State)
	}
}

func TestSubmitOutlivesItsCall(t *testing.T) {
	// "It does not stop when Submit returns": a job keeps running after
	// the goroutine that submitted it has moved on.
	w, r := setup(t)
	w.add(typeThing, "a")
	srcSTS := &fakeSTS{account: sourceAccount, gate: make(chan struct{})}
	s := spec(typeThing, "a")
	s.Source, s.Target = configsFor(srcSTS, &fakeSTS{account: targetAccount})
	var j *replicator.Job
	func() {
		var err error
		if j, err = r.Submit(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}()
	close(srcSTS.gate)
	<-j.Done()
	if j.Status().State != job.StateSucceeded {
		t.Errorf("state = %s", j.Status().State)
	}
}

func TestJobsAndLookup(t *testing.T) {
	w, r := setup(t)
	var ids []string
	for i := range 5 {
		id := fmt.Sprintf("r-%d", i)
		w.add(typeThing, id)
		j, err := r.Submit(context.Background(), spec(typeThing, id))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID())
		got, ok := r.Job(j.ID())
		if !ok || got != j {
			t.Errorf("Job(%s) = %v, %v", j.ID(), got, ok)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 5 {
		t.Errorf("job ids are not unique: %q", ids)
	}
	for _, id := range ids {
		j, _ := r.Job(id)
		<-j.Done()
	}
	jobs := r.Jobs()
	if len(jobs) != 5 {
		t.Fatalf("Jobs() has %d entries", len(jobs))
	}
	for i, st := range jobs {
		if st.JobID != ids[i] {
			t.Errorf("Jobs()[%d] = %s, want %s (submission order)", i, st.JobID, ids[i])
		}
		if st.Config.ResourceIdentifier != fmt.Sprintf("r-%d", i) || st.State != job.StateSucceeded {
			t.Errorf("Jobs()[%d] = %+v", i, st)
		}
	}
	if _, ok := r.Job("not-a-job"); ok {
		t.Errorf("Job of an unknown id found")
	}
	// Statuses are snapshots.
	jobs[0].Resources.Succeeded[0].ResourceIdentifier = "changed"
	if r.Jobs()[0].Resources.Succeeded[0].ResourceIdentifier != "r-0" {
		t.Errorf("Jobs() shares state with the job")
	}
}

func TestConcurrencyBound(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			w, r := setup(t, func(o *replicator.Options) { o.Concurrency = limit })
			for i := range 12 {
				w.add(typeThing, fmt.Sprintf("b-%02d", i), replicator.Ref{Type: typeParent, Identifier: fmt.Sprintf("p-%d", i%4)})
			}
			for i := range 4 {
				w.add(typeParent, fmt.Sprintf("p-%d", i))
			}
			// The first writes wait until `limit` are in flight together, so
			// the bound is reached; afterwards writes overlap freely.
			full := make(chan struct{})
			var once sync.Once
			w.writeHook = func(ctx context.Context, _ *replicator.Resource) error {
				w.mu.Lock()
				n := w.inflight
				w.mu.Unlock()
				if n >= limit {
					once.Do(func() { close(full) })
				}
				select {
				case <-full:
				case <-ctx.Done():
					return ctx.Err()
				}
				yieldALittle()
				return nil
			}
			s := spec(typeThing, "b-")
			s.ReplicationType = job.Batch
			st := run(t, r, s)
			if st.State != job.StateSucceeded || len(st.Resources.Succeeded) != 16 {
				t.Fatalf("status = %s %q, %d succeeded", st.State, errorMessage(st), len(st.Resources.Succeeded))
			}
			if got := w.maxInFlight(); got != limit {
				t.Errorf("max writes in flight = %d, want %d", got, limit)
			}
		})
	}
}

func TestLoggerSilentByDefault(t *testing.T) {
	// No logger: nothing to assert but that it runs; with one, progress is
	// logged with the job id.
	var logs bytes.Buffer
	w, r := setup(t, func(o *replicator.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	w.add(typeThing, "a")
	st := run(t, r, spec(typeThing, "a"))
	for _, want := range []string{"job_id=" + st.JobID, "state=RUNNING", "state=SUCCEEDED", "resource_identifier=a"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs do not contain %q:\n%s", want, logs.String())
		}
	}
}

func TestClientCache(t *testing.T) {
	var e replicator.Endpoint
	e.Config.Region = "eu-west-1"
	made := 0
	mk := func(cfg aws.Config) *string {
		made++
		s := cfg.Region
		return &s
	}
	a := replicator.Client(&e, "k", mk)
	b := replicator.Client(&e, "k", mk)
	if a != b || made != 1 || *a != "eu-west-1" {
		t.Errorf("Client: %p %p, made %d", a, b, made)
	}
	if c := replicator.Client(&e, "other", mk); c == a || made != 2 {
		t.Errorf("Client with another key shared the client")
	}
}

func TestStatistics(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	st := run(t, r, spec(typeThing, "a"))
	want := &job.Statistics{SourceCalls: 1, TargetCalls: 1} // the connection tests
	if diff := cmp.Diff(want, st.Statistics); diff != "" {
		t.Errorf("Statistics (-want +got):\n%s", diff)
	}

	// A throttled connection test is retried with backoff (up to 6
	// attempts, within the connect timeout), every attempt counted.
	_, r = setup(t, func(o *replicator.Options) { o.ConnectTimeout = 5 * time.Second }) // > the first backoff (at most 2 s)
	s := spec(typeThing, "a")
	s.Source, s.Target = configsFor(&fakeSTS{account: sourceAccount}, &fakeSTS{status: 400, code: "Throttling"})
	st = run(t, r, s)
	if st.State != job.StateError {
		t.Fatalf("state = %s", st.State)
	}
	if c := st.Statistics; c == nil || c.TargetCalls < 2 || c.TargetThrottled != c.TargetCalls || c.SourceThrottled != 0 {
		t.Errorf("Statistics = %+v, want every target call counted as throttled, and retried", st.Statistics)
	}
}

// A throttled connection test is retried: a busy source is reachable.
func TestThrottledConnectionTestIsRetried(t *testing.T) {
	_, r := setup(t)
	srcSTS := &throttlingSTS{fakeSTS: fakeSTS{account: sourceAccount}, throttles: 2}
	src, tgt := configsFor(&srcSTS.fakeSTS, &fakeSTS{account: targetAccount})
	src.HTTPClient = srcSTS
	st, err := r.Run(context.Background(), replicator.Spec{ResourceType: typeThing, Identifier: "missing", Source: src, Target: tgt})
	if err != nil {
		t.Fatal(err)
	}
	// The job got past TESTING_CONNECTION: it fails on the missing resource.
	if st.State != job.StateError || !strings.Contains(errorMessage(st), "does not exist in the source") {
		t.Errorf("job = %s %q, want ERROR for the missing resource after 2 throttled connection tests", st.State, errorMessage(st))
	}
}

// throttlingSTS answers its first throttles requests with a throttling error.
type throttlingSTS struct {
	fakeSTS
	mu        sync.Mutex
	throttles int
}

func (f *throttlingSTS) Do(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	throttle := f.throttles > 0
	f.throttles--
	f.mu.Unlock()
	if throttle {
		doc := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>`
		return xmlResponse(req, 400, doc), nil
	}
	return f.fakeSTS.Do(req)
}

// Resources of a BATCH that share a parent wait for its one read instead
// of each reading it (a VPC shared by 200 security groups).
func TestSharedParentIsReadOnce(t *testing.T) {
	w, r := setup(t, func(o *replicator.Options) { o.Concurrency = 8 })
	parent := w.add(typeParent, "p")
	w.readHook = func(ctx context.Context, typ, id string) error {
		if typ == typeParent {
			time.Sleep(20 * time.Millisecond) // a round trip: the children overlap it
		}
		return nil
	}
	for i := range 16 {
		w.add(typeThing, fmt.Sprintf("t%02d", i), parent.Ref())
	}
	s := spec(typeThing, "")
	s.ReplicationType = job.Batch
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Fatalf("job %s: %s", st.State, errorMessage(st))
	}
	if n := w.readCount(typeParent, "p"); n != 1 {
		t.Errorf("the shared parent was read %d times, want once", n)
	}
}

// One resource a listing cannot read fails alone; the others are replicated.
func TestUnreadableResourceInABatchFailsAlone(t *testing.T) {
	w, r := setup(t)
	for _, id := range []string{"a", "b", "c"} {
		w.add(typeThing, id)
	}
	w.readHook = func(_ context.Context, _, id string) error {
		if id == "b" {
			return errors.New("AccessDeniedException: not authorized to perform kms:Decrypt")
		}
		return nil
	}
	s := spec(typeThing, "")
	s.ReplicationType = job.Batch
	st := run(t, r, s)
	if st.State != job.StateError || len(st.Resources.Succeeded) != 2 || len(st.Resources.Failed) != 1 {
		t.Fatalf("job %s with %+v, want ERROR with a and c succeeded and b failed", st.State, st.Resources)
	}
	if f := st.Resources.Failed[0]; f.ResourceIdentifier != "b" || !strings.Contains(f.ErrorMessage, "kms:Decrypt") {
		t.Errorf("failed outcome = %+v", f)
	}
	if got := w.writeLog(); len(got) != 2 {
		t.Errorf("writes %v, want a and c", got)
	}
}

// A connection test whose kept-alive connection the server closed is
// retried; an endpoint that refuses connections is not (see the
// unreachable-endpoint tests).
func TestBrokenConnectionDuringConnectionTestIsRetried(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	src := &brokenOnceSTS{fakeSTS: fakeSTS{account: sourceAccount}}
	s := spec(typeThing, "a")
	s.Source, s.Target = configsFor(&src.fakeSTS, &fakeSTS{account: targetAccount})
	s.Source.HTTPClient = src
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Errorf("job %s (%s), want SUCCEEDED after one broken connection", st.State, errorMessage(st))
	}
}

// brokenOnceSTS fails its first request as a connection the server closed.
type brokenOnceSTS struct {
	fakeSTS
	broke atomic.Bool
}

func (f *brokenOnceSTS) Do(req *http.Request) (*http.Response, error) {
	if !f.broke.Swap(true) {
		return nil, errors.New("read tcp 127.0.0.1:50000->127.0.0.1:4566: use of closed network connection")
	}
	return f.fakeSTS.Do(req)
}

// While every writer is busy, a BATCH listing goes on reading a few
// resources ahead (four per writer), and no further: the source is read
// while the target is written, and memory stays bounded.
func TestBatchReadsAheadOfBusyWriters(t *testing.T) {
	const writers, total = 2, 30
	w, r := setup(t, func(o *replicator.Options) { o.Concurrency = writers })
	for i := range total {
		w.add(typeThing, fmt.Sprintf("b-%02d", i))
	}
	var listed atomic.Int32
	w.readHook = func(context.Context, string, string) error {
		listed.Add(1)
		return nil
	}
	release := make(chan struct{})
	w.writeHook = func(context.Context, *replicator.Resource) error {
		<-release
		return nil
	}
	s := spec(typeThing, "b-")
	s.ReplicationType = job.Batch
	j, err := r.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Held: one resource per writer, four per writer queued, and the one
	// the listing is trying to queue.
	const ahead = writers + 4*writers + 1
	deadline := time.Now().Add(10 * time.Second)
	for listed.Load() < ahead && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room to read too far, if it would
	if n := listed.Load(); n != ahead {
		t.Errorf("with both writers busy the listing read %d resources, want %d", n, ahead)
	}
	close(release)
	st, err := j.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != job.StateSucceeded || len(st.Resources.Succeeded) != total {
		t.Errorf("state %s, %d succeeded, want SUCCEEDED with %d", st.State, len(st.Resources.Succeeded), total)
	}
}
