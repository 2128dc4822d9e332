package replicator

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/awsreplicator/awsreplicator/job"
)

// Resource is a plain, serialisable description of one resource read from
// the source: everything an adapter needs to write it into a target, and
// nothing tied to an SDK. Reading produces a Resource; writing takes only a
// Resource and a target. That seam is what lets a job be planned, diffed,
// recorded to a file and replayed later.
type Resource struct {
	// Type is the CloudFormation type name, e.g. "AWS::SSM::Parameter".
	Type string `json:"type"`
	// Identifier is the source identifier (what resource_identifier holds).
	Identifier string `json:"identifier"`
	// ARN is the source ARN, where the type has one.
	ARN string `json:"arn,omitempty"`
	// Properties is the adapter's own description of the resource, as JSON
	// (see SetProperties and DecodeProperties). It holds no secret material.
	Properties json.RawMessage `json:"properties,omitempty"`
	// Tags are the resource's tags.
	Tags map[string]string `json:"tags,omitempty"`
	// DependsOn lists the resources that must exist in the target before
	// this one can be written (a subnet's VPC, a parameter's KMS key).
	DependsOn []Ref `json:"depends_on,omitempty"`
	// Secrets holds secret material (a SecureString value, a secret's
	// value) by field name, apart from Properties so a snapshot can redact
	// or encrypt it. Errors mentioning these values are redacted.
	Secrets map[string]job.Secret `json:"secrets,omitempty"`

	readErr error // set by Unreadable
}

// Unreadable returns a stand-in a Lister emits for a resource it listed but
// could not read (access denied to one secret's key, say): the runner
// reports that resource as failed with err and goes on with the others,
// instead of the whole listing failing.
func Unreadable(typ, id string, err error) *Resource {
	return &Resource{Type: typ, Identifier: id, readErr: err}
}

// Ref names another resource by type and identifier.
type Ref struct {
	Type       string `json:"type"`
	Identifier string `json:"identifier"`
	// Reason says why the reference exists ("encrypted with this key").
	Reason string `json:"reason,omitempty"`
}

// String returns "TYPE IDENTIFIER".
func (r Ref) String() string { return r.Type + " " + r.Identifier }

// Ref returns the reference to r.
func (r *Resource) Ref() Ref { return Ref{Type: r.Type, Identifier: r.Identifier} }

// SetProperties stores v, which must encode to a JSON object, as r's properties.
func (r *Resource) SetProperties(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("replicator: encoding properties of %s %s: %w", r.Type, r.Identifier, err)
	}
	r.Properties = b
	return nil
}

// DecodeProperties decodes r's properties into v.
func (r *Resource) DecodeProperties(v any) error {
	if len(r.Properties) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Properties, v); err != nil {
		return fmt.Errorf("replicator: decoding properties of %s %s: %w", r.Type, r.Identifier, err)
	}
	return nil
}

// redact replaces every secret value of r in s with [job.Redacted], so an
// error that echoes a value (some APIs do) cannot leak it.
func (r *Resource) redact(s string) string {
	// Longest first, so a value that contains another is replaced whole.
	vals := make([]string, 0, len(r.Secrets))
	for _, v := range r.Secrets {
		if v != "" {
			vals = append(vals, v.Reveal())
		}
	}
	slices.SortFunc(vals, func(a, b string) int { return len(b) - len(a) })
	for _, v := range vals {
		s = strings.ReplaceAll(s, v, job.Redacted)
	}
	return s
}
