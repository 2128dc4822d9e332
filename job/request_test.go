package job_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/job"
)

// The request documents of REFERENCE.md section 1, as LocalStack's
// replicator accepts them.
const (
	requestByType = `{"replication_type": "SINGLE_RESOURCE",
 "explore_strategy": "SIMPLE",
 "replication_job_config": {
    "resource_type": "AWS::SSM::Parameter", "resource_identifier": "myparam",
    "source_region_name": "eu-central-1",
    "ignore_already_existing": true,
    "master_user_password": "master-pw-1"
 },
 "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "src-secret-1",
                       "aws_session_token": "src-token-1", "region_name": "eu-central-1", "endpoint_url": "http://127.0.0.1:5000"},
 "target_aws_config": {}
}`
	requestByARN = `{"replication_type": "SINGLE_RESOURCE",
 "explore_strategy": "SIMPLE",
 "replication_job_config": {
    "resource_arn": "arn:aws:ssm:eu-central-1:111111111111:parameter/myparam"
 },
 "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "src-secret-1", "region_name": "eu-central-1"}
}`
	// The older docs' "identifier" field, and ignore_already_existing as the
	// string the LocalStack CLI's --extra-config sends.
	requestOlderIdentifier = `{"replication_type": "BATCH",
 "explore_strategy": "TREE",
 "replication_job_config": {"resource_type": "AWS::SSM::Parameter", "identifier": "/dev/", "ignore_already_existing": "true"},
 "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "src-secret-1"},
 "target_aws_config": {"aws_access_key_id": "111111111111", "aws_secret_access_key": "test", "region_name": "us-east-1", "endpoint_url": "http://localhost.localstack.cloud:4566"}
}`
)

func decode(t *testing.T, doc string) job.Request {
	t.Helper()
	req, err := job.DecodeRequest(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	return req
}

// jsonEqual compares two JSON documents by value, ignoring layout and key order.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("unmarshal got %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("unmarshal want %s: %v", want, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s\ngot: %s", diff, got)
	}
}

func TestDecodeRequestByType(t *testing.T) {
	req := decode(t, requestByType)
	want := job.Request{
		ReplicationType: job.SingleResource,
		ExploreStrategy: job.Simple,
		Config: job.Config{
			ResourceType:          "AWS::SSM::Parameter",
			ResourceIdentifier:    "myparam",
			SourceRegionName:      "eu-central-1",
			IgnoreAlreadyExisting: true,
			MasterUserPassword:    "master-pw-1",
		},
		Source: job.AWSConfig{
			AccessKeyID:     "AKIAEXAMPLE",
			SecretAccessKey: "src-secret-1",
			SessionToken:    "src-token-1",
			RegionName:      "eu-central-1",
			EndpointURL:     "http://127.0.0.1:5000",
		},
		Target: &job.AWSConfig{},
	}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Errorf("DecodeRequest mismatch (-want +got):\n%s", diff)
	}
	if !req.Target.IsZero() {
		t.Errorf("Target.IsZero() = false for {}")
	}
	if req.Source.IsZero() {
		t.Errorf("Source.IsZero() = true for a filled config")
	}
	if got := req.Config.MasterUserPassword.Reveal(); got != "master-pw-1" {
		t.Errorf("MasterUserPassword.Reveal() = %q", got)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		// canonical is the document encoding the decoded request must give;
		// "" means the input document itself.
		canonical string
	}{
		{name: "resource_type and resource_identifier", doc: requestByType},
		{name: "resource_arn", doc: requestByARN},
		{
			name: "older identifier and string bool",
			doc:  requestOlderIdentifier,
			canonical: `{"replication_type": "BATCH", "explore_strategy": "TREE",
 "replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifier": "/dev/", "ignore_already_existing": true},
 "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "src-secret-1"},
 "target_aws_config": {"aws_access_key_id": "111111111111", "aws_secret_access_key": "test", "region_name": "us-east-1", "endpoint_url": "http://localhost.localstack.cloud:4566"}}`,
		},
		{
			name:      "defaults are applied and then written",
			doc:       `{"replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifier": "p"}, "source_aws_config": {}}`,
			canonical: `{"replication_type": "SINGLE_RESOURCE", "explore_strategy": "SIMPLE", "replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifier": "p"}, "source_aws_config": {}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := decode(t, tc.doc)
			b, err := json.Marshal(req)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			want := tc.canonical
			if want == "" {
				want = tc.doc
			}
			jsonEqual(t, b, want)
			// And the encoding decodes to the same request.
			again := decode(t, string(b))
			if diff := cmp.Diff(req, again); diff != "" {
				t.Errorf("decode(encode(req)) mismatch (-first +second):\n%s", diff)
			}
		})
	}
}

func TestDecodeRequestARN(t *testing.T) {
	req := decode(t, requestByARN)
	if req.Config.ResourceARN != "arn:aws:ssm:eu-central-1:111111111111:parameter/myparam" {
		t.Errorf("ResourceARN = %q", req.Config.ResourceARN)
	}
	if req.Config.ResourceType != "" || req.Config.ResourceIdentifier != "" {
		t.Errorf("type/identifier = %q/%q, want empty", req.Config.ResourceType, req.Config.ResourceIdentifier)
	}
	if req.Target != nil {
		t.Errorf("Target = %+v, want nil when target_aws_config is absent", req.Target)
	}
}

func TestDecodeRequestOlderIdentifier(t *testing.T) {
	req := decode(t, requestOlderIdentifier)
	if req.Config.ResourceIdentifier != "/dev/" {
		t.Errorf("ResourceIdentifier = %q, want the value of identifier", req.Config.ResourceIdentifier)
	}
	if !req.Config.IgnoreAlreadyExisting {
		t.Errorf("IgnoreAlreadyExisting = false for \"true\"")
	}
	if req.ReplicationType != job.Batch || req.ExploreStrategy != job.Tree {
		t.Errorf("type/strategy = %s/%s", req.ReplicationType, req.ExploreStrategy)
	}
	if req.Target == nil || req.Target.AccessKeyID != "111111111111" || req.Target.RegionName != "us-east-1" {
		t.Errorf("Target = %+v", req.Target)
	}
}

func TestDecodeRequestIgnoreAlreadyExisting(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{`true`, true},
		{`false`, false},
		{`null`, false},
		{`"true"`, true},
		{`"false"`, false},
		{`"True"`, true},
		{`" true "`, true},
		{`"1"`, true},
		{`"0"`, false},
	} {
		t.Run(tc.value, func(t *testing.T) {
			req := decode(t, `{"replication_job_config": {"resource_type": "T", "resource_identifier": "i", "ignore_already_existing": `+tc.value+`}}`)
			if req.Config.IgnoreAlreadyExisting != tc.want {
				t.Errorf("IgnoreAlreadyExisting = %v, want %v", req.Config.IgnoreAlreadyExisting, tc.want)
			}
		})
	}
	req := decode(t, `{"replication_job_config": {"resource_type": "T", "resource_identifier": "i"}}`)
	if req.Config.IgnoreAlreadyExisting {
		t.Errorf("IgnoreAlreadyExisting = true when absent")
	}
}

func TestDecodeRequestIdentifierAgreeing(t *testing.T) {
	// Both names with the same value is not a conflict.
	req := decode(t, `{"replication_job_config": {"resource_type": "T", "resource_identifier": "i", "identifier": "i"}}`)
	if req.Config.ResourceIdentifier != "i" {
		t.Errorf("ResourceIdentifier = %q", req.Config.ResourceIdentifier)
	}
}

func TestDecodeRequestBatchWithoutIdentifier(t *testing.T) {
	req := decode(t, `{"replication_type": "BATCH", "replication_job_config": {"resource_type": "AWS::SSM::Parameter"}}`)
	if req.ReplicationType != job.Batch || req.Config.ResourceIdentifier != "" {
		t.Errorf("got %+v", req)
	}
}

func TestDecodeRequestEnumCase(t *testing.T) {
	// The enum parsers are case-insensitive; a request in lower case is
	// accepted and normalised to the canonical constants.
	req := decode(t, `{"replication_type": "batch", "explore_strategy": "tree", "replication_job_config": {"resource_type": "T"}}`)
	if req.ReplicationType != job.Batch || req.ExploreStrategy != job.Tree {
		t.Errorf("type/strategy = %q/%q, want BATCH/TREE", req.ReplicationType, req.ExploreStrategy)
	}
}

// validConfig is a replication_job_config that is valid for SINGLE_RESOURCE.
const validConfig = `"replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifier": "p"}`

func TestDecodeRequestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		// mention are substrings the message must contain: the offending
		// field or value.
		mention []string
	}{
		{name: "empty body", doc: ``, mention: []string{"EOF"}},
		{name: "malformed JSON", doc: `{"replication_type": "SINGLE_RESOURCE",`, mention: []string{"unexpected EOF"}},
		{name: "not an object", doc: `["SINGLE_RESOURCE"]`, mention: []string{"cannot unmarshal array"}},
		{name: "unknown top-level field", doc: `{"replication_typo": "BATCH", ` + validConfig + `}`, mention: []string{`"replication_typo"`}},
		{name: "unknown field in replication_job_config", doc: `{"replication_job_config": {"resource_type": "T", "resource_identifier": "i", "resource_idenitfier": "x"}}`, mention: []string{"replication_job_config", `"resource_idenitfier"`}},
		{name: "unknown field in source_aws_config", doc: `{` + validConfig + `, "source_aws_config": {"aws_secret_key": "x"}}`, mention: []string{`"aws_secret_key"`}},
		{name: "trailing document", doc: `{` + validConfig + `} {}`, mention: []string{"after the JSON document"}},
		{name: "trailing garbage", doc: `{` + validConfig + `} x`, mention: []string{"after the JSON document"}},
		{name: "trailing closing brace", doc: `{` + validConfig + `}}`, mention: []string{"after the JSON document"}},
		{name: "trailing closing bracket", doc: `{` + validConfig + `}]`, mention: []string{"after the JSON document"}},
		{name: "wrong replication_type", doc: `{"replication_type": "MULTI", ` + validConfig + `}`, mention: []string{"replication_type", `"MULTI"`, "SINGLE_RESOURCE", "BATCH"}},
		{name: "wrong explore_strategy", doc: `{"explore_strategy": "DEEP", ` + validConfig + `}`, mention: []string{"explore_strategy", `"DEEP"`, "SIMPLE", "TREE"}},
		{name: "replication_type of the wrong JSON type", doc: `{"replication_type": 1, ` + validConfig + `}`, mention: []string{"replication_type"}},
		{name: "missing replication_job_config", doc: `{}`, mention: []string{"resource_type", "resource_arn", "required"}},
		{name: "null replication_job_config", doc: `{"replication_job_config": null}`, mention: []string{"resource_type", "resource_arn", "required"}},
		{name: "empty replication_job_config", doc: `{"replication_job_config": {}}`, mention: []string{"resource_type", "resource_arn", "required"}},
		{name: "identifier without type", doc: `{"replication_job_config": {"resource_identifier": "p"}}`, mention: []string{"resource_type", "required"}},
		{name: "arn and type both", doc: `{"replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_arn": "arn:aws:ssm:eu-central-1:111111111111:parameter/p"}}`, mention: []string{"resource_arn", "resource_type"}},
		{name: "arn and identifier both", doc: `{"replication_job_config": {"resource_identifier": "p", "resource_arn": "arn:aws:ssm:eu-central-1:111111111111:parameter/p"}}`, mention: []string{"resource_arn", "resource_identifier"}},
		{name: "arn and older identifier both", doc: `{"replication_job_config": {"identifier": "p", "resource_arn": "arn:aws:ssm:eu-central-1:111111111111:parameter/p"}}`, mention: []string{"resource_arn", "resource_identifier"}},
		{name: "type without identifier (SINGLE)", doc: `{"replication_job_config": {"resource_type": "AWS::SSM::Parameter"}}`, mention: []string{"AWS::SSM::Parameter", "resource_identifier"}},
		{name: "type without identifier (explicit SINGLE_RESOURCE)", doc: `{"replication_type": "SINGLE_RESOURCE", "replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifier": ""}}`, mention: []string{"resource_identifier"}},
		{name: "non-arn resource_arn", doc: `{"replication_job_config": {"resource_arn": "ssm:eu-central-1:parameter/p"}}`, mention: []string{"resource_arn", `"ssm:eu-central-1:parameter/p"`, "not an ARN"}},
		{name: "conflicting identifier and resource_identifier", doc: `{"replication_job_config": {"resource_type": "T", "resource_identifier": "a", "identifier": "b"}}`, mention: []string{"resource_identifier", "identifier", `"a"`, `"b"`}},
		{name: "bad ignore_already_existing string", doc: `{"replication_job_config": {"resource_type": "T", "resource_identifier": "i", "ignore_already_existing": "yes"}}`, mention: []string{"ignore_already_existing", `"yes"`}},
		{name: "bad ignore_already_existing number", doc: `{"replication_job_config": {"resource_type": "T", "resource_identifier": "i", "ignore_already_existing": 1}}`, mention: []string{"ignore_already_existing", "1"}},
		{name: "master_user_password not a string", doc: `{"replication_job_config": {"resource_type": "T", "resource_identifier": "i", "master_user_password": 5}}`, mention: []string{"master_user_password"}},
		{name: "secret key not a string", doc: `{` + validConfig + `, "source_aws_config": {"aws_secret_access_key": 5}}`, mention: []string{"aws_secret_access_key"}},
		{name: "oversized body", doc: `{` + validConfig + `, "source_aws_config": {"endpoint_url": "` + strings.Repeat("x", job.MaxRequestBytes) + `"}}`, mention: []string{"larger than", "1048576"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := job.DecodeRequest(strings.NewReader(tc.doc))
			if err == nil {
				t.Fatalf("DecodeRequest succeeded: %+v", req)
			}
			if !errors.Is(err, job.ErrInvalidRequest) {
				t.Errorf("error %v does not wrap ErrInvalidRequest", err)
			}
			if tooLarge := strings.HasPrefix(tc.name, "oversized"); errors.Is(err, job.ErrRequestTooLarge) != tooLarge {
				t.Errorf("errors.Is(%v, ErrRequestTooLarge) = %v, want %v", err, !tooLarge, tooLarge)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if diff := cmp.Diff(job.Request{}, req); diff != "" {
				t.Errorf("a failed decode returned a non-zero request:\n%s", diff)
			}
		})
	}
}

func TestDecodeRequestExactlyMaxBytes(t *testing.T) {
	head := `{` + validConfig + `, "source_aws_config": {"endpoint_url": "`
	tail := `"}}`
	doc := head + strings.Repeat("x", job.MaxRequestBytes-len(head)-len(tail)) + tail
	if len(doc) != job.MaxRequestBytes {
		t.Fatalf("len = %d", len(doc))
	}
	if _, err := job.DecodeRequest(strings.NewReader(doc)); err != nil {
		t.Errorf("a document of exactly MaxRequestBytes: %v", err)
	}
	if _, err := job.DecodeRequest(strings.NewReader(doc + " ")); !errors.Is(err, job.ErrInvalidRequest) || !errors.Is(err, job.ErrRequestTooLarge) {
		t.Errorf("one byte over MaxRequestBytes: err = %v, want ErrInvalidRequest and ErrRequestTooLarge", err)
	}
}

func TestDecodeRequestReadError(t *testing.T) {
	_, err := job.DecodeRequest(iotest.ErrReader(errors.New("connection reset")))
	if !errors.Is(err, job.ErrInvalidRequest) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("err = %v, want ErrInvalidRequest naming the read error", err)
	}
}

func TestRequestValidate(t *testing.T) {
	r := job.Request{Config: job.Config{ResourceType: "T", ResourceIdentifier: "i"}}
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if r.ReplicationType != job.SingleResource || r.ExploreStrategy != job.Simple {
		t.Errorf("defaults not applied: %q/%q", r.ReplicationType, r.ExploreStrategy)
	}
	bad := job.Request{ReplicationType: "X", Config: job.Config{ResourceType: "T", ResourceIdentifier: "i"}}
	if err := bad.Validate(); !errors.Is(err, job.ErrInvalidRequest) {
		t.Errorf("Validate of a bad type: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    job.Config
		t    job.ReplicationType
		ok   bool
	}{
		{"type and id single", job.Config{ResourceType: "T", ResourceIdentifier: "i"}, job.SingleResource, true},
		{"type only batch", job.Config{ResourceType: "T"}, job.Batch, true},
		{"type only single", job.Config{ResourceType: "T"}, job.SingleResource, false},
		{"arn single", job.Config{ResourceARN: "arn:aws:ssm:eu-central-1:111111111111:parameter/p"}, job.SingleResource, true},
		{"arn with type", job.Config{ResourceARN: "arn:aws:x", ResourceType: "T"}, job.SingleResource, false},
		{"nothing", job.Config{}, job.Batch, false},
		{"not an arn", job.Config{ResourceARN: "parameter/p"}, job.SingleResource, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate(tc.t)
			if (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, job.ErrInvalidRequest) {
				t.Errorf("%v does not wrap ErrInvalidRequest", err)
			}
		})
	}
}
