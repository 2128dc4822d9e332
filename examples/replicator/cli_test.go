package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, &env) }

// motoDefaultAccount is the account moto acts in without x-moto-account-id:
// the CLI reads the source like AWS, from AWS_* variables alone.
const motoDefaultAccount = "123456789012"

// isolate points the CLI's environment at the test servers only.
func isolate(t *testing.T, sourceURL, targetURL string) {
	t.Helper()
	empty := t.TempDir() + "/none"
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIACLITEST", "AWS_SECRET_ACCESS_KEY": "cli-secret", "AWS_SESSION_TOKEN": "",
		"AWS_DEFAULT_REGION": "eu-central-1", "AWS_REGION": "", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": sourceURL,
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true",
		"TARGET_ENDPOINT_URL": targetURL, "TARGET_ACCESS_KEY_ID": "", "TARGET_SECRET_ACCESS_KEY": "",
		"TARGET_SESSION_TOKEN": "", "TARGET_DEFAULT_REGION": "", "TARGET_PROFILE": "", "TARGET_ACCOUNT_ID": "",
		"TARGET_EMULATOR_HOSTS": "",
	} {
		t.Setenv(k, v)
	}
}

func ssmClient(t *testing.T, url string, account string) *awsssm.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-central-1"),
		config.WithCredentialsProvider(awscreds.NewStaticCredentialsProvider("AKIASEED", "seed", "")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(url)
	if account != "" {
		cfg.APIOptions = append(cfg.APIOptions, credentials.AccountHeader(account))
	}
	return awsssm.NewFromConfig(cfg)
}

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestStartReplicatesAndPrintsTheFinalJob(t *testing.T) {
	e := testenv.Require(t, env)
	isolate(t, e.Source.URL(), e.Target.URL())
	src := ssmClient(t, e.Source.URL(), "")
	if _, err := src.PutParameter(context.Background(), &awsssm.PutParameterInput{
		Name: aws.String("/cli/param"), Type: types.ParameterTypeString, Value: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := cli(t, "start", "--resource-arn", "arn:aws:ssm:eu-central-1:"+motoDefaultAccount+":parameter/cli/param",
		"--target-account-id", motoDefaultAccount)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var st job.Status
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("stdout is not a job document: %v\n%s", err, stdout)
	}
	if st.State != job.StateSucceeded || len(st.Resources.Succeeded) != 1 || st.Resources.Succeeded[0].Identity != job.IdentitySame {
		t.Errorf("final job = %+v, want SUCCEEDED with one identical resource", st)
	}
	if !strings.Contains(stderr, "RUNNING") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	out, err := ssmClient(t, e.Target.URL(), motoDefaultAccount).GetParameters(context.Background(),
		&awsssm.GetParametersInput{Names: []string{"/cli/param"}})
	if err != nil || len(out.Parameters) != 1 || aws.ToString(out.Parameters[0].Value) != "v1" {
		t.Fatalf("target parameter: %+v, %v", out, err)
	}
}

func TestStartEndingInErrorExitsOne(t *testing.T) {
	e := testenv.Require(t, env)
	isolate(t, e.Source.URL(), e.Target.URL())
	code, stdout, stderr := cli(t, "start", "--resource-type", "AWS::SSM::Parameter", "--resource-identifier", "/missing", "--output", "table")
	if code != exitError {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitError, stderr)
	}
	if !strings.Contains(stderr, `"/missing" does not exist in the source`) || !strings.Contains(stdout, "ERROR") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

func TestInvalidCommandLines(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "usage: replicator"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"start"}, exitUsage, "--resource-type and --resource-identifier, or with --resource-arn"},
		{[]string{"start", "--resource-type", "AWS::SSM::Parameter"}, exitUsage, "needs --resource-identifier"},
		{[]string{"start", "--resource-arn", "nope"}, exitUsage, `"nope" is not an ARN`},
		{[]string{"start", "--resource-arn", "arn:aws:ssm:eu-central-1:111111111111:parameter/x", "--resource-type", "AWS::SSM::Parameter"}, exitUsage, "cannot be combined"},
		{[]string{"start", "--replication-type", "ALL", "--resource-type", "T", "--resource-identifier", "x"}, exitUsage, "want one of SINGLE_RESOURCE, BATCH"},
		{[]string{"start", "--explore-strategy", "DEEP", "--resource-type", "T", "--resource-identifier", "x"}, exitUsage, "want one of SIMPLE, TREE"},
		{[]string{"start", "--extra-config", "colour=blue"}, exitUsage, `unknown key "colour"`},
		{[]string{"start", "--extra-config", "novalue"}, exitUsage, "want KEY=VALUE"},
		{[]string{"start", "--resource-type", "T", "--resource-identifier", "x", "--extra-config", "ignore_already_existing=maybe"}, exitUsage, "want true or false"},
		{[]string{"start", "--resource-type", "T", "--resource-identifier", "x", "--target-account-id", "42"}, exitUsage, "not a 12-digit account id"},
		{[]string{"start", "--resource-type", "T", "--resource-identifier", "x", "--output", "xml"}, exitUsage, "want json or table"},
		{[]string{"start", "--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{[]string{"start", "--resource-type", "T", "--resource-identifier", "x", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"status"}, exitUsage, "want exactly one JOB_ID"},
		{[]string{"status", "abc"}, exitUsage, "--server URL is required"},
		{[]string{"status", "abc", "--server", "http://127.0.0.1:1", "--delay", "0"}, exitUsage, "--delay 0"},
		{[]string{"resources", "--output", "yaml"}, exitUsage, "want json or table"},
		{[]string{"policy", "AWS::Nope::Thing"}, exitUsage, `resource type "AWS::Nope::Thing"`},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("replicator %q: exit %d, output %q; want exit %d and %q", tc.args, code, stdout+stderr, tc.code, tc.want)
		}
	}
}

// Errors found once the source and target are configured.
func TestConfigurationErrors(t *testing.T) {
	isolate(t, "http://127.0.0.1:1", "http://127.0.0.1:1")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	code, _, stderr := cli(t, "start", "--resource-type", "AWS::SSM::Parameter", "--resource-identifier", "x")
	if code != exitError || !strings.Contains(stderr, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not") {
		t.Errorf("partial credentials: exit %d, stderr %q", code, stderr)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	code, _, stderr = cli(t, "start", "--resource-type", "AWS::Nope::Thing", "--resource-identifier", "x")
	if code != exitUsage || !strings.Contains(stderr, `resource type "AWS::Nope::Thing": supported types are`) {
		t.Errorf("unknown type: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = cli(t, "start", "--resource-arn", "arn:aws:sqs:eu-central-1:111111111111:q")
	if code != exitUsage || !strings.Contains(stderr, "names no supported type") {
		t.Errorf("unsupported ARN: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = cli(t, "start", "--resource-arn", "arn:aws")
	if code != exitUsage || !strings.Contains(stderr, "malformed") {
		t.Errorf("malformed ARN: exit %d, stderr %q", code, stderr)
	}
	t.Setenv("TARGET_ENDPOINT_URL", "https://ssm.eu-central-1.amazonaws.com")
	code, _, stderr = cli(t, "start", "--resource-type", "AWS::SSM::Parameter", "--resource-identifier", "x")
	if code != exitError || !strings.Contains(stderr, "not an emulator") {
		t.Errorf("AWS as target: exit %d, stderr %q", code, stderr)
	}
}

func TestResourcesListsSSM(t *testing.T) {
	code, stdout, _ := cli(t, "resources")
	var types []map[string]any
	if code != exitOK || json.Unmarshal([]byte(stdout), &types) != nil || len(types) == 0 {
		t.Fatalf("exit %d, stdout %s", code, stdout)
	}
	if !strings.Contains(stdout, `"resource_type": "AWS::SSM::Parameter"`) || !strings.Contains(stdout, "ssm:GetParameters") {
		t.Errorf("resources output lacks SSM: %s", stdout)
	}
}

func TestServerModeSubmitsAndFollows(t *testing.T) {
	e := testenv.Require(t, env)
	isolate(t, e.Source.URL(), e.Target.URL())
	src := ssmClient(t, e.Source.URL(), "")
	if _, err := src.PutParameter(context.Background(), &awsssm.PutParameterInput{
		Name: aws.String("/remote/param"), Type: types.ParameterTypeString, Value: aws.String("r")}); err != nil {
		t.Fatal(err)
	}
	runner, err := replicator.NewRunner(resources.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(replicator.NewHandler(runner, replicator.HandlerOptions{
		Target: credentials.Target{EndpointURL: e.Target.URL()},
	}))
	defer srv.Close()

	code, stdout, stderr := cli(t, "start", "--server", srv.URL, "--resource-type", "AWS::SSM::Parameter",
		"--resource-identifier", "/remote/param", "--target-account-id", motoDefaultAccount)
	if code != exitOK {
		t.Fatalf("start --server: exit %d\n%s", code, stderr)
	}
	var st job.Status
	if err := json.Unmarshal([]byte(stdout), &st); err != nil || st.State != job.StateSucceeded ||
		len(st.Resources.Succeeded) != 1 || st.Resources.Succeeded[0].Identity != job.IdentitySame {
		t.Fatalf("start --server printed %s (%v)", stdout, err)
	}
	code, stdout, stderr = cli(t, "status", st.JobID, "--server", srv.URL, "--follow", "--delay", "0.05")
	if code != exitOK || !strings.Contains(stdout, st.JobID) || !strings.Contains(stdout, `"SUCCEEDED"`) {
		t.Errorf("status --follow: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	code, _, stderr = cli(t, "status", "no-such-job", "--server", srv.URL)
	if code != exitError || !strings.Contains(stderr, "404") {
		t.Errorf("status of an unknown job: exit %d, stderr %s", code, stderr)
	}
}

func TestPolicyPrintsAnIAMDocument(t *testing.T) {
	code, stdout, stderr := cli(t, "policy", "AWS::SSM::Parameter")
	var doc struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource string
		}
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &doc) != nil {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 1 || doc.Statement[0].Effect != "Allow" ||
		!slices.Equal(doc.Statement[0].Action, []string{"kms:Decrypt", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListAliases",
			"kms:ListResourceTags", "ssm:DescribeParameters", "ssm:GetParameters", "ssm:ListTagsForResource", "tag:GetResources"}) {
		t.Errorf("policy = %+v", doc)
	}
}
