package apierr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestCodeAndHas(t *testing.T) {
	wrapped := fmt.Errorf("op: %w", &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "m"})
	if Code(wrapped) != "NoSuchEntity" || !Has(wrapped, "Other", "NoSuchEntity") || Has(wrapped, "Other") {
		t.Errorf("wrapped API error: Code %q", Code(wrapped))
	}
	plain := errors.New("NoSuchEntity")
	if Code(plain) != "" || Has(plain, "NoSuchEntity") || Has(nil, "") {
		t.Error("a non-API error has no code, even when its text looks like one")
	}
}
