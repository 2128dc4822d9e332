package job_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/awsreplicator/awsreplicator/job"
)

const secretValue = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"

// secretLeaks reports whether out shows the secret value in any form a
// formatter might produce: plain, hex (upper or lower case) or quoted.
func secretLeaks(out string) bool {
	for _, form := range []string{
		secretValue,
		fmt.Sprintf("%x", []byte(secretValue)),
		fmt.Sprintf("%X", []byte(secretValue)),
		"wJalrXUtnFEMI", // a prefix, in case of truncation or escaping
	} {
		if strings.Contains(out, form) {
			return true
		}
	}
	return false
}

func TestSecretFormat(t *testing.T) {
	s := job.Secret(secretValue)
	for _, tc := range []struct {
		format string
		want   string
	}{
		{"%v", job.Redacted},
		{"%s", job.Redacted},
		{"%q", `"[REDACTED]"`},
		{"%+v", job.Redacted},
		{"%#v", `job.Secret("[REDACTED]")`},
		{"%x", job.Redacted},
		{"%X", job.Redacted},
		{"%d", job.Redacted},
		{"%10s", job.Redacted},
		{"%.3s", job.Redacted},
		{"%T", "job.Secret"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			got := fmt.Sprintf(tc.format, s)
			if secretLeaks(got) {
				t.Fatalf("Sprintf(%q) leaks the secret: %s", tc.format, got)
			}
			if got != tc.want {
				t.Errorf("Sprintf(%q) = %q, want %q", tc.format, got, tc.want)
			}
		})
	}
	if got := fmt.Sprint(s); got != job.Redacted {
		t.Errorf("Sprint = %q", got)
	}
	if got := fmt.Sprintln(s); got != job.Redacted+"\n" {
		t.Errorf("Sprintln = %q", got)
	}
	if got := s.String(); got != job.Redacted {
		t.Errorf("String() = %q", got)
	}
	if got := s.Reveal(); got != secretValue {
		t.Errorf("Reveal() = %q", got)
	}
	var ptr = &s
	if got := fmt.Sprintf("%v %s", ptr, ptr); secretLeaks(got) {
		t.Errorf("a *Secret leaks: %s", got)
	}
	// An error wrapping a formatted secret does not leak either.
	if err := fmt.Errorf("login with %v failed: %w", s, errors.New("denied")); secretLeaks(err.Error()) {
		t.Errorf("error leaks: %v", err)
	}
}

func TestSecretEmpty(t *testing.T) {
	var s job.Secret
	for _, format := range []string{"%v", "%s", "%+v"} {
		if got := fmt.Sprintf(format, s); got != "" {
			t.Errorf("Sprintf(%q, empty) = %q, want \"\"", format, got)
		}
	}
	if got := fmt.Sprintf("%q", s); got != `""` {
		t.Errorf("%%q of empty = %s", got)
	}
	if got := fmt.Sprintf("%#v", s); got != `job.Secret("")` {
		t.Errorf("%%#v of empty = %s", got)
	}
	if s.String() != "" || s.Reveal() != "" {
		t.Errorf("empty secret String/Reveal not empty")
	}
}

type credentialsHolder struct {
	User     string
	Password job.Secret
	Token    *job.Secret
	Nested   struct{ Key job.Secret }
	List     []job.Secret
	ByName   map[string]job.Secret
	Any      any
}

func TestSecretInStruct(t *testing.T) {
	tok := job.Secret(secretValue)
	h := credentialsHolder{User: "alice", Password: secretValue, Token: &tok, List: []job.Secret{secretValue}, ByName: map[string]job.Secret{"k": secretValue}, Any: job.Secret(secretValue)}
	h.Nested.Key = secretValue
	for _, format := range []string{"%v", "%+v", "%s", "%#v"} {
		got := fmt.Sprintf(format, h)
		if secretLeaks(got) {
			t.Errorf("Sprintf(%q, struct) leaks the secret: %s", format, got)
		}
		if !strings.Contains(got, "alice") {
			t.Errorf("Sprintf(%q, struct) = %s, lost the other fields", format, got)
		}
	}
	got := fmt.Sprintf("%+v", h)
	if !strings.Contains(got, "Password:"+job.Redacted) {
		t.Errorf("%%+v = %s, want Password:%s", got, job.Redacted)
	}
	// A Config and an AWSConfig print without their secrets too.
	cfg := job.Config{ResourceType: "AWS::RDS::DBInstance", ResourceIdentifier: "db", MasterUserPassword: secretValue}
	aws := job.AWSConfig{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: secretValue, SessionToken: secretValue}
	req := job.Request{Config: cfg, Source: aws, Target: &aws}
	for _, v := range []any{cfg, aws, req, &req} {
		for _, format := range []string{"%v", "%+v", "%#v"} {
			if out := fmt.Sprintf(format, v); secretLeaks(out) {
				t.Errorf("Sprintf(%q, %T) leaks: %s", format, v, out)
			}
		}
	}
}

func TestSecretSlog(t *testing.T) {
	s := job.Secret(secretValue)
	for name, mk := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(mk(&buf))
			log.Info("login", "password", s, slog.Any("token", s), slog.Group("g", "key", s))
			log.With("secret", s).Info("with")
			log.WithGroup("grp").Info("grouped", "secret", s)
			out := buf.String()
			if secretLeaks(out) {
				t.Fatalf("slog %s output leaks the secret:\n%s", name, out)
			}
			if !strings.Contains(out, job.Redacted) {
				t.Errorf("slog %s output does not show %s:\n%s", name, job.Redacted, out)
			}
		})
	}
	// The text handler formats other values with fmt, so a struct holding
	// a Secret is redacted there too. (The JSON handler encodes structs
	// with encoding/json, which carries a Secret's value by design: log a
	// Secret itself, never a struct or request that holds one.)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("holder", "holder", credentialsHolder{User: "alice", Password: s}, "cfg", job.AWSConfig{SecretAccessKey: s})
	if secretLeaks(buf.String()) || !strings.Contains(buf.String(), "Password:"+job.Redacted) {
		t.Errorf("slog text output of a struct holding a Secret: %s", buf.String())
	}
	if v := s.LogValue(); v.Kind() != slog.KindString || v.String() != job.Redacted {
		t.Errorf("LogValue() = %v", v)
	}
}

// JSON carries the value: a submitted request must carry credentials over
// the wire (documented on Secret).
func TestSecretJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		S job.Secret `json:"s"`
		E job.Secret `json:"e,omitempty"`
	}{S: secretValue})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"s":"`+secretValue+`"}` {
		t.Errorf("Marshal = %s", b)
	}
	var back struct{ S job.Secret }
	if err := json.Unmarshal(b, &back); err != nil || back.S.Reveal() != secretValue {
		t.Errorf("Unmarshal = %q, %v", back.S.Reveal(), err)
	}
	// Characters that JSON escapes survive.
	odd := job.Secret("a\"b\\c<d>\n")
	b, _ = json.Marshal(odd)
	var again job.Secret
	if err := json.Unmarshal(b, &again); err != nil || again != odd {
		t.Errorf("round trip of %q = %q, %v", odd.Reveal(), again.Reveal(), err)
	}
}

// A Status never contains secrets, even when it is built from a request
// that holds them.
func TestStatusHasNoSecrets(t *testing.T) {
	doc := `{"replication_job_config": {"resource_type": "AWS::RDS::DBInstance", "resource_identifier": "db",
	  "master_user_password": "` + secretValue + `", "ignore_already_existing": true, "source_region_name": "eu-west-1"},
	 "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "` + secretValue + `", "aws_session_token": "` + secretValue + `", "region_name": "eu-west-1"},
	 "target_aws_config": {"aws_secret_access_key": "` + secretValue + `", "aws_access_key_id": "000000000000"}}`
	req := decode(t, doc)
	st := job.Status{
		JobID:           "50005865-1589-4f6d-a720-c86f5a5dd021",
		State:           job.StateRunning,
		Type:            req.ReplicationType,
		ExploreStrategy: req.ExploreStrategy,
		Config:          job.StatusConfigOf(req.Config),
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if secretLeaks(string(b)) {
		t.Fatalf("Status JSON leaks the secret: %s", b)
	}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(format, st); secretLeaks(out) {
			t.Errorf("Sprintf(%q, status) leaks: %s", format, out)
		}
	}
	want := job.StatusConfig{ResourceType: "AWS::RDS::DBInstance", ResourceIdentifier: "db", SourceRegionName: "eu-west-1", IgnoreAlreadyExisting: true}
	if *st.Config != want {
		t.Errorf("StatusConfigOf = %+v, want %+v", *st.Config, want)
	}
	jsonEqual(t, b, `{"job_id": "50005865-1589-4f6d-a720-c86f5a5dd021", "state": "RUNNING",
	  "resources": {"succeeded": [], "failed": [], "skipped": []}, "error_message": null,
	  "type": "SINGLE_RESOURCE", "explore_strategy": "SIMPLE",
	  "replication_job_config": {"resource_type": "AWS::RDS::DBInstance", "resource_identifier": "db", "source_region_name": "eu-west-1", "ignore_already_existing": true}}`)
}

func TestRequestsLogRedactedWithTheJSONHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	req := job.Request{
		Config: job.Config{ResourceType: "AWS::RDS::DBInstance", ResourceIdentifier: "db", MasterUserPassword: "pw-value-1"},
		Source: job.AWSConfig{AccessKeyID: "AKIA", SecretAccessKey: "secret-value-2", SessionToken: "token-value-3"},
		Target: &job.AWSConfig{SecretAccessKey: "secret-value-4"},
	}
	logger.Info("submitted", "request", req, "source", req.Source, "config", req.Config)
	for _, v := range []string{"pw-value-1", "secret-value-2", "token-value-3", "secret-value-4"} {
		if strings.Contains(buf.String(), v) {
			t.Errorf("the JSON log shows %q: %s", v, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "AKIA") || !strings.Contains(buf.String(), job.Redacted) {
		t.Errorf("the log lost the non-secret fields or the redaction marker: %s", buf.String())
	}
}
