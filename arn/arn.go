package arn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ARN is a parsed Amazon Resource Name. The zero value is the empty ARN,
// which is not valid (see [ARN.Validate]) but is useful as "no ARN"; see
// [ARN.IsZero].
//
// ARN is comparable, so it can be used with == and as a map key.
type ARN struct {
	Partition string // "aws", "aws-cn", "aws-us-gov", ...
	Service   string // "ssm", "iam", "s3", ...
	Region    string // "us-east-1"; empty for global services
	AccountID string // 12 digits, "aws", or empty
	Resource  string // everything after the fifth colon, e.g. "parameter/app/x"
}

// Sentinel errors wrapped by [*ParseError]. Test for them with [errors.Is].
var (
	// ErrMalformed means the input does not start with "arn:" or has fewer
	// than six colon-separated sections.
	ErrMalformed = errors.New("arn: malformed ARN")
	// ErrUnknownPartition means the partition is not one of [Partitions].
	ErrUnknownPartition = errors.New("arn: unknown partition")
	// ErrInvalidService means the service is empty or contains characters
	// other than lowercase ASCII letters, digits and hyphens.
	ErrInvalidService = errors.New("arn: invalid service")
	// ErrInvalidRegion means the region contains characters other than
	// lowercase ASCII letters, digits and hyphens.
	ErrInvalidRegion = errors.New("arn: invalid region")
	// ErrInvalidAccount means the account is neither empty, 12 digits nor "aws".
	ErrInvalidAccount = errors.New("arn: invalid account ID")
	// ErrEmptyResource means the resource section is empty.
	ErrEmptyResource = errors.New("arn: empty resource")
)

// Section names used in [ParseError.Section].
const (
	SectionPartition = "partition"
	SectionService   = "service"
	SectionRegion    = "region"
	SectionAccount   = "account"
	SectionResource  = "resource"
)

// ParseError describes why a string is not a valid ARN.
type ParseError struct {
	Input   string // the string passed to Parse (or ARN.String() for Validate)
	Section string // offending section (Section* constant); "" for ErrMalformed
	Value   string // offending section's value; "" for ErrMalformed
	Err     error  // one of the sentinel errors, e.g. ErrUnknownPartition
}

func (e *ParseError) Error() string {
	var want string
	switch e.Err {
	case ErrMalformed:
		if !strings.HasPrefix(e.Input, prefix) {
			return fmt.Sprintf("arn: %q is malformed: want prefix %q as in arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE: %v",
				e.Input, prefix, e.Err)
		}
		return fmt.Sprintf("arn: %q is malformed: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (6 colon-separated sections): %v",
			e.Input, e.Err)
	case ErrUnknownPartition:
		return fmt.Sprintf("arn: %q has unknown partition %q: want one of %s: %v",
			e.Input, e.Value, strings.Join(partitions[:], ", "), e.Err)
	case ErrInvalidService:
		want = "non-empty lowercase letters, digits and hyphens, e.g. \"ssm\""
	case ErrInvalidRegion:
		want = "empty or lowercase letters, digits and hyphens, e.g. \"us-east-1\""
	case ErrInvalidAccount:
		want = "12 digits, \"aws\" or empty"
	case ErrEmptyResource:
		return fmt.Sprintf("arn: %q has an empty resource: want a non-empty resource after the fifth colon: %v",
			e.Input, e.Err)
	default:
		return fmt.Sprintf("arn: %q: %v", e.Input, e.Err)
	}
	return fmt.Sprintf("arn: %q has invalid %s %q: want %s: %v", e.Input, e.Section, e.Value, want, e.Err)
}

// Unwrap returns the sentinel error, so errors.Is(err, ErrInvalidRegion) works.
func (e *ParseError) Unwrap() error { return e.Err }

const prefix = "arn:"

var partitions = [...]string{
	"aws",
	"aws-cn",
	"aws-us-gov",
	"aws-iso",
	"aws-iso-b",
	"aws-iso-e",
	"aws-iso-f",
	"aws-eusc",
}

// Partitions returns the partitions accepted by [Parse]. The caller owns the
// returned slice.
func Partitions() []string { return slices.Clone(partitions[:]) }

// Parse parses s, which must have the form
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. It splits on the first five
// colons only, so RESOURCE may contain colons and slashes. On failure the
// error is a [*ParseError] wrapping one of the package's sentinel errors.
func Parse(s string) (ARN, error) {
	a, section, value, err := parse(s)
	if err != nil {
		return ARN{}, &ParseError{Input: s, Section: section, Value: value, Err: err}
	}
	return a, nil
}

// IsARN reports whether [Parse] would succeed on s. It does not allocate.
func IsARN(s string) bool {
	_, _, _, err := parse(s)
	return err == nil
}

// parse does the work of Parse without allocating; err is a sentinel.
func parse(s string) (a ARN, section, value string, err error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return ARN{}, "", "", ErrMalformed
	}
	var fields [4]string
	for i := range fields {
		var found bool
		fields[i], rest, found = strings.Cut(rest, ":")
		if !found {
			return ARN{}, "", "", ErrMalformed
		}
	}
	a = ARN{
		Partition: fields[0],
		Service:   fields[1],
		Region:    fields[2],
		AccountID: fields[3],
		Resource:  rest,
	}
	section, value, err = a.check()
	return a, section, value, err
}

// check validates the sections of a; err is a sentinel or nil. Because no
// valid partition, service, region or account contains a colon, an ARN that
// passes check round-trips through String and Parse.
func (a ARN) check() (section, value string, err error) {
	switch {
	case !slices.Contains(partitions[:], a.Partition):
		return SectionPartition, a.Partition, ErrUnknownPartition
	case a.Service == "" || !isLowerAlnumHyphen(a.Service):
		return SectionService, a.Service, ErrInvalidService
	case !isLowerAlnumHyphen(a.Region):
		return SectionRegion, a.Region, ErrInvalidRegion
	case !validAccount(a.AccountID):
		return SectionAccount, a.AccountID, ErrInvalidAccount
	case a.Resource == "":
		return SectionResource, a.Resource, ErrEmptyResource
	}
	return "", "", nil
}

func isLowerAlnumHyphen(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validAccount(s string) bool {
	switch len(s) {
	case 0:
		return true
	case 12:
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	return s == "aws"
}

// Validate reports whether a would be accepted by [Parse], i.e. whether
// Parse(a.String()) succeeds and returns a. The error, if any, is a
// [*ParseError] whose Input is a.String().
func (a ARN) Validate() error {
	if section, value, err := a.check(); err != nil {
		return &ParseError{Input: a.String(), Section: section, Value: value, Err: err}
	}
	return nil
}

// String returns the canonical form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
// For every s accepted by [Parse], String returns s. String does not
// validate a; the zero ARN formats as "arn:::::".
func (a ARN) String() string {
	return prefix + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// IsZero reports whether a is the zero ARN. It lets encoding/json omit
// empty ARN fields tagged `json:",omitzero"`.
func (a ARN) IsZero() bool { return a == ARN{} }

// ResourceType returns the part of the resource before its first '/' or ':',
// whichever comes first, or "" if the resource contains neither:
//
//	parameter/app/x     -> "parameter"
//	secret:name-AbCdEf  -> "secret"
//	layer:my-layer:3    -> "layer"
//	my-bucket           -> ""
func (a ARN) ResourceType() string {
	typ, _ := a.splitResource()
	return typ
}

// ResourceID returns the part of the resource after its first '/' or ':',
// whichever comes first, or the whole resource if it contains neither:
//
//	parameter/app/x     -> "app/x"
//	secret:name-AbCdEf  -> "name-AbCdEf"
//	layer:my-layer:3    -> "my-layer:3"
//	my-bucket           -> "my-bucket"
func (a ARN) ResourceID() string {
	_, id := a.splitResource()
	return id
}

func (a ARN) splitResource() (typ, id string) {
	i := strings.IndexAny(a.Resource, "/:")
	if i < 0 {
		return "", a.Resource
	}
	return a.Resource[:i], a.Resource[i+1:]
}

// MarshalText implements [encoding.TextMarshaler]. The zero ARN marshals to
// an empty string; any other ARN must be valid (see [ARN.Validate]) and
// marshals to [ARN.String].
func (a ARN) MarshalText() ([]byte, error) {
	if a.IsZero() {
		return []byte{}, nil
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. Empty text yields the
// zero ARN; any other text is parsed with [Parse]. On error *a is unchanged.
func (a *ARN) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*a = ARN{}
		return nil
	}
	parsed, err := Parse(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}
