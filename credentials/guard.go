package credentials

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrNotReadOnly is returned, before anything is sent, for an operation
// that is not a read attempted through a source configuration.
var ErrNotReadOnly = errors.New("credentials: refused a non-read operation on the source")

// ErrNotEmulator is returned, before anything is sent, for a request from a
// target configuration to an endpoint that is not known to be an emulator.
var ErrNotEmulator = errors.New("credentials: refused to write to an endpoint that is not an emulator")

// Middleware ids; adding a guard to a stack that has it already is a no-op,
// so the runner can guard every configuration it is given.
const (
	readOnlyID     = "awsreplicator.ReadOnly"
	emulatorOnlyID = "awsreplicator.EmulatorOnly"
)

// readPrefixes are the operation-name prefixes of AWS read operations.
var readPrefixes = []string{"Describe", "Get", "List", "BatchGet", "Head"}

// IsReadOperation reports whether an AWS operation name is a read
// (Describe*, Get*, List*, BatchGet*, Head*), or is one of extra.
func IsReadOperation(op string, extra ...string) bool {
	for _, p := range readPrefixes {
		if strings.HasPrefix(op, p) && len(op) > len(p) {
			return true
		}
	}
	for _, e := range extra {
		if op == e {
			return true
		}
	}
	return false
}

// ReadOnly returns an API option (for aws.Config.APIOptions) that refuses,
// before it is signed or sent, every operation that is not a read. Operation
// names in extra are allowed too: reads whose names do not say so, such as
// ecr:BatchCheckLayerAvailability.
func ReadOnly(extra ...string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		if _, ok := s.Initialize.Get(readOnlyID); ok {
			return nil // already guarded
		}
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc(readOnlyID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op := awsmiddleware.GetOperationName(ctx)
				if !IsReadOperation(op, extra...) {
					return middleware.InitializeOutput{}, middleware.Metadata{},
						fmt.Errorf("%w: %s:%s would change the source account; the source is only ever read", ErrNotReadOnly, awsmiddleware.GetServiceID(ctx), op)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// EmulatorOnly returns an API option that refuses, just before it is sent,
// any request whose host is not an emulator: a loopback address,
// "localhost", "localhost.localstack.cloud" (and their subdomains), or one
// of hosts (each "host" or "host:port").
func EmulatorOnly(hosts ...string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		if _, ok := s.Deserialize.Get(emulatorOnlyID); ok {
			return nil // already guarded, possibly with declared hosts
		}
		return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc(emulatorOnlyID,
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok && !IsEmulatorHost(req.URL.Host, hosts...) {
					return middleware.DeserializeOutput{}, middleware.Metadata{},
						fmt.Errorf("%w: %s:%s to %s; point the target at a local emulator, or declare this host as one (Target.EmulatorHosts, TARGET_EMULATOR_HOSTS)",
							ErrNotEmulator, awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), req.URL.Host)
				}
				return next.HandleDeserialize(ctx, in)
			}), middleware.After)
	}
}

// IsEmulatorHost reports whether hostport (as in a URL's Host) names an
// emulator: loopback, localhost, localhost.localstack.cloud or their
// subdomains, or one of declared.
func IsEmulatorHost(hostport string, declared ...string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	for _, d := range declared {
		d = strings.ToLower(d)
		if d == strings.ToLower(hostport) || d == host {
			return true
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	for _, suffix := range []string{"localhost", "localhost.localstack.cloud"} {
		if host == suffix || strings.HasSuffix(host, "."+suffix) {
			return true
		}
	}
	return false
}

// checkEmulatorURL validates an endpoint URL up front, so a wrong target is
// an error when the configuration is made rather than at the first write.
func checkEmulatorURL(raw string, declared []string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("credentials: target endpoint %q is not a URL: want http://HOST:PORT, e.g. %s", raw, DefaultTargetEndpoint)
	}
	if !IsEmulatorHost(u.Host, declared...) {
		return fmt.Errorf("%w: target endpoint %s; use a loopback or localhost.localstack.cloud endpoint, or declare the host as an emulator (Target.EmulatorHosts, TARGET_EMULATOR_HOSTS)", ErrNotEmulator, raw)
	}
	return nil
}

// AccountHeader returns an API option that adds the x-moto-account-id
// header, which moto server uses to choose the account a request acts in
// (it ignores 12-digit access keys). LocalStack ignores the header and
// takes the account from a 12-digit access key id instead; a target
// configuration made by [LoadTarget] does both.
func AccountHeader(accountID string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("awsreplicator.AccountHeader",
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set("x-moto-account-id", accountID)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	}
}
