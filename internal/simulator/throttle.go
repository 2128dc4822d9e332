package simulator

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
)

// writeThrottle answers r with the throttling error the real service sends,
// in the shape of its protocol (see the package documentation).
func writeThrottle(w http.ResponseWriter, c call) {
	id := requestID()
	var status int
	var contentType, body string
	switch {
	case c.json || jsonServices[c.service]:
		status = http.StatusBadRequest
		contentType = c.jsonCT
		if contentType == "" {
			contentType = "application/x-amz-json-1.1"
		}
		body = `{"__type":"ThrottlingException","message":"Rate exceeded"}`
	case c.service == "ec2":
		status = http.StatusServiceUnavailable
		contentType = "text/xml;charset=UTF-8"
		body = `<?xml version="1.0" encoding="UTF-8"?>` +
			`<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>` +
			`<RequestID>` + id + `</RequestID></Response>`
	default:
		status = http.StatusBadRequest
		contentType = "text/xml"
		body = `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>` +
			`<RequestId>` + id + `</RequestId></ErrorResponse>`
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h["x-amzn-RequestId"] = []string{id} // AWS's spelling; header names are case-insensitive
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// jsonServices are the signing names of services that speak an AWS JSON
// protocol even when a request lacks X-Amz-Target (which never happens with
// the SDK; this only decides the shape of the error).
var jsonServices = map[string]bool{
	"ssm":            true,
	"secretsmanager": true,
	"kms":            true,
}

// requestID returns a random request id shaped like AWS's (a UUID).
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
