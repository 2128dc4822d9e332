package job

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// State is the lifecycle state of a replication job.
//
// A job moves TESTING_CONNECTION → RUNNING → SUCCEEDED | ERROR. It may also
// go straight from TESTING_CONNECTION to ERROR when the source or the target
// cannot be reached. There is no FAILED state: resources that could not be
// replicated are listed in [Resources.Failed].
type State string

const (
	// StateTestingConnection is the first state: the source identity is
	// checked and the target is reached.
	StateTestingConnection State = "TESTING_CONNECTION"
	// StateRunning means resources are being read from the source and
	// written into the target.
	StateRunning State = "RUNNING"
	// StateSucceeded is terminal: every resource succeeded or was skipped.
	StateSucceeded State = "SUCCEEDED"
	// StateError is terminal: the job could not run to its end, or at least
	// one resource failed. [Status.ErrorMessage] says why.
	StateError State = "ERROR"
)

// States returns every State in lifecycle order.
func States() []State {
	return []State{StateTestingConnection, StateRunning, StateSucceeded, StateError}
}

// Valid reports whether s is one of [States].
func (s State) Valid() bool { return slices.Contains(States(), s) }

// Terminal reports whether s is a final state (SUCCEEDED or ERROR).
func (s State) Terminal() bool { return s == StateSucceeded || s == StateError }

// ErrIllegalTransition is returned by [State.Transition] for a move the job
// lifecycle does not allow, such as SUCCEEDED → RUNNING.
var ErrIllegalTransition = errors.New("job: illegal state transition")

// Transition returns next if a job in state s may move to next, and an error
// wrapping [ErrIllegalTransition] otherwise.
func (s State) Transition(next State) (State, error) {
	ok := false
	switch s {
	case StateTestingConnection:
		ok = next == StateRunning || next == StateError
	case StateRunning:
		ok = next == StateSucceeded || next == StateError
	}
	if !ok {
		return s, fmt.Errorf("%w: %s → %s", ErrIllegalTransition, s, next)
	}
	return next, nil
}

// ReplicationType says whether a job copies one resource or a batch of them.
type ReplicationType string

const (
	// SingleResource copies one resource named by type and identifier, or by ARN.
	SingleResource ReplicationType = "SINGLE_RESOURCE"
	// Batch copies every resource of a type that the identifier selects;
	// what the identifier means depends on the type (for SSM parameters it is
	// a path such as "/dev/").
	Batch ReplicationType = "BATCH"
)

// ReplicationTypes returns every ReplicationType.
func ReplicationTypes() []ReplicationType { return []ReplicationType{SingleResource, Batch} }

// Valid reports whether t is one of [ReplicationTypes].
func (t ReplicationType) Valid() bool { return slices.Contains(ReplicationTypes(), t) }

// ExploreStrategy says how far a job follows related resources.
type ExploreStrategy string

const (
	// Simple copies the selected resources (and any missing parents they
	// depend on), not their children.
	Simple ExploreStrategy = "SIMPLE"
	// Tree also follows child resources, such as the subnets of a VPC.
	Tree ExploreStrategy = "TREE"
)

// ExploreStrategies returns every ExploreStrategy.
func ExploreStrategies() []ExploreStrategy { return []ExploreStrategy{Simple, Tree} }

// Valid reports whether e is one of [ExploreStrategies].
func (e ExploreStrategy) Valid() bool { return slices.Contains(ExploreStrategies(), e) }

// ParseReplicationType parses s case-insensitively; the error lists the
// accepted values.
func ParseReplicationType(s string) (ReplicationType, error) {
	return parseEnum(s, "replication type", ReplicationTypes())
}

// ParseExploreStrategy parses s case-insensitively; the error lists the
// accepted values.
func ParseExploreStrategy(s string) (ExploreStrategy, error) {
	return parseEnum(s, "explore strategy", ExploreStrategies())
}

// ErrInvalidValue is wrapped by errors for enum values this package does
// not know.
var ErrInvalidValue = errors.New("job: invalid value")

func parseEnum[T ~string](s, what string, valid []T) (T, error) {
	for _, v := range valid {
		if strings.EqualFold(s, string(v)) {
			return v, nil
		}
	}
	names := make([]string, len(valid))
	for i, v := range valid {
		names[i] = string(v)
	}
	return "", fmt.Errorf("%w: %s %q: want one of %s", ErrInvalidValue, what, s, strings.Join(names, ", "))
}
