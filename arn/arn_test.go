package arn_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/awsreplicator/awsreplicator/arn"
)

var validTests = []struct {
	name    string
	in      string
	want    arn.ARN
	resType string
	resID   string
}{
	{
		name:    "ssm parameter without leading slash",
		in:      "arn:aws:ssm:eu-central-1:111111111111:parameter/myparam",
		want:    arn.ARN{Partition: "aws", Service: "ssm", Region: "eu-central-1", AccountID: "111111111111", Resource: "parameter/myparam"},
		resType: "parameter", resID: "myparam",
	},
	{
		name:    "ssm parameter with leading slash",
		in:      "arn:aws:ssm:eu-central-1:111111111111:parameter/app/x",
		want:    arn.ARN{Partition: "aws", Service: "ssm", Region: "eu-central-1", AccountID: "111111111111", Resource: "parameter/app/x"},
		resType: "parameter", resID: "app/x",
	},
	{
		name:    "secretsmanager secret",
		in:      "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-pass-AbCdEf",
		want:    arn.ARN{Partition: "aws", Service: "secretsmanager", Region: "us-east-1", AccountID: "111111111111", Resource: "secret:db-pass-AbCdEf"},
		resType: "secret", resID: "db-pass-AbCdEf",
	},
	{
		name:    "ec2 vpc",
		in:      "arn:aws:ec2:us-west-2:222222222222:vpc/vpc-0123456789abcdef0",
		want:    arn.ARN{Partition: "aws", Service: "ec2", Region: "us-west-2", AccountID: "222222222222", Resource: "vpc/vpc-0123456789abcdef0"},
		resType: "vpc", resID: "vpc-0123456789abcdef0",
	},
	{
		name:    "iam role with path",
		in:      "arn:aws:iam::111111111111:role/path/MyRole",
		want:    arn.ARN{Partition: "aws", Service: "iam", AccountID: "111111111111", Resource: "role/path/MyRole"},
		resType: "role", resID: "path/MyRole",
	},
	{
		name:    "aws managed policy",
		in:      "arn:aws:iam::aws:policy/ReadOnlyAccess",
		want:    arn.ARN{Partition: "aws", Service: "iam", AccountID: "aws", Resource: "policy/ReadOnlyAccess"},
		resType: "policy", resID: "ReadOnlyAccess",
	},
	{
		name:    "s3 bucket",
		in:      "arn:aws:s3:::my-bucket",
		want:    arn.ARN{Partition: "aws", Service: "s3", Resource: "my-bucket"},
		resType: "", resID: "my-bucket",
	},
	{
		name:    "s3 object",
		in:      "arn:aws:s3:::my-bucket/dir/key.txt",
		want:    arn.ARN{Partition: "aws", Service: "s3", Resource: "my-bucket/dir/key.txt"},
		resType: "my-bucket", resID: "dir/key.txt",
	},
	{
		name:    "aws-cn",
		in:      "arn:aws-cn:ssm:cn-north-1:111111111111:parameter/app/x",
		want:    arn.ARN{Partition: "aws-cn", Service: "ssm", Region: "cn-north-1", AccountID: "111111111111", Resource: "parameter/app/x"},
		resType: "parameter", resID: "app/x",
	},
	{
		name:    "aws-us-gov",
		in:      "arn:aws-us-gov:secretsmanager:us-gov-west-1:111111111111:secret:x-AbCdEf",
		want:    arn.ARN{Partition: "aws-us-gov", Service: "secretsmanager", Region: "us-gov-west-1", AccountID: "111111111111", Resource: "secret:x-AbCdEf"},
		resType: "secret", resID: "x-AbCdEf",
	},
	{
		name:    "aws-iso-b",
		in:      "arn:aws-iso-b:iam::111111111111:user/alice",
		want:    arn.ARN{Partition: "aws-iso-b", Service: "iam", AccountID: "111111111111", Resource: "user/alice"},
		resType: "user", resID: "alice",
	},
	{
		name:    "aws-eusc",
		in:      "arn:aws-eusc:ssm:eusc-de-east-1:111111111111:parameter/p",
		want:    arn.ARN{Partition: "aws-eusc", Service: "ssm", Region: "eusc-de-east-1", AccountID: "111111111111", Resource: "parameter/p"},
		resType: "parameter", resID: "p",
	},
	{
		name:    "sns topic",
		in:      "arn:aws:sns:us-east-1:111111111111:my-topic",
		want:    arn.ARN{Partition: "aws", Service: "sns", Region: "us-east-1", AccountID: "111111111111", Resource: "my-topic"},
		resType: "", resID: "my-topic",
	},
	{
		name:    "lambda layer version with colons",
		in:      "arn:aws:lambda:us-east-1:111111111111:layer:my-layer:3",
		want:    arn.ARN{Partition: "aws", Service: "lambda", Region: "us-east-1", AccountID: "111111111111", Resource: "layer:my-layer:3"},
		resType: "layer", resID: "my-layer:3",
	},
	{
		name:    "hyphenated service",
		in:      "arn:aws:execute-api:us-east-1:111111111111:abc123/prod/GET/pets",
		want:    arn.ARN{Partition: "aws", Service: "execute-api", Region: "us-east-1", AccountID: "111111111111", Resource: "abc123/prod/GET/pets"},
		resType: "abc123", resID: "prod/GET/pets",
	},
	{
		name:    "slash before colon",
		in:      "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/f:*",
		want:    arn.ARN{Partition: "aws", Service: "logs", Region: "us-east-1", AccountID: "111111111111", Resource: "log-group:/aws/lambda/f:*"},
		resType: "log-group", resID: "/aws/lambda/f:*",
	},
}

func TestParseValid(t *testing.T) {
	for _, tt := range validTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := arn.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
			if !arn.IsARN(tt.in) {
				t.Errorf("IsARN(%q) = false, want true", tt.in)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if got.IsZero() {
				t.Error("IsZero() = true, want false")
			}
			if typ := got.ResourceType(); typ != tt.resType {
				t.Errorf("ResourceType() = %q, want %q", typ, tt.resType)
			}
			if id := got.ResourceID(); id != tt.resID {
				t.Errorf("ResourceID() = %q, want %q", id, tt.resID)
			}
		})
	}
}

func TestParseEveryPartition(t *testing.T) {
	for _, p := range arn.Partitions() {
		s := "arn:" + p + ":iam::111111111111:role/r"
		a, err := arn.Parse(s)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", s, err)
			continue
		}
		if a.Partition != p {
			t.Errorf("Parse(%q).Partition = %q, want %q", s, a.Partition, p)
		}
	}
}

func TestPartitionsReturnsCopy(t *testing.T) {
	want := []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
	p := arn.Partitions()
	if !slices.Equal(p, want) {
		t.Fatalf("Partitions() = %q, want %q", p, want)
	}
	p[0] = "mutated"
	if got := arn.Partitions()[0]; got != "aws" {
		t.Errorf("Partitions() shares its backing array: got %q after mutation", got)
	}
}

var invalidTests = []struct {
	name    string
	in      string
	want    error
	section string
}{
	{"empty", "", arn.ErrMalformed, ""},
	{"no prefix", "aws:ssm:us-east-1:111111111111:parameter/x", arn.ErrMalformed, ""},
	{"uppercase prefix", "ARN:aws:ssm:us-east-1:111111111111:parameter/x", arn.ErrMalformed, ""},
	{"prefix only", "arn:", arn.ErrMalformed, ""},
	{"too few sections", "arn:aws:ssm", arn.ErrMalformed, ""},
	{"five sections", "arn:aws:ssm:us-east-1:111111111111", arn.ErrMalformed, ""},
	{"unknown partition", "arn:amazon:ssm:us-east-1:111111111111:parameter/x", arn.ErrUnknownPartition, arn.SectionPartition},
	{"empty partition", "arn::ssm:us-east-1:111111111111:parameter/x", arn.ErrUnknownPartition, arn.SectionPartition},
	{"uppercase partition", "arn:AWS:ssm:us-east-1:111111111111:parameter/x", arn.ErrUnknownPartition, arn.SectionPartition},
	{"empty service", "arn:aws::us-east-1:111111111111:parameter/x", arn.ErrInvalidService, arn.SectionService},
	{"uppercase service", "arn:aws:SSM:us-east-1:111111111111:parameter/x", arn.ErrInvalidService, arn.SectionService},
	{"service with space", "arn:aws:s 3:::bucket", arn.ErrInvalidService, arn.SectionService},
	{"uppercase region", "arn:aws:ssm:US-EAST-1:111111111111:parameter/x", arn.ErrInvalidRegion, arn.SectionRegion},
	{"region with underscore", "arn:aws:ssm:us_east_1:111111111111:parameter/x", arn.ErrInvalidRegion, arn.SectionRegion},
	{"short account", "arn:aws:ssm:us-east-1:11111111111:parameter/x", arn.ErrInvalidAccount, arn.SectionAccount},
	{"long account", "arn:aws:ssm:us-east-1:1111111111111:parameter/x", arn.ErrInvalidAccount, arn.SectionAccount},
	{"account with letters", "arn:aws:ssm:us-east-1:11111111111a:parameter/x", arn.ErrInvalidAccount, arn.SectionAccount},
	{"account AWS uppercase", "arn:aws:iam::AWS:policy/ReadOnlyAccess", arn.ErrInvalidAccount, arn.SectionAccount},
	{"account with dashes", "arn:aws:iam::1111-1111-1111:role/r", arn.ErrInvalidAccount, arn.SectionAccount},
	{"empty resource", "arn:aws:s3:::", arn.ErrEmptyResource, arn.SectionResource},
	{"empty resource with account", "arn:aws:ssm:us-east-1:111111111111:", arn.ErrEmptyResource, arn.SectionResource},
}

var sentinels = []error{
	arn.ErrMalformed,
	arn.ErrUnknownPartition,
	arn.ErrInvalidService,
	arn.ErrInvalidRegion,
	arn.ErrInvalidAccount,
	arn.ErrEmptyResource,
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidTests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := arn.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %#v, want error %v", tt.in, a, tt.want)
			}
			if a != (arn.ARN{}) {
				t.Errorf("Parse(%q) returned non-zero ARN %#v with error", tt.in, a)
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, !got)
				}
			}
			var pe *arn.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T is not *arn.ParseError", tt.in, err)
			}
			if pe.Input != tt.in || pe.Section != tt.section || pe.Err != tt.want {
				t.Errorf("ParseError = %+v, want Input %q Section %q Err %v", pe, tt.in, tt.section, tt.want)
			}
			if msg := err.Error(); !strings.Contains(msg, strconv.Quote(tt.in)) {
				t.Errorf("error %q does not quote the input %q", msg, tt.in)
			}
			if arn.IsARN(tt.in) {
				t.Errorf("IsARN(%q) = true, want false", tt.in)
			}
		})
	}
}

func TestMalformedMessage(t *testing.T) {
	_, err := arn.Parse("arn:aws:ssm")
	const want = `arn: "arn:aws:ssm" is malformed: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (6 colon-separated sections): arn: malformed ARN`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %s", err, want)
	}
}

func TestValidate(t *testing.T) {
	if err := (arn.ARN{}).Validate(); !errors.Is(err, arn.ErrUnknownPartition) {
		t.Errorf("zero ARN Validate() = %v, want ErrUnknownPartition", err)
	}
	// A colon in a non-resource section must be rejected so that String
	// and Parse round-trip.
	a := arn.ARN{Partition: "aws", Service: "s3", Region: "a:b", Resource: "x"}
	if err := a.Validate(); !errors.Is(err, arn.ErrInvalidRegion) {
		t.Errorf("Validate(%#v) = %v, want ErrInvalidRegion", a, err)
	}
}

func TestIsZero(t *testing.T) {
	if !(arn.ARN{}).IsZero() {
		t.Error("ARN{}.IsZero() = false")
	}
	if (arn.ARN{Resource: "x"}).IsZero() {
		t.Error("ARN{Resource: x}.IsZero() = true")
	}
}

func TestResourceSplitEdgeCases(t *testing.T) {
	tests := []struct{ resource, typ, id string }{
		{"parameter/", "parameter", ""},
		{"/leading", "", "leading"},
		{"/", "", ""},
		{":leading", "", "leading"},
		{"a:b/c", "a", "b/c"},
		{"a/b:c", "a", "b:c"},
		{"", "", ""},
	}
	for _, tt := range tests {
		a := arn.ARN{Resource: tt.resource}
		if typ, id := a.ResourceType(), a.ResourceID(); typ != tt.typ || id != tt.id {
			t.Errorf("resource %q split = (%q, %q), want (%q, %q)", tt.resource, typ, id, tt.typ, tt.id)
		}
	}
}

type doc struct {
	Source arn.ARN  `json:"source"`
	Target arn.ARN  `json:"target,omitzero"`
	Ptr    *arn.ARN `json:"ptr,omitempty"`
}

func TestJSON(t *testing.T) {
	src := arn.ARN{Partition: "aws", Service: "ssm", Region: "eu-central-1", AccountID: "111111111111", Resource: "parameter/app/x"}

	b, err := json.Marshal(doc{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"source":"arn:aws:ssm:eu-central-1:111111111111:parameter/app/x"}`
	if string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}

	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Source != src || !d.Target.IsZero() {
		t.Errorf("Unmarshal = %+v", d)
	}

	// Zero ARN marshals as "" and "" unmarshals to the zero ARN.
	b, err = json.Marshal(struct{ A arn.ARN }{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"A":""}` {
		t.Errorf("zero ARN marshals to %s, want {\"A\":\"\"}", b)
	}
	d2 := doc{Source: src}
	if err := json.Unmarshal([]byte(`{"source":""}`), &d2); err != nil {
		t.Fatal(err)
	}
	if !d2.Source.IsZero() {
		t.Errorf(`"" unmarshals to %#v, want zero ARN`, d2.Source)
	}

	// Invalid input is an error wrapping the sentinel.
	err = json.Unmarshal([]byte(`{"source":"arn:amazon:s3:::b"}`), &d)
	if !errors.Is(err, arn.ErrUnknownPartition) {
		t.Errorf("Unmarshal invalid = %v, want ErrUnknownPartition", err)
	}

	// Invalid non-zero ARN refuses to marshal.
	_, err = json.Marshal(arn.ARN{Service: "s3", Resource: "b"})
	if !errors.Is(err, arn.ErrUnknownPartition) {
		t.Errorf("Marshal invalid = %v, want ErrUnknownPartition", err)
	}
}

func TestUnmarshalTextErrorLeavesValue(t *testing.T) {
	a := arn.ARN{Partition: "aws", Service: "s3", Resource: "b"}
	before := a
	if err := a.UnmarshalText([]byte("nope")); !errors.Is(err, arn.ErrMalformed) {
		t.Errorf("UnmarshalText(nope) = %v, want ErrMalformed", err)
	}
	if a != before {
		t.Errorf("UnmarshalText error modified value: %#v", a)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range validTests {
		f.Add(tt.in)
	}
	for _, tt := range invalidTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := arn.Parse(s)
		if got := arn.IsARN(s); got != (err == nil) {
			t.Fatalf("IsARN(%q) = %v, but Parse error = %v", s, got, err)
		}
		if err != nil {
			var pe *arn.ParseError
			if !errors.As(err, &pe) || pe.Input != s {
				t.Fatalf("Parse(%q) error %#v is not a *ParseError for the input", s, err)
			}
			n := 0
			for _, sentinel := range sentinels {
				if errors.Is(err, sentinel) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("Parse(%q) error %v matches %d sentinels, want 1", s, err, n)
			}
			if a != (arn.ARN{}) {
				t.Fatalf("Parse(%q) returned non-zero %#v with error", s, a)
			}
			return
		}
		if got := a.String(); got != s {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
		b, err := arn.Parse(a.String())
		if err != nil || b != a {
			t.Fatalf("Parse(String()) = %#v, %v; want %#v", b, err, a)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("Validate() of parsed %q = %v", s, err)
		}
		text, err := a.MarshalText()
		if err != nil || string(text) != s {
			t.Fatalf("MarshalText() = %q, %v; want %q", text, err, s)
		}
		typ, id := a.ResourceType(), a.ResourceID()
		if i := strings.IndexAny(a.Resource, "/:"); i < 0 {
			if typ != "" || id != a.Resource {
				t.Fatalf("resource %q without separator split to (%q, %q)", a.Resource, typ, id)
			}
		} else if typ != a.Resource[:i] || id != a.Resource[i+1:] || strings.ContainsAny(typ, "/:") {
			t.Fatalf("resource %q split to (%q, %q)", a.Resource, typ, id)
		}
	})
}
