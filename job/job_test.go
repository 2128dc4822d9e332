package job_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/awsreplicator/awsreplicator/job"
)

func TestStates(t *testing.T) {
	want := []job.State{job.StateTestingConnection, job.StateRunning, job.StateSucceeded, job.StateError}
	got := job.States()
	if len(got) != len(want) {
		t.Fatalf("States() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("States()[%d] = %s, want %s", i, got[i], want[i])
		}
		if !got[i].Valid() {
			t.Errorf("%s.Valid() = false", got[i])
		}
	}
	// The caller owns the slice.
	got[0] = "X"
	if job.States()[0] != job.StateTestingConnection {
		t.Errorf("States() shares its backing array")
	}
	for _, s := range []job.State{"", "FAILED", "running", "PENDING"} {
		if s.Valid() {
			t.Errorf("State(%q).Valid() = true", s)
		}
	}
	// The wire values are LocalStack's.
	for s, wire := range map[job.State]string{
		job.StateTestingConnection: "TESTING_CONNECTION",
		job.StateRunning:           "RUNNING",
		job.StateSucceeded:         "SUCCEEDED",
		job.StateError:             "ERROR",
	} {
		if string(s) != wire {
			t.Errorf("state %q, want %q", s, wire)
		}
	}
}

func TestStateTerminal(t *testing.T) {
	for _, tc := range []struct {
		s    job.State
		want bool
	}{
		{job.StateTestingConnection, false},
		{job.StateRunning, false},
		{job.StateSucceeded, true},
		{job.StateError, true},
		{"", false},
		{"FAILED", false},
	} {
		if got := tc.s.Terminal(); got != tc.want {
			t.Errorf("%q.Terminal() = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestStateTransition(t *testing.T) {
	allowed := map[[2]job.State]bool{
		{job.StateTestingConnection, job.StateRunning}: true,
		{job.StateTestingConnection, job.StateError}:   true,
		{job.StateRunning, job.StateSucceeded}:         true,
		{job.StateRunning, job.StateError}:             true,
	}
	// Every pair of States, plus unknown states on either side.
	states := append(job.States(), "", "FAILED")
	for _, from := range states {
		for _, to := range states {
			got, err := from.Transition(to)
			if allowed[[2]job.State{from, to}] {
				if err != nil || got != to {
					t.Errorf("%q → %q = %q, %v; want %q, nil", from, to, got, err, to)
				}
				continue
			}
			if !errors.Is(err, job.ErrIllegalTransition) {
				t.Errorf("%q → %q: err = %v, want ErrIllegalTransition", from, to, err)
				continue
			}
			if got != from {
				t.Errorf("%q → %q refused but returned %q, want the unchanged state", from, to, got)
			}
			if !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(to)) {
				t.Errorf("error %q does not name both states", err)
			}
		}
	}
}

func TestReplicationTypeAndStrategy(t *testing.T) {
	if got := job.ReplicationTypes(); len(got) != 2 || got[0] != job.SingleResource || got[1] != job.Batch {
		t.Errorf("ReplicationTypes() = %v", got)
	}
	if got := job.ExploreStrategies(); len(got) != 2 || got[0] != job.Simple || got[1] != job.Tree {
		t.Errorf("ExploreStrategies() = %v", got)
	}
	if !job.SingleResource.Valid() || !job.Batch.Valid() || job.ReplicationType("batch").Valid() || job.ReplicationType("").Valid() {
		t.Errorf("ReplicationType.Valid is wrong")
	}
	if !job.Simple.Valid() || !job.Tree.Valid() || job.ExploreStrategy("tree").Valid() || job.ExploreStrategy("").Valid() {
		t.Errorf("ExploreStrategy.Valid is wrong")
	}
}

func TestParseReplicationType(t *testing.T) {
	for in, want := range map[string]job.ReplicationType{
		"SINGLE_RESOURCE": job.SingleResource,
		"single_resource": job.SingleResource,
		"BATCH":           job.Batch,
		"Batch":           job.Batch,
	} {
		got, err := job.ParseReplicationType(in)
		if err != nil || got != want {
			t.Errorf("ParseReplicationType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "SINGLE", "BATCHES", " BATCH"} {
		got, err := job.ParseReplicationType(in)
		if !errors.Is(err, job.ErrInvalidValue) || got != "" {
			t.Errorf("ParseReplicationType(%q) = %q, %v; want ErrInvalidValue", in, got, err)
			continue
		}
		if !strings.Contains(err.Error(), "SINGLE_RESOURCE, BATCH") {
			t.Errorf("error %q does not list the accepted values", err)
		}
	}
}

func TestParseExploreStrategy(t *testing.T) {
	for in, want := range map[string]job.ExploreStrategy{"SIMPLE": job.Simple, "simple": job.Simple, "TREE": job.Tree, "Tree": job.Tree} {
		got, err := job.ParseExploreStrategy(in)
		if err != nil || got != want {
			t.Errorf("ParseExploreStrategy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := job.ParseExploreStrategy("DEEP")
	if !errors.Is(err, job.ErrInvalidValue) || !strings.Contains(err.Error(), `"DEEP"`) || !strings.Contains(err.Error(), "SIMPLE, TREE") {
		t.Errorf("ParseExploreStrategy(DEEP) err = %v", err)
	}
}
