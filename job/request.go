package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// Request is the document that submits a job (the body of
// POST /_localstack/replicator/jobs):
//
//	{"replication_type": "SINGLE_RESOURCE",
//	 "explore_strategy": "SIMPLE",
//	 "replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifier": "myparam"},
//	 "source_aws_config": {"aws_access_key_id": "...", "aws_secret_access_key": "...", "region_name": "eu-central-1"},
//	 "target_aws_config": {}}
type Request struct {
	// ReplicationType defaults to SINGLE_RESOURCE when empty.
	ReplicationType ReplicationType `json:"replication_type,omitempty"`
	// ExploreStrategy defaults to SIMPLE when empty.
	ExploreStrategy ExploreStrategy `json:"explore_strategy,omitempty"`
	Config          Config          `json:"replication_job_config"`
	Source          AWSConfig       `json:"source_aws_config"`
	// Target is optional; its empty fields take defaults (see package credentials).
	Target *AWSConfig `json:"target_aws_config,omitempty"`
}

// Config selects what a job replicates: ResourceType with ResourceIdentifier,
// or ResourceARN alone.
type Config struct {
	ResourceType       string `json:"resource_type,omitempty"`
	ResourceIdentifier string `json:"resource_identifier,omitempty"`
	ResourceARN        string `json:"resource_arn,omitempty"`
	// SourceRegionName overrides the region of the source credentials.
	SourceRegionName string `json:"source_region_name,omitempty"`
	// IgnoreAlreadyExisting turns a resource that already exists in the
	// target into a "skipped" outcome instead of an error.
	IgnoreAlreadyExisting bool `json:"ignore_already_existing,omitempty"`
	// MasterUserPassword is used for RDS resources (their password cannot
	// be read from AWS).
	MasterUserPassword Secret `json:"master_user_password,omitempty"`
}

// UnmarshalJSON accepts the older field name "identifier" for
// "resource_identifier", and "true"/"false" strings for
// ignore_already_existing (the form the LocalStack CLI's --extra-config sends).
func (c *Config) UnmarshalJSON(b []byte) error {
	var raw struct {
		ResourceType          string          `json:"resource_type"`
		ResourceIdentifier    string          `json:"resource_identifier"`
		Identifier            string          `json:"identifier"`
		ResourceARN           string          `json:"resource_arn"`
		SourceRegionName      string          `json:"source_region_name"`
		IgnoreAlreadyExisting json.RawMessage `json:"ignore_already_existing"`
		MasterUserPassword    Secret          `json:"master_user_password"`
	}
	if err := decodeStrict(b, &raw); err != nil {
		return fmt.Errorf("replication_job_config: %w", err)
	}
	if raw.ResourceIdentifier != "" && raw.Identifier != "" && raw.ResourceIdentifier != raw.Identifier {
		return fmt.Errorf("%w: replication_job_config has both resource_identifier %q and identifier %q: send only resource_identifier",
			ErrInvalidRequest, raw.ResourceIdentifier, raw.Identifier)
	}
	ignore, err := parseLooseBool(raw.IgnoreAlreadyExisting)
	if err != nil {
		return fmt.Errorf("%w: replication_job_config.ignore_already_existing: %v", ErrInvalidRequest, err)
	}
	*c = Config{
		ResourceType:          raw.ResourceType,
		ResourceIdentifier:    raw.ResourceIdentifier,
		ResourceARN:           raw.ResourceARN,
		SourceRegionName:      raw.SourceRegionName,
		IgnoreAlreadyExisting: ignore,
		MasterUserPassword:    raw.MasterUserPassword,
	}
	if c.ResourceIdentifier == "" {
		c.ResourceIdentifier = raw.Identifier
	}
	return nil
}

func parseLooseBool(m json.RawMessage) (bool, error) {
	if len(m) == 0 || string(m) == "null" {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(m, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(m, &s); err != nil {
		return false, fmt.Errorf("want true or false, got %s", m)
	}
	v, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, fmt.Errorf("want true or false, got %q", s)
	}
	return v, nil
}

// AWSConfig is the wire form of credentials and endpoint for the source or
// the target.
type AWSConfig struct {
	AccessKeyID     string `json:"aws_access_key_id,omitempty"`
	SecretAccessKey Secret `json:"aws_secret_access_key,omitempty"`
	SessionToken    Secret `json:"aws_session_token,omitempty"`
	RegionName      string `json:"region_name,omitempty"`
	EndpointURL     string `json:"endpoint_url,omitempty"`
}

// IsZero reports whether no field is set.
func (c AWSConfig) IsZero() bool { return c == AWSConfig{} }

// LogValue implements slog.LogValuer: the secret key and token show as
// [Redacted] whatever the handler (a JSON handler would otherwise encode
// them with their MarshalJSON, which carries the value for the wire).
func (c AWSConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("aws_access_key_id", c.AccessKeyID),
		slog.String("aws_secret_access_key", c.SecretAccessKey.String()),
		slog.String("aws_session_token", c.SessionToken.String()),
		slog.String("region_name", c.RegionName),
		slog.String("endpoint_url", c.EndpointURL),
	)
}

// LogValue implements slog.LogValuer, redacting the credentials and the
// master user password.
func (r Request) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("replication_type", string(r.ReplicationType)),
		slog.String("explore_strategy", string(r.ExploreStrategy)),
		slog.Any("replication_job_config", StatusConfigOf(r.Config)),
		slog.Any("source_aws_config", r.Source),
	}
	if r.Target != nil {
		attrs = append(attrs, slog.Any("target_aws_config", *r.Target))
	}
	return slog.GroupValue(attrs...)
}

// LogValue implements slog.LogValuer, redacting the master user password.
func (c Config) LogValue() slog.Value {
	return slog.AnyValue(StatusConfigOf(c))
}

// ErrInvalidRequest is wrapped by every error [DecodeRequest] and
// [Request.Validate] return for a document that cannot be a job.
var ErrInvalidRequest = errors.New("job: invalid request")

// ErrRequestTooLarge is wrapped (with [ErrInvalidRequest]) by the error for a
// document over [MaxRequestBytes].
var ErrRequestTooLarge = errors.New("request too large")

// MaxRequestBytes bounds the size of a request document [DecodeRequest] reads.
const MaxRequestBytes = 1 << 20

// DecodeRequest reads one request document strictly: unknown fields (a
// likely typo), trailing data and documents over [MaxRequestBytes] are
// errors naming the problem. It applies defaults and calls
// [Request.Validate].
func DecodeRequest(r io.Reader) (Request, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxRequestBytes+1))
	if err != nil {
		return Request{}, fmt.Errorf("%w: reading body: %v", ErrInvalidRequest, err)
	}
	if len(b) > MaxRequestBytes {
		return Request{}, fmt.Errorf("%w: %w: body is larger than %d bytes", ErrInvalidRequest, ErrRequestTooLarge, MaxRequestBytes)
	}
	var req Request
	if err := decodeStrict(b, &req); err != nil {
		if errors.Is(err, ErrInvalidRequest) {
			return Request{}, err
		}
		return Request{}, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	req.applyDefaults()
	if err := req.Validate(); err != nil {
		return Request{}, err
	}
	return req, nil
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// dec.More is not enough: it reports false for a stray '}' or ']'.
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON document")
	}
	return nil
}

func (r *Request) applyDefaults() {
	if r.ReplicationType == "" {
		r.ReplicationType = SingleResource
	}
	if r.ExploreStrategy == "" {
		r.ExploreStrategy = Simple
	}
}

// Validate checks what can be checked without a registry of resource types
// or a network: enum values, and that the resource is named either by type
// and identifier or by ARN. Empty enums take their defaults first; enum
// values are matched case-insensitively and normalised.
func (r *Request) Validate() error {
	r.applyDefaults()
	// Parse, not Valid: a value that differs only in case ("batch") is
	// normalised rather than reported with a nil error.
	t, err := ParseReplicationType(string(r.ReplicationType))
	if err != nil {
		return fmt.Errorf("%w: replication_type: %v", ErrInvalidRequest, err)
	}
	e, err := ParseExploreStrategy(string(r.ExploreStrategy))
	if err != nil {
		return fmt.Errorf("%w: explore_strategy: %v", ErrInvalidRequest, err)
	}
	r.ReplicationType, r.ExploreStrategy = t, e
	return r.Config.Validate(r.ReplicationType)
}

// Validate checks that c names a resource one way: ResourceARN alone, or
// ResourceType with ResourceIdentifier. A BATCH job may leave the
// identifier empty (for types where that means "all").
func (c Config) Validate(t ReplicationType) error {
	switch {
	case c.ResourceARN != "" && (c.ResourceType != "" || c.ResourceIdentifier != ""):
		return fmt.Errorf("%w: replication_job_config: resource_arn cannot be combined with resource_type or resource_identifier: send one or the other", ErrInvalidRequest)
	case c.ResourceARN != "":
		if !strings.HasPrefix(c.ResourceARN, "arn:") {
			return fmt.Errorf("%w: replication_job_config.resource_arn %q is not an ARN: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE", ErrInvalidRequest, c.ResourceARN)
		}
	case c.ResourceType == "":
		return fmt.Errorf("%w: replication_job_config: resource_type (with resource_identifier) or resource_arn is required", ErrInvalidRequest)
	case c.ResourceIdentifier == "" && t != Batch:
		return fmt.Errorf("%w: replication_job_config: resource_type %s needs a resource_identifier", ErrInvalidRequest, c.ResourceType)
	}
	return nil
}
