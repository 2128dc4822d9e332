package replicator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/awsreplicator/awsreplicator/job"
)

func TestRedact(t *testing.T) {
	r := &Resource{Secrets: map[string]job.Secret{
		"long":  "abc-secret-xyz",
		"short": "secret",
		"empty": "",
	}}
	for _, tc := range []struct{ in, want string }{
		{"value abc-secret-xyz rejected", "value [REDACTED] rejected"},
		{"secret and abc-secret-xyz", "[REDACTED] and [REDACTED]"},
		{"nothing to hide", "nothing to hide"},
		{"", ""},
	} {
		if got := r.redact(tc.in); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// No secrets, nothing replaced (an empty secret must not match everywhere).
	if got := (&Resource{Secrets: map[string]job.Secret{"e": ""}}).redact("abc"); got != "abc" {
		t.Errorf("redact with an empty secret = %q", got)
	}
}

func TestIdentity(t *testing.T) {
	const (
		src = "arn:aws:ssm:eu-central-1:111111111111:parameter/p"
		tgt = "arn:aws:ssm:eu-central-1:000000000000:parameter/p"
	)
	for _, tc := range []struct {
		name   string
		res    Resource
		placed Placed
		want   job.Identity
	}{
		{"same id and ARN", Resource{Identifier: "p", ARN: src}, Placed{Identifier: "p", ARN: src}, job.IdentitySame},
		{"same id, other account", Resource{Identifier: "p", ARN: src}, Placed{Identifier: "p", ARN: tgt}, job.IdentitySameIdentifier},
		{"same id, no ARN read back", Resource{Identifier: "p", ARN: src}, Placed{Identifier: "p"}, job.IdentitySameIdentifier},
		{"no ARNs", Resource{Identifier: "p"}, Placed{Identifier: "p"}, job.IdentitySame},
		{"other id", Resource{Identifier: "vpc-1", ARN: src}, Placed{Identifier: "vpc-2", ARN: tgt}, job.IdentityDifferent},
		{"nothing read back", Resource{Identifier: "p", ARN: src}, Placed{}, job.IdentityDifferent},
		{
			"ARN identifier kept but for account and region",
			Resource{Identifier: "arn:aws:secretsmanager:eu-central-1:111111111111:secret:s-AbCdEf", ARN: "arn:aws:secretsmanager:eu-central-1:111111111111:secret:s-AbCdEf"},
			Placed{Identifier: "arn:aws:secretsmanager:us-east-1:000000000000:secret:s-AbCdEf", ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:s-AbCdEf"},
			job.IdentitySameIdentifier,
		},
		{
			"ARN identifier with another suffix",
			Resource{Identifier: "arn:aws:secretsmanager:eu-central-1:111111111111:secret:s-AbCdEf", ARN: "arn:aws:secretsmanager:eu-central-1:111111111111:secret:s-AbCdEf"},
			Placed{Identifier: "arn:aws:secretsmanager:eu-central-1:000000000000:secret:s-XyZxYz", ARN: "arn:aws:secretsmanager:eu-central-1:000000000000:secret:s-XyZxYz"},
			job.IdentityDifferent,
		},
		{
			"identifiers that are not ARNs",
			Resource{Identifier: "x", ARN: "x"},
			Placed{Identifier: "y", ARN: "y"},
			job.IdentityDifferent,
		},
	} {
		if got := identity(&tc.res, tc.placed); got != tc.want {
			t.Errorf("%s: identity = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestKey(t *testing.T) {
	if key("AWS::SSM::Parameter", "p") != key("aws::ssm::PARAMETER", "p") {
		t.Errorf("key is case-sensitive in the type")
	}
	if key("T", "p") == key("T", "P") {
		t.Errorf("key folds the identifier's case")
	}
}

// A Job holds credentials: printing one must not dump them.
func TestPrintingAJobShowsNoCredentials(t *testing.T) {
	j := &Job{id: "j-1", status: job.Status{State: job.StateRunning}}
	j.p.spec.MasterUserPassword = "pw-secret-value"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, j); strings.Contains(out, "pw-secret-value") || !strings.Contains(out, "j-1") {
			t.Errorf("%s of a Job = %q", verb, out)
		}
	}
}
