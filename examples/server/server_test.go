package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, &env) }

// startServer runs serve on a free loopback port until the test ends.
func startServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/_localstack/replicator"
}

func call(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The request document of REFERENCE.md section 1, with the test servers'
// endpoints filled in.
func referenceRequest(sourceURL, targetURL, identifierField string) string {
	return `{"replication_type": "SINGLE_RESOURCE",
 "explore_strategy": "SIMPLE",
 "replication_job_config": {
    "resource_type": "AWS::SSM::Parameter", "` + identifierField + `": "myparam",
    "source_region_name": "eu-central-1",
    "ignore_already_existing": true
 },
 "source_aws_config": {"aws_access_key_id": "AKIASOURCE", "aws_secret_access_key": "source-secret-value",
                       "aws_session_token": "source-token-value", "region_name": "eu-central-1", "endpoint_url": "` + sourceURL + `"},
 "target_aws_config": {"endpoint_url": "` + targetURL + `"}
}`
}

func TestReferenceDocumentsRoundTrip(t *testing.T) {
	e := testenv.Require(t, env)
	// The request carries plain AWS credentials, so the source is moto's
	// default account.
	src := awsssm.NewFromConfig(fixture.Seeder(e.Source.URL()), func(o *awsssm.Options) { o.APIOptions = nil })
	if _, err := src.PutParameter(context.Background(), &awsssm.PutParameterInput{
		Name: aws.String("myparam"), Type: types.ParameterTypeString, Value: aws.String("abc123")}); err != nil {
		t.Fatal(err)
	}
	api := startServer(t)
	for _, field := range []string{"resource_identifier", "identifier"} {
		t.Run(field, func(t *testing.T) {
			code, body := call(t, "POST", api+"/jobs", referenceRequest(e.Source.URL(), e.Target.URL(), field))
			if code != http.StatusOK {
				t.Fatalf("POST /jobs: %d %s", code, body)
			}
			for _, secret := range []string{"source-secret-value", "source-token-value"} {
				if strings.Contains(string(body), secret) {
					t.Fatalf("the answer echoes a credential: %s", body)
				}
			}
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			id, _ := doc["job_id"].(string)
			if len(id) != 36 || doc["state"] != "TESTING_CONNECTION" || doc["error_message"] != nil ||
				doc["type"] != "SINGLE_RESOURCE" || doc["explore_strategy"] != "SIMPLE" {
				t.Errorf("submitted job document: %s", body)
			}
			res, _ := doc["resources"].(map[string]any)
			for _, k := range []string{"succeeded", "failed", "skipped"} {
				if l, ok := res[k].([]any); !ok || len(l) != 0 {
					t.Errorf("resources.%s = %v, want []", k, res[k])
				}
			}

			st := waitJob(t, api, id)
			if st.State != job.StateSucceeded || st.JobID != id {
				t.Fatalf("final job: %+v", st)
			}
			// The first run writes, the second finds it there and skips.
			if field == "resource_identifier" && len(st.Resources.Succeeded) != 1 {
				t.Errorf("first job: %+v, want one succeeded", st.Resources)
			}
			if field == "identifier" && len(st.Resources.Skipped) != 1 {
				t.Errorf("second job: %+v, want one skipped", st.Resources)
			}
		})
	}

	code, body := call(t, "GET", api+"/jobs", "")
	var all []job.Status
	if code != http.StatusOK || json.Unmarshal(body, &all) != nil || len(all) != 2 {
		t.Errorf("GET /jobs: %d %s", code, body)
	}
	code, body = call(t, "GET", api+"/resources", "")
	if code != http.StatusOK || !strings.Contains(string(body), `"resource_type":"AWS::SSM::Parameter"`) {
		t.Errorf("GET /resources: %d %s", code, body)
	}
	tgt := awsssm.NewFromConfig(fixture.Reader(context.Background(), t, e.Target.URL(), ""))
	out, err := tgt.GetParameters(context.Background(), &awsssm.GetParametersInput{Names: []string{"myparam"}})
	if err != nil || len(out.Parameters) != 1 || aws.ToString(out.Parameters[0].Value) != "abc123" {
		t.Errorf("target parameter: %+v %v", out, err)
	}
}

func waitJob(t *testing.T, api, id string) job.Status {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		code, body := call(t, "GET", api+"/jobs/"+id, "")
		if code != http.StatusOK {
			t.Fatalf("GET /jobs/%s: %d %s", id, code, body)
		}
		var st job.Status
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		if st.State.Terminal() {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s did not end within a minute", id)
	return job.Status{}
}

func TestInvalidRequests(t *testing.T) {
	api := startServer(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	good := func(cfg string) string {
		return `{"replication_job_config": ` + cfg + `, "source_aws_config": {"aws_access_key_id": "A", "aws_secret_access_key": "S", "region_name": "eu-central-1"},
		"target_aws_config": {"endpoint_url": "http://127.0.0.1:1"}}`
	}
	ssmCfg := `{"resource_type": "AWS::SSM::Parameter", "resource_identifier": "x"}`
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"malformed JSON", "POST", "/jobs", `{"replication_type": `, 400, "unexpected EOF"},
		{"not an object", "POST", "/jobs", `[]`, 400, "cannot unmarshal array"},
		{"unknown top-level field", "POST", "/jobs", `{"replication_typo": "BATCH"}`, 400, `unknown field "replication_typo"`},
		{"unknown config field", "POST", "/jobs", good(`{"resource_type": "AWS::SSM::Parameter", "resource_identifer": "x"}`), 400, `replication_job_config: json: unknown field "resource_identifer"`},
		{"trailing data", "POST", "/jobs", good(ssmCfg) + `{}`, 400, "after the JSON document"},
		{"wrong replication type", "POST", "/jobs", `{"replication_type": "ALL", "replication_job_config": ` + ssmCfg + `}`, 400, "replication_type"},
		{"wrong explore strategy", "POST", "/jobs", `{"explore_strategy": "DEEP", "replication_job_config": ` + ssmCfg + `}`, 400, "explore_strategy"},
		{"wrong type of field", "POST", "/jobs", `{"replication_type": 3}`, 400, "replication_type"},
		{"no resource", "POST", "/jobs", good(`{}`), 400, "resource_type (with resource_identifier) or resource_arn is required"},
		{"type without identifier", "POST", "/jobs", good(`{"resource_type": "AWS::SSM::Parameter"}`), 400, "needs a resource_identifier"},
		{"arn and type", "POST", "/jobs", good(`{"resource_arn": "arn:aws:ssm:eu-central-1:111111111111:parameter/x", "resource_type": "AWS::SSM::Parameter"}`), 400, "cannot be combined"},
		{"not an arn", "POST", "/jobs", good(`{"resource_arn": "ssm/x"}`), 400, "is not an ARN"},
		{"malformed arn", "POST", "/jobs", good(`{"resource_arn": "arn:aws:ssm"}`), 400, "malformed"},
		{"unsupported arn", "POST", "/jobs", good(`{"resource_arn": "arn:aws:sqs:eu-central-1:111111111111:q"}`), 400, "names no supported type"},
		{"unknown type", "POST", "/jobs", good(`{"resource_type": "AWS::Nope::Thing", "resource_identifier": "x"}`), 400, "supported types are"},
		{"bad ignore flag", "POST", "/jobs", good(`{"resource_type": "AWS::SSM::Parameter", "resource_identifier": "x", "ignore_already_existing": "perhaps"}`), 400, "ignore_already_existing"},
		{"no source credentials", "POST", "/jobs", `{"replication_job_config": ` + ssmCfg + `, "source_aws_config": {"region_name": "eu-central-1"}}`, 400, "aws_access_key_id and aws_secret_access_key are required"},
		{"no source region", "POST", "/jobs", `{"replication_job_config": ` + ssmCfg + `, "source_aws_config": {"aws_access_key_id": "A", "aws_secret_access_key": "S"}}`, 400, "region_name"},
		{"target is AWS", "POST", "/jobs", `{"replication_job_config": ` + ssmCfg + `, "source_aws_config": {"aws_access_key_id": "A", "aws_secret_access_key": "S", "region_name": "eu-central-1"}, "target_aws_config": {"endpoint_url": "https://ssm.eu-central-1.amazonaws.com"}}`, 400, "not an emulator"},
		{"oversized body", "POST", "/jobs", `{"replication_type": "` + strings.Repeat("x", job.MaxRequestBytes) + `"}`, 413, "larger than"},
		{"unknown job", "GET", "/jobs/4e0a1b5e-0000-0000-0000-000000000000", "", 404, "no job with id"},
		{"wrong method", "DELETE", "/jobs", "", 405, "does not take DELETE"},
		{"unknown endpoint", "GET", "/nope", "", 404, "no such endpoint"},
	} {
		code, body := call(t, tc.method, api+tc.path, tc.body)
		var e struct{ Error, Message string }
		if code != tc.code || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s: %d %s; want %d with a message containing %q", tc.name, code, body, tc.code, tc.want)
		}
		if strings.Contains(string(body), `"S"`) {
			t.Errorf("%s: the answer echoes a credential: %s", tc.name, body)
		}
	}
}
