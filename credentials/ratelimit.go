package credentials

import (
	"context"
	"fmt"
	"slices"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// RateLimit caps the rate of calls a source configuration makes to a group
// of one service's operations. AWS throttles each account and region per
// API (or group of APIs sharing a quota); pacing the calls on our side keeps
// a large job under the quota instead of spending its time in throttling
// retries, and leaves room for the account's other users.
type RateLimit struct {
	// Service is the SDK service id ("SSM", "EC2", "Secrets Manager"),
	// matched case-insensitively.
	Service string
	// Operations share one bucket; empty means every operation of Service.
	Operations []string
	// PerSecond is the sustained rate; Burst the bucket size (default:
	// PerSecond rounded up).
	PerSecond float64
	Burst     int
}

// DefaultRateLimits returns AWS's default quotas for the reads the adapters
// make (REFERENCE.md section 5): SSM's GetParameter, GetParameters and
// GetParametersByPath share 40 TPS; EC2's Describe calls refill at 20 per
// second with a burst of 100. Secrets Manager allows 50 GetResourcePolicy
// (shared with the policy writes) and 100 BatchGetSecretValue per second,
// neither adjustable (Secrets Manager quotas in its user guide); the
// policy read, one per secret, bounds a BATCH of secrets to 50 per second.
// Its GetSecretValue and DescribeSecret share 10,000 per second, which a
// job does not approach.
func DefaultRateLimits() []RateLimit {
	return []RateLimit{
		{Service: "SSM", Operations: []string{"GetParameter", "GetParameters", "GetParametersByPath"}, PerSecond: 40, Burst: 40},
		{Service: "EC2", PerSecond: 20, Burst: 100},
		{Service: "Secrets Manager", Operations: []string{"GetResourcePolicy"}, PerSecond: 50, Burst: 50},
		{Service: "Secrets Manager", Operations: []string{"BatchGetSecretValue"}, PerSecond: 100, Burst: 100},
	}
}

// rateLimited returns an API option pacing each attempt (retries included)
// through the bucket of its operation. The buckets are shared by every
// client made from the configuration, across jobs.
func rateLimited(limits []RateLimit) (func(*middleware.Stack) error, error) {
	type bucket struct {
		service string
		ops     []string
		lim     *rate.Limiter
	}
	buckets := make([]bucket, 0, len(limits))
	for _, l := range limits {
		if l.Service == "" || l.PerSecond <= 0 {
			return nil, fmt.Errorf("credentials: rate limit %+v: want a service and a positive PerSecond", l)
		}
		burst := l.Burst
		if burst <= 0 {
			burst = int(l.PerSecond + 0.999)
		}
		buckets = append(buckets, bucket{strings.ToLower(l.Service), l.Operations, rate.NewLimiter(rate.Limit(l.PerSecond), burst)})
	}
	find := func(service, op string) *rate.Limiter {
		service = strings.ToLower(service)
		for _, b := range buckets {
			if b.service == service && (len(b.ops) == 0 || slices.Contains(b.ops, op)) {
				return b.lim
			}
		}
		return nil
	}
	mw := middleware.FinalizeMiddlewareFunc("awsreplicator.RateLimit",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if lim := find(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)); lim != nil {
				if err := lim.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			return next.HandleFinalize(ctx, in)
		})
	return func(s *middleware.Stack) error {
		if _, ok := s.Finalize.Get(mw.ID()); ok {
			return nil
		}
		// After the retry middleware, so that every attempt is paced.
		if _, ok := s.Finalize.Get("Retry"); ok {
			return s.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return s.Finalize.Add(mw, middleware.After)
	}, nil
}
