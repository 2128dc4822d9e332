package replicator

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"

	"github.com/awsreplicator/awsreplicator/job"
)

// callCounter counts the attempts made through one configuration.
type callCounter struct {
	calls, throttled atomic.Int64
}

var isThrottle = retry.IsErrorThrottles(retry.DefaultThrottles)

// option returns an API option counting every attempt (it sits after the
// retry middleware) and the attempts answered with a throttling error.
func (c *callCounter) option() func(*middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("awsreplicator.CountCalls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			c.calls.Add(1)
			if err != nil && isThrottle.IsErrorThrottle(err) == aws.TrueTernary {
				c.throttled.Add(1)
			}
			return out, md, err
		})
	return func(s *middleware.Stack) error {
		if _, ok := s.Finalize.Get("Retry"); ok {
			return s.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return s.Finalize.Add(mw, middleware.After)
	}
}

// jobStats counts a job's calls to its source and its target.
type jobStats struct{ source, target callCounter }

func (s *jobStats) snapshot() *job.Statistics {
	return &job.Statistics{
		SourceCalls:     s.source.calls.Load(),
		SourceThrottled: s.source.throttled.Load(),
		TargetCalls:     s.target.calls.Load(),
		TargetThrottled: s.target.throttled.Load(),
	}
}
