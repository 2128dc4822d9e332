package simulator

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxFormBody bounds how much of a query-protocol body is read to find its
// Action. Query requests are small (IAM policy documents are at most a few
// tens of KiB); a larger body is still forwarded whole, but its operation is
// reported as unknown.
const maxFormBody = 8 << 20

// call is what the proxy knows about one request.
type call struct {
	service string // SigV4 signing name, lower case; "" if the request is not signed
	op      string // operation name; "" if unknown
	json    bool   // the request uses an AWS JSON protocol (X-Amz-Target)
	jsonCT  string // the request's Content-Type if it is application/x-amz-json-*
}

// key is the Stats key of c: "service:Operation".
func (c call) key() string { return c.service + ":" + c.op }

// identify finds the service and operation of r. For a query-protocol POST
// it reads the body and puts an identical one back, so the request can still
// be forwarded byte for byte; the only error is a failure to read the body.
func identify(r *http.Request) (call, error) {
	c := call{service: signingName(r)}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		c.json = true
		c.op = t[strings.LastIndexByte(t, '.')+1:]
		if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-amz-json-") {
			c.jsonCT = ct
		}
		return c, nil
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		c.op = a
		return c, nil
	}
	if r.Body == nil || r.Body == http.NoBody || !isForm(r.Header.Get("Content-Type")) {
		return c, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
	if err != nil {
		return c, err
	}
	rest := r.Body
	if len(body) <= maxFormBody {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			c.op = vals.Get("Action")
		}
		_ = rest.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	} else {
		// Too large to parse: forward what was read followed by the rest.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), rest), rest}
	}
	// r.ContentLength and r.TransferEncoding are left as they were, so the
	// upstream sees the same framing; GetBody is not needed because the
	// proxy's transport never replays a server request's body.
	return c, nil
}

// isForm reports whether ct is application/x-www-form-urlencoded.
func isForm(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// signingName returns the service of the SigV4 (or SigV4a) credential scope
// of r, from the Authorization header or, for a presigned URL, the
// X-Amz-Credential query parameter:
//
//	Credential=AKID/20260101/eu-central-1/ssm/aws4_request  -> "ssm"
//	Credential=AKID/20260101/ssm/aws4_request               -> "ssm" (SigV4a)
func signingName(r *http.Request) string {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		i := strings.Index(auth, "Credential=")
		if i < 0 {
			return ""
		}
		cred = auth[i+len("Credential="):]
		if j := strings.IndexAny(cred, ", "); j >= 0 {
			cred = cred[:j]
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 4 || parts[len(parts)-1] != "aws4_request" {
		return ""
	}
	return strings.ToLower(parts[len(parts)-2])
}
