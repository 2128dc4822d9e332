package replicator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

// isolateEnv keeps the host's AWS settings out of credentials.LoadSource and
// LoadTarget, and disables IMDS.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_CA_BUNDLE", "AWS_DEFAULTS_MODE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	} {
		t.Setenv(v, "")
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

const httpSecret = "http-source-secret-value"

// validBody is a request whose source and target are loopback ports where
// nothing listens: the job ends in ERROR without leaving the machine.
const validBody = `{"replication_type": "SINGLE_RESOURCE", "explore_strategy": "SIMPLE",
 "replication_job_config": {"resource_type": "Test::Fake::Thing", "resource_identifier": "a"},
 "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "` + httpSecret + `",
                       "aws_session_token": "` + httpSecret + `-token", "region_name": "eu-central-1", "endpoint_url": "http://127.0.0.1:1"},
 "target_aws_config": {"endpoint_url": "http://127.0.0.1:1"}}`

// newAPI returns the handler over a fake registry; jobs it starts are
// cancelled and awaited when the test ends.
func newAPI(t *testing.T, opts replicator.HandlerOptions) (http.Handler, *replicator.Runner) {
	t.Helper()
	isolateEnv(t)
	_, r := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		for _, st := range r.Jobs() {
			if j, ok := r.Job(st.JobID); ok {
				<-j.Done()
			}
		}
	})
	opts.BaseContext = ctx
	return replicator.NewHandler(r, opts), r
}

func serve(h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeAPIError(t *testing.T, rec *httptest.ResponseRecorder) replicator.APIError {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var e replicator.APIError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	return e
}

func TestHandlerResources(t *testing.T) {
	h, _ := newAPI(t, replicator.HandlerOptions{})
	rec := serve(h, "GET", replicator.APIPath+"/resources", "", "")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var types []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &types); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ti := range types {
		names = append(names, ti["resource_type"].(string))
	}
	if strings.Join(names, ",") != strings.Join([]string{typeBasic, typeChild, typeParent, typeThing}, ",") {
		t.Errorf("resource types = %q", names)
	}
}

func TestHandlerEmptyJobs(t *testing.T) {
	h, _ := newAPI(t, replicator.HandlerOptions{})
	rec := serve(h, "GET", replicator.APIPath+"/jobs", "", "")
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("GET /jobs = %d %s, want 200 []", rec.Code, rec.Body)
	}
}

func TestHandlerErrors(t *testing.T) {
	h, _ := newAPI(t, replicator.HandlerOptions{})
	jobs := replicator.APIPath + "/jobs"
	for _, tc := range []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		code        int
		kind        string
		mention     []string
	}{
		{name: "unknown job", method: "GET", path: jobs + "/nope", code: 404, kind: "NotFound", mention: []string{`"nope"`}},
		{name: "unknown endpoint", method: "GET", path: replicator.APIPath + "/nope", code: 404, kind: "NotFound", mention: []string{"/nope"}},
		{name: "DELETE jobs", method: "DELETE", path: jobs, code: 405, kind: "MethodNotAllowed", mention: []string{"DELETE", "GET, POST"}},
		{name: "POST a job id", method: "POST", path: jobs + "/x", code: 405, kind: "MethodNotAllowed", mention: []string{"GET"}},
		{name: "PUT resources", method: "PUT", path: replicator.APIPath + "/resources", code: 405, kind: "MethodNotAllowed"},
		{name: "wrong content type", method: "POST", path: jobs, contentType: "text/plain", body: validBody, code: 415, kind: "InvalidRequest", mention: []string{"application/json"}},
		{name: "malformed JSON", method: "POST", path: jobs, contentType: "application/json", body: `{"replication_type":`, code: 400, kind: "InvalidRequest"},
		{name: "unknown field", method: "POST", path: jobs, body: `{"replication_typ": "BATCH"}`, code: 400, kind: "InvalidRequest", mention: []string{`"replication_typ"`}},
		{name: "too large", method: "POST", path: jobs, body: `{"x": "` + strings.Repeat("x", job.MaxRequestBytes) + `"}`, code: 413, kind: "InvalidRequest", mention: []string{"larger than"}},
		{
			name: "no source credentials", method: "POST", path: jobs, code: 400, kind: "InvalidRequest",
			body:    `{"replication_job_config": {"resource_type": "Test::Fake::Thing", "resource_identifier": "a"}, "source_aws_config": {"region_name": "eu-central-1"}}`,
			mention: []string{"source_aws_config", "aws_access_key_id"},
		},
		{
			name: "no source region", method: "POST", path: jobs, code: 400, kind: "InvalidRequest",
			body:    `{"replication_job_config": {"resource_type": "Test::Fake::Thing", "resource_identifier": "a"}, "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "` + httpSecret + `"}}`,
			mention: []string{"region_name"},
		},
		{
			name: "unknown type", method: "POST", path: jobs, code: 400, kind: "InvalidRequest",
			body:    strings.Replace(validBody, "Test::Fake::Thing", "AWS::Nope::Nope", 1),
			mention: []string{"AWS::Nope::Nope", typeThing},
		},
		{
			name: "target is AWS", method: "POST", path: jobs, code: 400, kind: "InvalidRequest",
			body:    strings.Replace(validBody, `"target_aws_config": {"endpoint_url": "http://127.0.0.1:1"}`, `"target_aws_config": {"endpoint_url": "https://ssm.eu-central-1.amazonaws.com"}`, 1),
			mention: []string{"target_aws_config", "not an emulator"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h, tc.method, tc.path, tc.contentType, tc.body)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			e := decodeAPIError(t, rec)
			if e.Error != tc.kind {
				t.Errorf("error = %q, want %q", e.Error, tc.kind)
			}
			for _, m := range tc.mention {
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q does not mention %q", e.Message, m)
				}
			}
			for _, prefix := range []string{"job: invalid request: ", "replicator: invalid job: "} {
				if strings.HasPrefix(e.Message, prefix) {
					t.Errorf("message %q keeps the Go prefix %q", e.Message, prefix)
				}
			}
			if strings.Contains(rec.Body.String(), httpSecret) {
				t.Errorf("the answer echoes the secret: %s", rec.Body)
			}
			if tc.code == 405 && rec.Header().Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
}

func TestHandlerSubmitAndGet(t *testing.T) {
	h, r := newAPI(t, replicator.HandlerOptions{Prefix: "/api/"})
	rec := serve(h, "POST", "/api/jobs", "application/json; charset=utf-8", validBody)
	if rec.Code != 200 {
		t.Fatalf("POST status %d: %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), httpSecret) {
		t.Fatalf("the job document echoes the secret: %s", rec.Body)
	}
	var st job.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.JobID == "" || st.Type != job.SingleResource || st.Config == nil || st.Config.ResourceIdentifier != "a" {
		t.Errorf("job document = %s", rec.Body)
	}
	// The job runs to its end (nothing listens on the loopback port).
	j, ok := r.Job(st.JobID)
	if !ok {
		t.Fatalf("job %s not kept", st.JobID)
	}
	<-j.Done()

	rec = serve(h, "GET", "/api/jobs/"+st.JobID, "", "")
	if rec.Code != 200 {
		t.Fatalf("GET status %d: %s", rec.Code, rec.Body)
	}
	var got job.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.JobID != st.JobID || got.State != job.StateError || !strings.Contains(errorMessage(got), "127.0.0.1:1") {
		t.Errorf("GET job = %s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), httpSecret) {
		t.Errorf("the job document echoes the secret: %s", rec.Body)
	}
	rec = serve(h, "GET", "/api/jobs", "", "")
	var all []job.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &all); err != nil || len(all) != 1 || all[0].JobID != st.JobID {
		t.Errorf("GET /jobs = %s, %v", rec.Body, err)
	}
	// The default prefix is not served when another is configured.
	if rec := serve(h, "GET", replicator.APIPath+"/jobs", "", ""); rec.Code != 404 {
		t.Errorf("GET on the default prefix = %d", rec.Code)
	}
}

func TestSpecFromRequest(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	req := job.Request{
		ReplicationType: job.Batch,
		ExploreStrategy: job.Tree,
		Config: job.Config{ResourceType: typeThing, ResourceIdentifier: "b-", SourceRegionName: "us-west-2",
			IgnoreAlreadyExisting: true, MasterUserPassword: "pw"},
		Source: job.AWSConfig{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s", RegionName: "eu-central-1", EndpointURL: "http://127.0.0.1:5000"},
		Target: &job.AWSConfig{AccessKeyID: "222222222222", SecretAccessKey: "test"},
	}
	fallback := credentials.Target{EndpointURL: "http://127.0.0.1:4566", AccountID: ""}
	s, err := replicator.SpecFromRequest(ctx, req, fallback)
	if err != nil {
		t.Fatal(err)
	}
	if s.ReplicationType != job.Batch || s.ExploreStrategy != job.Tree || s.ResourceType != typeThing || s.Identifier != "b-" ||
		!s.IgnoreAlreadyExisting || s.MasterUserPassword.Reveal() != "pw" {
		t.Errorf("spec = %+v", s)
	}
	if s.Source.Region != "us-west-2" {
		t.Errorf("source region = %q, want source_region_name", s.Source.Region)
	}
	if s.Target.Region != "us-west-2" {
		t.Errorf("target region = %q, want the source region", s.Target.Region)
	}
	if got := aws.ToString(s.Target.BaseEndpoint); got != "http://127.0.0.1:4566" {
		t.Errorf("target endpoint = %q, want the fallback's", got)
	}
	creds, err := s.Target.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "222222222222" {
		t.Errorf("target access key = %q, %v; want the request's 12-digit account", creds.AccessKeyID, err)
	}
	// Without a target in the request, the fallback is used as is.
	req.Target = nil
	s, err = replicator.SpecFromRequest(ctx, req, fallback)
	if err != nil {
		t.Fatal(err)
	}
	if creds, _ := s.Target.Credentials.Retrieve(ctx); creds.AccessKeyID != credentials.DefaultTargetAccountID {
		t.Errorf("target access key = %q, want the default account", creds.AccessKeyID)
	}
	// Partial source credentials.
	req.Source.SecretAccessKey = ""
	if _, err := replicator.SpecFromRequest(ctx, req, fallback); err == nil {
		t.Errorf("a source without a secret key was accepted")
	}
}

func TestNewSpec(t *testing.T) {
	src, tgt := configs()
	req := job.Request{
		ReplicationType: job.SingleResource,
		ExploreStrategy: job.Tree,
		Config: job.Config{ResourceARN: "arn:aws:fake:eu-central-1:111111111111:thing/a", IgnoreAlreadyExisting: true,
			MasterUserPassword: "pw", SourceRegionName: "ignored-here"},
		Source: job.AWSConfig{AccessKeyID: "not used"},
	}
	s := replicator.NewSpec(req, src, tgt)
	if s.ARN != req.Config.ResourceARN || s.ResourceType != "" || s.Identifier != "" || s.ExploreStrategy != job.Tree ||
		s.ReplicationType != job.SingleResource || !s.IgnoreAlreadyExisting || s.MasterUserPassword.Reveal() != "pw" {
		t.Errorf("NewSpec = %+v", s)
	}
	if s.Source.Region != src.Region || s.Target.BaseEndpoint != tgt.BaseEndpoint {
		t.Errorf("NewSpec did not keep the configurations")
	}
	// The spec runs as is.
	w, r := setup(t)
	w.add(typeThing, "a")
	if st := run(t, r, s); st.State != job.StateSucceeded {
		t.Errorf("status = %s %q", st.State, errorMessage(st))
	}
}
