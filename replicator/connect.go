package replicator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// connect is TESTING_CONNECTION: it checks the source identity and reaches
// the target, both with sts:GetCallerIdentity, which also tells the
// accounts the job acts in.
func connect(ctx context.Context, p prepared, timeout time.Duration) (*Source, *Target, error) {
	type result struct {
		account string
		err     error
	}
	check := func(cfg aws.Config, side, hint string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			account, err := callerAccount(ctx, cfg, timeout)
			if err != nil {
				err = connectError(side, cfg, err, hint)
			}
			ch <- result{account, err}
		}()
		return ch
	}
	srcCh := check(p.spec.Source, "source", "check the source credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), the network and AWS_ENDPOINT_URL")
	tgtCh := check(p.spec.Target, "target", "is the emulator running? set its endpoint with TARGET_ENDPOINT_URL")
	srcRes, tgtRes := <-srcCh, <-tgtCh
	if err := errors.Join(srcRes.err, tgtRes.err); err != nil {
		return nil, nil, err
	}
	if p.arn.AccountID != "" && p.arn.AccountID != "aws" && p.arn.AccountID != srcRes.account {
		return nil, nil, fmt.Errorf("the ARN %s is in account %s, but the source credentials are for account %s: use credentials for account %s",
			p.arn, p.arn.AccountID, srcRes.account, p.arn.AccountID)
	}
	src := &Source{Endpoint{Config: p.spec.Source, AccountID: srcRes.account, Region: p.spec.Source.Region}}
	tgt := &Target{Endpoint: Endpoint{Config: p.spec.Target, AccountID: tgtRes.account, Region: p.spec.Target.Region}}
	return src, tgt, nil
}

func callerAccount(ctx context.Context, cfg aws.Config, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Retryer = connectRetryer() }).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}

// connectRetryer retries a connection test when it is throttled (a busy
// account is reachable) or when an established connection broke (the
// server closed a kept-alive connection: "connection reset", "use of closed
// network connection"), up to 6 attempts with backoff. An endpoint that
// cannot be dialled (refused, unknown host) or rejected credentials fail at
// once, with their own error.
func connectRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 6
		o.RateLimiter = ratelimit.None
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if isThrottle.IsErrorThrottle(err) == aws.TrueTernary {
				return aws.TrueTernary
			}
			var opErr *net.OpError
			if errors.As(err, &opErr) && opErr.Op == "dial" {
				return aws.FalseTernary
			}
			return (retry.RetryableConnectionError{}).IsErrorRetryable(err)
		})}
	})
}

// connectError turns a failed connection test into a message a person can
// act on: what was tried, where, what came back, and what to check.
func connectError(side string, cfg aws.Config, err error, hint string) error {
	where := "AWS"
	if cfg.BaseEndpoint != nil {
		where = *cfg.BaseEndpoint
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("the %s (%s, region %s) rejected sts:GetCallerIdentity: %s: %s; %s",
			side, where, cfg.Region, apiErr.ErrorCode(), apiErr.ErrorMessage(), hint)
	}
	return fmt.Errorf("cannot reach the %s (%s, region %s): %v; %s", side, where, cfg.Region, err, hint)
}
