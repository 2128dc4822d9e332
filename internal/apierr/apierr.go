// Package apierr reads AWS API error codes, as the adapters match errors:
// by code, through smithy.APIError, never by message text.
package apierr

import (
	"errors"
	"slices"

	"github.com/aws/smithy-go"
)

// Code returns the API error code of err ("ParameterAlreadyExists"), or ""
// when err is not an API error.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Has reports whether err is an API error with one of codes.
func Has(err error, codes ...string) bool {
	c := Code(err)
	return c != "" && slices.Contains(codes, c)
}
