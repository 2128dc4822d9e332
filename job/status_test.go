package job_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/job"
)

// The job document of REFERENCE.md section 1.
const documentedJob = `{"job_id": "50005865-1589-4f6d-a720-c86f5a5dd021",
 "state": "TESTING_CONNECTION",
 "resources": {"succeeded": [], "failed": [], "skipped": []},
 "error_message": null,
 "type": "SINGLE_RESOURCE",
 "explore_strategy": "SIMPLE"}`

func TestStatusDecodeDocumented(t *testing.T) {
	var st job.Status
	if err := json.Unmarshal([]byte(documentedJob), &st); err != nil {
		t.Fatal(err)
	}
	want := job.Status{
		JobID:           "50005865-1589-4f6d-a720-c86f5a5dd021",
		State:           job.StateTestingConnection,
		Resources:       job.Resources{Succeeded: []job.Outcome{}, Failed: []job.Outcome{}, Skipped: []job.Outcome{}},
		Type:            job.SingleResource,
		ExploreStrategy: job.Simple,
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("decoded status mismatch (-want +got):\n%s", diff)
	}
	// And it encodes back to the same document.
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, b, documentedJob)
}

func TestStatusEncode(t *testing.T) {
	// A Status as the runner builds it: nil lists, nil message.
	st := job.Status{
		JobID:           "50005865-1589-4f6d-a720-c86f5a5dd021",
		State:           job.StateTestingConnection,
		Type:            job.SingleResource,
		ExploreStrategy: job.Simple,
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	// Field by field: the raw encoding of each top-level member.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string]string{
		"job_id":           `"50005865-1589-4f6d-a720-c86f5a5dd021"`,
		"state":            `"TESTING_CONNECTION"`,
		"resources":        `{"succeeded":[],"failed":[],"skipped":[]}`,
		"error_message":    `null`,
		"type":             `"SINGLE_RESOURCE"`,
		"explore_strategy": `"SIMPLE"`,
	} {
		got, ok := fields[name]
		if !ok {
			t.Errorf("field %q missing from %s", name, b)
			continue
		}
		if string(got) != raw {
			t.Errorf("field %q = %s, want %s", name, got, raw)
		}
	}
	if len(fields) != 6 {
		t.Errorf("encoded %d fields, want the 6 of LocalStack's document: %s", len(fields), b)
	}
	jsonEqual(t, b, documentedJob)
}

func TestStatusEncodeFull(t *testing.T) {
	msg := "AWS::SSM::Parameter p: already exists in the target"
	st := job.Status{
		JobID:           "id",
		State:           job.StateError,
		ErrorMessage:    &msg,
		Type:            job.Batch,
		ExploreStrategy: job.Tree,
		Config:          &job.StatusConfig{ResourceType: "AWS::SSM::Parameter", ResourceIdentifier: "/dev/"},
	}
	st.Resources.Add(job.Succeeded, job.Outcome{ResourceType: "AWS::SSM::Parameter", ResourceIdentifier: "/dev/a",
		ResourceARN: "arn:aws:ssm:eu-central-1:111111111111:parameter/dev/a", TargetIdentifier: "/dev/a",
		TargetARN: "arn:aws:ssm:eu-central-1:000000000000:parameter/dev/a", Identity: job.IdentitySameIdentifier})
	st.Resources.Add(job.Skipped, job.Outcome{ResourceType: "AWS::KMS::Key", ResourceIdentifier: "k", Dependency: true, ErrorMessage: "already exists"})
	st.Resources.Add(job.Failed, job.Outcome{ResourceType: "AWS::SSM::Parameter", ResourceIdentifier: "/dev/b", ErrorMessage: "boom"})
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, b, `{"job_id": "id", "state": "ERROR", "error_message": "AWS::SSM::Parameter p: already exists in the target",
	  "type": "BATCH", "explore_strategy": "TREE",
	  "replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifier": "/dev/"},
	  "resources": {
	    "succeeded": [{"resource_type": "AWS::SSM::Parameter", "resource_identifier": "/dev/a",
	       "resource_arn": "arn:aws:ssm:eu-central-1:111111111111:parameter/dev/a", "target_identifier": "/dev/a",
	       "target_arn": "arn:aws:ssm:eu-central-1:000000000000:parameter/dev/a", "identity": "same_identifier"}],
	    "failed": [{"resource_type": "AWS::SSM::Parameter", "resource_identifier": "/dev/b", "error_message": "boom"}],
	    "skipped": [{"resource_type": "AWS::KMS::Key", "resource_identifier": "k", "dependency": true, "error_message": "already exists"}]}}`)
	var back job.Status
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestStatusStatistics(t *testing.T) {
	st := job.Status{JobID: "id", State: job.StateRunning,
		Statistics: &job.Statistics{SourceCalls: 10, SourceThrottled: 2, TargetCalls: 5, TargetThrottled: 1}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, fields["statistics"], `{"source_calls": 10, "source_throttled": 2, "target_calls": 5, "target_throttled": 1}`)
	var back job.Status
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Statistics == nil || *back.Statistics != *st.Statistics {
		t.Errorf("Statistics round trip = %+v", back.Statistics)
	}
	// Zero counts are written, not omitted.
	b, _ = json.Marshal(job.Status{Statistics: &job.Statistics{}})
	_ = json.Unmarshal(b, &fields)
	jsonEqual(t, fields["statistics"], `{"source_calls": 0, "source_throttled": 0, "target_calls": 0, "target_throttled": 0}`)
}

// The seed document's older form: "replication_config" with "identifier".
func TestStatusDecodeLegacyConfig(t *testing.T) {
	doc := `{"job_id": "50005865-1589-4f6d-a720-c86f5a5dd021", "state": "SUCCEEDED",
	  "resources": {"succeeded": [{"resource_type": "AWS::SSM::Parameter", "resource_identifier": "myParameter"}], "failed": [], "skipped": []},
	  "error_message": null, "type": "SINGLE_RESOURCE", "explore_strategy": "SIMPLE",
	  "replication_config": {"resource_type": "AWS::SSM::PARAMETER", "identifier": "myParameter"}}`
	var st job.Status
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		t.Fatal(err)
	}
	if st.Config != nil {
		t.Errorf("Config = %+v, want nil", st.Config)
	}
	want := job.StatusConfig{ResourceType: "AWS::SSM::PARAMETER", ResourceIdentifier: "myParameter"}
	if st.LegacyConfig == nil || *st.LegacyConfig != want {
		t.Fatalf("LegacyConfig = %+v, want %+v", st.LegacyConfig, want)
	}
	if st.State != job.StateSucceeded || len(st.Resources.Succeeded) != 1 || st.Resources.Succeeded[0].ResourceIdentifier != "myParameter" {
		t.Errorf("status = %+v", st)
	}

	// The ARN form of the older document.
	var byARN job.Status
	if err := json.Unmarshal([]byte(`{"job_id": "x", "state": "RUNNING", "replication_config": {"resource_arn": "arn:aws:ssm:eu-central-1:111111111111:parameter/p"}}`), &byARN); err != nil {
		t.Fatal(err)
	}
	if byARN.LegacyConfig == nil || byARN.LegacyConfig.ResourceARN != "arn:aws:ssm:eu-central-1:111111111111:parameter/p" {
		t.Errorf("LegacyConfig = %+v", byARN.LegacyConfig)
	}
}

func TestStatusConfigIdentifier(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"identifier": "old"}`, "old"},
		{`{"resource_identifier": "new"}`, "new"},
		{`{"resource_identifier": "new", "identifier": "old"}`, "new"},
	} {
		var c job.StatusConfig
		if err := json.Unmarshal([]byte(tc.doc), &c); err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		if c.ResourceIdentifier != tc.want {
			t.Errorf("%s: ResourceIdentifier = %q, want %q", tc.doc, c.ResourceIdentifier, tc.want)
		}
	}
	var c job.StatusConfig
	if err := json.Unmarshal([]byte(`{"resource_type": 1}`), &c); err == nil {
		t.Errorf("a number for resource_type decoded without error")
	}
}

func TestResourcesAddLen(t *testing.T) {
	var r job.Resources
	if r.Len() != 0 {
		t.Fatalf("Len of zero = %d", r.Len())
	}
	r.Add(job.Succeeded, job.Outcome{ResourceIdentifier: "a"})
	r.Add(job.Succeeded, job.Outcome{ResourceIdentifier: "b"})
	r.Add(job.Failed, job.Outcome{ResourceIdentifier: "c"})
	r.Add(job.Skipped, job.Outcome{ResourceIdentifier: "d"})
	if r.Len() != 4 || len(r.Succeeded) != 2 || len(r.Failed) != 1 || len(r.Skipped) != 1 {
		t.Errorf("after Add: %+v", r)
	}
	if r.Succeeded[1].ResourceIdentifier != "b" {
		t.Errorf("Add does not append in order: %+v", r.Succeeded)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Add with an unknown result did not panic")
		}
	}()
	r.Add("partial", job.Outcome{})
}

func TestStatusClone(t *testing.T) {
	msg := "boom"
	st := job.Status{
		JobID:        "id",
		State:        job.StateError,
		ErrorMessage: &msg,
		Config:       &job.StatusConfig{ResourceType: "T"},
		LegacyConfig: &job.StatusConfig{ResourceType: "L"},
		Statistics:   &job.Statistics{SourceCalls: 3},
	}
	st.Resources.Add(job.Succeeded, job.Outcome{ResourceIdentifier: "a"})
	st.Resources.Add(job.Failed, job.Outcome{ResourceIdentifier: "b"})
	st.Resources.Add(job.Skipped, job.Outcome{ResourceIdentifier: "c"})
	c := st.Clone()
	if diff := cmp.Diff(st, c); diff != "" {
		t.Fatalf("Clone differs (-orig +clone):\n%s", diff)
	}
	// Mutating the clone leaves the original alone.
	*c.ErrorMessage = "changed"
	c.Config.ResourceType = "changed"
	c.LegacyConfig.ResourceType = "changed"
	c.Statistics.SourceCalls = 99
	c.Resources.Succeeded[0].ResourceIdentifier = "changed"
	c.Resources.Failed[0].ResourceIdentifier = "changed"
	c.Resources.Skipped[0].ResourceIdentifier = "changed"
	c.Resources.Add(job.Succeeded, job.Outcome{})
	if *st.ErrorMessage != "boom" || st.Config.ResourceType != "T" || st.LegacyConfig.ResourceType != "L" ||
		st.Resources.Succeeded[0].ResourceIdentifier != "a" || st.Resources.Failed[0].ResourceIdentifier != "b" ||
		st.Resources.Skipped[0].ResourceIdentifier != "c" || st.Resources.Len() != 3 || st.Statistics.SourceCalls != 3 {
		t.Errorf("mutating the clone changed the original: %+v", st)
	}
	// Clone of a zero Status is a zero-ish Status that still encodes [] lists.
	b, err := json.Marshal(job.Status{}.Clone())
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(b, &fields)
	if string(fields["resources"]) != `{"succeeded":[],"failed":[],"skipped":[]}` {
		t.Errorf("resources of a cloned zero Status = %s", fields["resources"])
	}
}

func TestResourcesMarshalDoesNotMutate(t *testing.T) {
	var r job.Resources
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	if r.Succeeded != nil || r.Failed != nil || r.Skipped != nil {
		t.Errorf("MarshalJSON changed the receiver: %+v", r)
	}
	b, _ := json.Marshal(&r)
	if string(b) != `{"succeeded":[],"failed":[],"skipped":[]}` {
		t.Errorf("Marshal(&Resources{}) = %s", b)
	}
}

func TestIdentityValues(t *testing.T) {
	for id, wire := range map[job.Identity]string{
		job.IdentityUnverified:     "",
		job.IdentitySame:           "same",
		job.IdentitySameIdentifier: "same_identifier",
		job.IdentityDifferent:      "different",
	} {
		if string(id) != wire {
			t.Errorf("identity %q, want %q", id, wire)
		}
	}
	for r, wire := range map[job.Result]string{job.Succeeded: "succeeded", job.Failed: "failed", job.Skipped: "skipped"} {
		if string(r) != wire {
			t.Errorf("result %q, want %q", r, wire)
		}
	}
}
