package arn

import (
	"strings"
	"testing"
)

func TestIsARNDoesNotAllocate(t *testing.T) {
	inputs := []string{
		"arn:aws:lambda:us-east-1:111111111111:layer:my-layer:3",
		"arn:nope:s3:::b",
		"arn:aws:ssm",
		"",
	}
	for _, s := range inputs {
		if n := testing.AllocsPerRun(100, func() { IsARN(s) }); n != 0 {
			t.Errorf("IsARN(%q) allocates %v times, want 0", s, n)
		}
	}
}

func TestPartitionsAreValidSectionValues(t *testing.T) {
	// Every partition must be colon-free and lowercase so that String/Parse
	// round-trip; keep the list in sync with doc.go.
	for _, p := range partitions {
		if !isLowerAlnumHyphen(p) || p == "" {
			t.Errorf("partition %q is not lowercase letters/digits/hyphens", p)
		}
	}
}

func TestParseErrorMessageNamesFix(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"arn:aws:ssm", "want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (6 colon-separated sections)"},
		{"aws:ssm:::x", `want prefix "arn:"`},
		{"arn:amazon:s3:::b", "want one of " + strings.Join(partitions[:], ", ")},
		{"arn:aws:S3:::b", `invalid service "S3": want non-empty lowercase letters, digits and hyphens`},
		{"arn:aws:ssm:US-EAST-1::x", `invalid region "US-EAST-1": want empty or lowercase letters`},
		{"arn:aws:iam::123:role/x", `invalid account "123": want 12 digits, "aws" or empty`},
		{"arn:aws:s3:::", "empty resource: want a non-empty resource"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded, want error", tt.in)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
}
