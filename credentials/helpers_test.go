package credentials_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeHTTP is an aws.HTTPClient that never touches the network: it records
// every request and answers it like the AWS service would, for the few
// operations these tests call.
type fakeHTTP struct {
	mu   sync.Mutex
	reqs []recorded
}

// recorded is one request the fake received.
type recorded struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   string
}

func (f *fakeHTTP) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{Method: req.Method, URL: req.URL, Header: req.Header.Clone(), Body: string(body)})
	f.mu.Unlock()

	switch target := req.Header.Get("X-Amz-Target"); {
	case target == "AmazonSSM.GetParameters":
		return respond(req, "application/x-amz-json-1.1",
			`{"Parameters":[{"Name":"p","Type":"String","Value":"v","Version":1}],"InvalidParameters":[]}`), nil
	case target == "AmazonSSM.PutParameter":
		return respond(req, "application/x-amz-json-1.1", `{"Version":1,"Tier":"Standard"}`), nil
	case strings.Contains(string(body), "Action=GetCallerIdentity"):
		return respond(req, "text/xml", callerIdentityXML), nil
	}
	return &http.Response{StatusCode: 400, Status: "400 Bad Request", Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader(`{"__type":"UnknownOperationException","message":"fake"}`)), Request: req}, nil
}

const callerIdentityXML = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/x</Arn><UserId>X</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

func respond(req *http.Request, contentType, body string) *http.Response {
	return &http.Response{
		StatusCode:    200,
		Status:        "200 OK",
		Header:        http.Header{"Content-Type": {contentType}, "X-Amzn-Requestid": {"1"}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// requests returns a copy of what the fake received.
func (f *fakeHTTP) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeHTTP) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// last returns the last request, failing the test if there is none.
func (f *fakeHTTP) last(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) == 0 {
		t.Fatalf("no request was sent")
	}
	return reqs[len(reqs)-1]
}

// accessKeyOf returns the access key id in a SigV4 Authorization header.
func accessKeyOf(r recorded) string {
	auth := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// isolateEnv clears every environment variable the AWS SDK reads that could
// make a test depend on the host, points the shared config files at empty
// files, and disables IMDS so nothing ever tries 169.254.169.254. It
// returns the paths of the (empty) config and credentials files, which a
// test may write profiles into.
func isolateEnv(t *testing.T) (configFile, credentialsFile string) {
	t.Helper()
	for _, v := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ACCESS_KEY", "AWS_SECRET_KEY",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_STS",
		"AWS_CA_BUNDLE", "AWS_DEFAULTS_MODE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
		"TARGET_ACCESS_KEY_ID", "TARGET_SECRET_ACCESS_KEY", "TARGET_SESSION_TOKEN",
		"TARGET_DEFAULT_REGION", "TARGET_ENDPOINT_URL", "TARGET_PROFILE",
		"TARGET_ACCOUNT_ID", "TARGET_EMULATOR_HOSTS",
	} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	configFile = filepath.Join(dir, "config")
	credentialsFile = filepath.Join(dir, "credentials")
	for _, f := range []string{configFile, credentialsFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentialsFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return configFile, credentialsFile
}

func writeFile(t *testing.T, path, format string, args ...any) {
	t.Helper()
	if err := os.WriteFile(path, []byte(fmt.Sprintf(format, args...)), 0o600); err != nil {
		t.Fatal(err)
	}
}
