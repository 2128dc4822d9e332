// Package arn parses, validates and formats Amazon Resource Names (ARNs).
//
// # Overview
//
// An ARN has the form
//
//	arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
//
// [Parse] splits a string on its first five colons only, so the RESOURCE
// section may itself contain colons and slashes (for example
// "layer:my-layer:3" or "parameter/app/x"). The result is an [ARN], a small
// comparable value type whose [ARN.String] method returns the canonical form;
// for every string s accepted by Parse, the parsed ARN's String() == s.
//
// [IsARN] reports whether Parse would succeed without allocating.
// [ARN.ResourceType] and [ARN.ResourceID] split the resource section at its
// first '/' or ':'. An ARN implements [encoding.TextMarshaler] and
// [encoding.TextUnmarshaler], so it can be stored as a JSON string; the zero
// ARN is encoded as "" and "" decodes to the zero ARN.
//
// The package uses only the standard library and imports nothing else from
// this module, so any program can reuse it.
//
// # Partitions
//
// The PARTITION section must name a known AWS partition: aws, aws-cn,
// aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f or aws-eusc.
// [Partitions] returns that list.
//
// The other sections are validated as follows:
//
//   - SERVICE must be non-empty and contain only lowercase ASCII letters,
//     digits and hyphens ("ssm", "secretsmanager", "execute-api").
//   - REGION may be empty (global services such as IAM, S3 and Route 53);
//     otherwise it contains only lowercase ASCII letters, digits and hyphens.
//   - ACCOUNT may be empty (S3 buckets); otherwise it is exactly 12 decimal
//     digits or the literal "aws" (AWS-managed IAM policies).
//   - RESOURCE must be non-empty and may contain any characters.
//
// # Errors
//
// Parse reports failures as a [*ParseError] carrying the input, the offending
// section and one of the sentinel errors [ErrMalformed],
// [ErrUnknownPartition], [ErrInvalidService], [ErrInvalidRegion],
// [ErrInvalidAccount] or [ErrEmptyResource]. Test for a kind of failure with
// [errors.Is]:
//
//	if _, err := arn.Parse(s); errors.Is(err, arn.ErrUnknownPartition) {
//		// ...
//	}
//
// The error message quotes the input and says what a valid value looks like,
// for example:
//
//	arn: "arn:aws:ssm" is malformed: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (6 colon-separated sections): arn: malformed ARN
package arn
