package replicator

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/awsreplicator/awsreplicator/arn"
)

// Registry holds the adapters a [Runner] can use, by type name. Make one
// with [NewRegistry] and fill it with Register (resources.Register registers
// every adapter of this module). It is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	byType map[string]ResourceReplicator // key: lower-case type name
	byARN  map[[2]string]ResourceReplicator
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{byType: map[string]ResourceReplicator{}, byARN: map[[2]string]ResourceReplicator{}}
}

// Register adds an adapter. Registering a type twice, or two types for the
// same ARN shape, is a programming error and panics, as database/sql does.
func (r *Registry) Register(a ResourceReplicator) {
	info := a.Info()
	if info.Type == "" {
		panic("replicator: Register of an adapter with an empty type name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	key := strings.ToLower(info.Type)
	if _, dup := r.byType[key]; dup {
		panic("replicator: Register called twice for type " + info.Type)
	}
	if info.ARNService != "" {
		if _, ok := a.(ARNResolver); !ok {
			panic("replicator: " + info.Type + " declares an ARN service but does not implement ARNResolver")
		}
		ak := [2]string{info.ARNService, info.ARNResourceType}
		if other, dup := r.byARN[ak]; dup {
			panic(fmt.Sprintf("replicator: %s and %s both claim ARNs of %s/%s", other.Info().Type, info.Type, ak[0], ak[1]))
		}
		r.byARN[ak] = a
	}
	r.byType[key] = a
}

// Lookup returns the adapter for a type name, matched case-insensitively
// (LocalStack echoes "AWS::SSM::PARAMETER").
func (r *Registry) Lookup(typ string) (ResourceReplicator, error) {
	r.mu.RLock()
	a, ok := r.byType[strings.ToLower(typ)]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: resource type %q: supported types are %s", ErrUnsupported, typ, strings.Join(r.TypeNames(), ", "))
	}
	return a, nil
}

// LookupARN returns the adapter for the type an ARN names.
func (r *Registry) LookupARN(a arn.ARN) (ResourceReplicator, error) {
	r.mu.RLock()
	ad, ok := r.byARN[[2]string{a.Service, a.ResourceType()}]
	r.mu.RUnlock()
	if !ok {
		var names []string
		for _, t := range r.Types() {
			if t.ARNService != "" {
				names = append(names, t.Type)
			}
		}
		return nil, fmt.Errorf("%w: ARN %s (service %q, resource type %q) names no supported type; types replicable by ARN: %s",
			ErrUnsupported, a, a.Service, a.ResourceType(), strings.Join(names, ", "))
	}
	return ad, nil
}

// Types returns the TypeInfo of every registered type, sorted by name.
func (r *Registry) Types() []TypeInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]TypeInfo, 0, len(r.byType))
	for _, a := range r.byType {
		out = append(out, a.Info())
	}
	slices.SortFunc(out, func(a, b TypeInfo) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// TypeNames returns the sorted names of the registered types.
func (r *Registry) TypeNames() []string {
	types := r.Types()
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Type
	}
	return names
}
