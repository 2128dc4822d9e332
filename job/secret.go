package job

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a [Secret] prints as.
const Redacted = "[REDACTED]"

// Secret holds secret material: a secret access key, a session token, a
// password, a SecureString value. It never prints its value: fmt verbs
// (%v, %s, %q, %+v, %#v) and slog show [Redacted] for a non-empty Secret.
//
// JSON encoding carries the value, because a submitted request must carry
// credentials over the wire; documents meant to be shown (the job [Status])
// contain no Secret fields.
type Secret string

// Reveal returns the secret value. Call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// String returns [Redacted], or "" for an empty Secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer so %#v does not show the value.
func (s Secret) GoString() string { return fmt.Sprintf("job.Secret(%q)", s.String()) }

// Format implements fmt.Formatter so that every verb, including %x and %q,
// prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the value itself; see the type's documentation.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(string(s)) }
