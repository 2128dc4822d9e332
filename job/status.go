package job

import (
	"encoding/json"
	"fmt"
)

// Status is the job document returned when a job is submitted and when it is
// looked up:
//
//	{"job_id": "50005865-1589-4f6d-a720-c86f5a5dd021",
//	 "state": "SUCCEEDED",
//	 "resources": {"succeeded": [...], "failed": [], "skipped": []},
//	 "error_message": null,
//	 "type": "SINGLE_RESOURCE",
//	 "explore_strategy": "SIMPLE"}
//
// It never holds credentials or secret values. Fields beyond LocalStack's
// document (replication_job_config, the per-resource detail) are additions
// that LocalStack clients ignore.
type Status struct {
	JobID     string    `json:"job_id"`
	State     State     `json:"state"`
	Resources Resources `json:"resources"`
	// ErrorMessage is null unless State is ERROR.
	ErrorMessage    *string         `json:"error_message"`
	Type            ReplicationType `json:"type"`
	ExploreStrategy ExploreStrategy `json:"explore_strategy"`
	// Config is what the job was asked to replicate (without secrets).
	Config *StatusConfig `json:"replication_job_config,omitempty"`
	// LegacyConfig is the "replication_config" object that older LocalStack
	// releases returned. It is set only when such a document was decoded
	// (and is then encoded back); this package never sets it.
	LegacyConfig *StatusConfig `json:"replication_config,omitempty"`
	// Statistics counts the job's API calls.
	Statistics *Statistics `json:"statistics,omitempty"`
}

// Statistics counts the API calls a job made: every attempt, retries
// included, and how many of them were answered with a throttling error.
type Statistics struct {
	SourceCalls     int64 `json:"source_calls"`
	SourceThrottled int64 `json:"source_throttled"`
	TargetCalls     int64 `json:"target_calls"`
	TargetThrottled int64 `json:"target_throttled"`
}

// StatusConfig is the secret-free part of [Config] echoed in a [Status].
type StatusConfig struct {
	ResourceType          string `json:"resource_type,omitempty"`
	ResourceIdentifier    string `json:"resource_identifier,omitempty"`
	ResourceARN           string `json:"resource_arn,omitempty"`
	SourceRegionName      string `json:"source_region_name,omitempty"`
	IgnoreAlreadyExisting bool   `json:"ignore_already_existing,omitempty"`
}

// UnmarshalJSON accepts the older "identifier" field.
func (c *StatusConfig) UnmarshalJSON(b []byte) error {
	type plain StatusConfig
	var raw struct {
		plain
		Identifier string `json:"identifier"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*c = StatusConfig(raw.plain)
	if c.ResourceIdentifier == "" {
		c.ResourceIdentifier = raw.Identifier
	}
	return nil
}

// StatusConfigOf returns the secret-free echo of c.
func StatusConfigOf(c Config) *StatusConfig {
	return &StatusConfig{
		ResourceType:          c.ResourceType,
		ResourceIdentifier:    c.ResourceIdentifier,
		ResourceARN:           c.ResourceARN,
		SourceRegionName:      c.SourceRegionName,
		IgnoreAlreadyExisting: c.IgnoreAlreadyExisting,
	}
}

// MarshalJSON writes empty outcome lists as [] rather than null, as
// LocalStack does.
func (r Resources) MarshalJSON() ([]byte, error) {
	type plain Resources
	p := plain(r)
	for _, l := range []*[]Outcome{&p.Succeeded, &p.Failed, &p.Skipped} {
		if *l == nil {
			*l = []Outcome{}
		}
	}
	return json.Marshal(p)
}

// Resources lists the outcome of every resource a job handled.
type Resources struct {
	Succeeded []Outcome `json:"succeeded"`
	Failed    []Outcome `json:"failed"`
	Skipped   []Outcome `json:"skipped"`
}

// Len returns the number of outcomes.
func (r Resources) Len() int { return len(r.Succeeded) + len(r.Failed) + len(r.Skipped) }

// Result is the outcome of one resource.
type Result string

const (
	// Succeeded: the resource was written into the target and read back.
	Succeeded Result = "succeeded"
	// Failed: the resource could not be replicated; see Outcome.ErrorMessage.
	Failed Result = "failed"
	// Skipped: the resource already existed in the target and the job was
	// told to ignore that (ignore_already_existing).
	Skipped Result = "skipped"
)

// Outcome is what happened to one resource.
type Outcome struct {
	ResourceType       string `json:"resource_type"`
	ResourceIdentifier string `json:"resource_identifier"`
	// ResourceARN is the source ARN, when the type has one.
	ResourceARN string `json:"resource_arn,omitempty"`
	// TargetIdentifier and TargetARN are what the target holds, read back
	// from it after the write (empty when nothing was written).
	TargetIdentifier string `json:"target_identifier,omitempty"`
	TargetARN        string `json:"target_arn,omitempty"`
	// Identity says whether the target kept the source identifier and ARN.
	Identity Identity `json:"identity,omitempty"`
	// Dependency is true for a parent that was replicated because another
	// resource of the job needs it.
	Dependency   bool   `json:"dependency,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// Identity reports what reading the target back showed about identifiers.
type Identity string

const (
	// IdentityUnverified: the target was not read back (the resource failed
	// or was skipped).
	IdentityUnverified Identity = ""
	// IdentitySame: identifier and ARN in the target equal the source's.
	IdentitySame Identity = "same"
	// IdentitySameIdentifier: the identifier was kept but the ARN differs,
	// because the target account or region differs from the source.
	IdentitySameIdentifier Identity = "same_identifier"
	// IdentityDifferent: the target could not keep the identifier; see
	// TargetIdentifier for the one it assigned.
	IdentityDifferent Identity = "different"
)

// Add appends o to the list for result.
func (r *Resources) Add(result Result, o Outcome) {
	switch result {
	case Succeeded:
		r.Succeeded = append(r.Succeeded, o)
	case Failed:
		r.Failed = append(r.Failed, o)
	case Skipped:
		r.Skipped = append(r.Skipped, o)
	default:
		panic(fmt.Sprintf("job: unknown result %q", result))
	}
}

// Clone returns a deep copy, safe to hand to another goroutine.
func (s Status) Clone() Status {
	c := s
	c.Resources = Resources{
		Succeeded: append([]Outcome(nil), s.Resources.Succeeded...),
		Failed:    append([]Outcome(nil), s.Resources.Failed...),
		Skipped:   append([]Outcome(nil), s.Resources.Skipped...),
	}
	if s.ErrorMessage != nil {
		m := *s.ErrorMessage
		c.ErrorMessage = &m
	}
	if s.Config != nil {
		cc := *s.Config
		c.Config = &cc
	}
	if s.LegacyConfig != nil {
		lc := *s.LegacyConfig
		c.LegacyConfig = &lc
	}
	if s.Statistics != nil {
		st := *s.Statistics
		c.Statistics = &st
	}
	return c
}
