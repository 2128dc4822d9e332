package replicator

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awsreplicator/awsreplicator/arn"
)

// ResourceReplicator copies one resource type. An adapter reads resources
// from a [Source] into [Resource] descriptions and writes descriptions into a
// [Target]; the two halves share nothing but the description.
//
// Optional capabilities are separate interfaces: [ARNResolver], [Lister]
// (BATCH jobs) and [TreeExplorer] (TREE jobs).
type ResourceReplicator interface {
	// Info describes the type. It must return the same value every time.
	Info() TypeInfo
	// Read describes the resource with the given identifier. A resource
	// that does not exist is an error wrapping [ErrNotFound].
	Read(ctx context.Context, src *Source, id string) (*Resource, error)
	// Write creates r in the target, then reads it back and returns what
	// the target holds. A resource that already exists in the target is an
	// error wrapping [ErrAlreadyExists], and is left unchanged; Write then
	// returns the existing resource's Placed where it can find it (on
	// targets that assign their own ids), so children can refer to it.
	Write(ctx context.Context, tgt *Target, r *Resource) (Placed, error)
}

// Placed is what the target holds after a write, read back from it.
type Placed struct {
	Identifier string
	ARN        string
}

// ARNResolver is implemented by adapters that can be named by ARN.
type ARNResolver interface {
	// IdentifierFromARN returns the identifier the ARN names. It may read
	// the source where the ARN alone is ambiguous.
	IdentifierFromARN(ctx context.Context, src *Source, a arn.ARN) (string, error)
}

// Lister is implemented by adapters that support BATCH jobs.
type Lister interface {
	// List describes every resource that filter selects (its meaning is
	// TypeInfo.Batch), calling emit for each as soon as it is read. It stops
	// and returns emit's error if emit fails. A resource listed but not
	// readable is emitted as Unreadable; an error returned ends the job.
	List(ctx context.Context, src *Source, filter string, emit func(*Resource) error) error
}

// TreeExplorer is implemented by adapters whose resources have children
// that TREE jobs follow.
type TreeExplorer interface {
	// Children returns the children of r in the source.
	Children(ctx context.Context, src *Source, r *Resource) ([]Ref, error)
}

// TypeInfo describes a resource type.
type TypeInfo struct {
	// Type is the CloudFormation type name, e.g. "AWS::SSM::Parameter".
	Type string `json:"resource_type"`
	// Identifier names what an identifier is, e.g. "Name".
	Identifier string `json:"identifier"`
	// ARNService and ARNResourceType are what an ARN of this type holds in
	// its service section and before the first '/' or ':' of its resource
	// section ("ssm", "parameter"). Empty ARNService: no ARN support.
	ARNService      string `json:"-"`
	ARNResourceType string `json:"-"`
	// Batch says what a BATCH job's identifier means; empty if the type
	// does not support BATCH.
	Batch string `json:"batch,omitempty"`
	// Tree lists the child types a TREE job follows.
	Tree []string `json:"tree,omitempty"`
	// Actions are the IAM actions the adapter needs on the source to
	// replicate one resource (Read and, for TREE, Children).
	Actions []string `json:"policy_actions"`
	// BatchActions are the further actions a BATCH job (List) needs.
	BatchActions []string `json:"batch_policy_actions,omitempty"`
	// Dependencies are the types of the parents a resource of this type
	// may depend on (Resource.DependsOn); their actions are needed too.
	Dependencies []string `json:"dependencies,omitempty"`
}

var (
	// ErrNotFound: the resource does not exist in the source.
	ErrNotFound = errors.New("replicator: resource not found")
	// ErrAlreadyExists: the resource already exists in the target.
	ErrAlreadyExists = errors.New("replicator: resource already exists in the target")
	// ErrUnsupported: the type, or the operation for the type, is not supported.
	ErrUnsupported = errors.New("replicator: not supported")
	// ErrInvalidIdentifier: the identifier cannot name a resource of the type.
	ErrInvalidIdentifier = errors.New("replicator: invalid identifier")
)

// Endpoint is a configured AWS account and region: the source or the target
// of a job. It caches service clients so that adapters make each once.
type Endpoint struct {
	// Config is the configuration every client is made from.
	Config aws.Config
	// AccountID and Region are where the endpoint acts, as established
	// when the job tested its connections.
	AccountID string
	Region    string

	clients sync.Map // string → any
}

// Source is the account resources are read from. Clients made from it can
// only read (see credentials.ReadOnly).
type Source struct{ Endpoint }

// Target is the emulator resources are written into.
type Target struct {
	Endpoint

	ids sync.Map // key(type, source id) → target id, where they differ
}

// TargetID returns the identifier the target holds for the source resource
// (typ, sourceID): the one the target assigned when this job wrote it or
// found it, else sourceID itself. Adapters use it to rewrite references
// (a subnet's VPC id) on targets that cannot keep identifiers.
func (t *Target) TargetID(typ, sourceID string) string {
	if id, ok := t.ids.Load(key(typ, sourceID)); ok {
		return id.(string)
	}
	return sourceID
}

// recordID notes the target identifier of a source resource.
func (t *Target) recordID(typ, sourceID, targetID string) {
	if targetID != "" && targetID != sourceID {
		t.ids.Store(key(typ, sourceID), targetID)
	}
}

// Client returns the client cached under key, making it with mk on first
// use. Adapters call it with a key naming the service:
//
//	c := replicator.Client(&src.Endpoint, "ssm", func(cfg aws.Config) ssmAPI { return ssm.NewFromConfig(cfg) })
func Client[T any](e *Endpoint, key string, mk func(aws.Config) T) T {
	if c, ok := e.clients.Load(key); ok {
		return c.(T)
	}
	c, _ := e.clients.LoadOrStore(key, mk(e.Config))
	return c.(T)
}
