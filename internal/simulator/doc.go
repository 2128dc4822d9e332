// Package simulator is a source-side latency and throttling simulator for
// tests and benchmarks: an HTTP reverse proxy in front of an emulator (a moto
// server playing real AWS) that adds round-trip latency and answers requests
// beyond configured rates with the throttling errors real AWS services send.
//
// # Purpose
//
// On loopback an emulator answers in a millisecond or two and never
// throttles, so code that reads a real account (paginating, fanning out
// over goroutines, retrying) is never exercised the way AWS exercises it.
// A Proxy puts the missing properties back:
//
//	p, err := simulator.Start(simulator.Options{
//		Upstream: moto.URL(),
//		Latency:  30 * time.Millisecond,
//		Limits: []simulator.Limit{{
//			Service:    "ssm",
//			Operations: []string{"GetParameter", "GetParameters", "GetParametersByPath"},
//			PerSecond:  40, // SSM's default shared quota
//		}},
//	})
//	if err != nil { ... }
//	defer p.Close()
//	cfg.BaseEndpoint = aws.String(p.URL())
//
// It listens on a free port of 127.0.0.1. Requests are forwarded unchanged:
// method, path, query, headers (the Host header the client signed
// included) and body, byte for byte; responses come back unchanged. Only
// hop-by-hop headers are handled by the proxy itself, as any HTTP/1.1 proxy
// must. SigV4 signatures therefore stay valid, though moto does not check
// them.
//
// Every request waits [Options.Latency] before it is forwarded or refused,
// so throttled answers cost a round trip too, as they do against AWS.
// [Proxy.Stats] counts forwarded and throttled requests by
// "service:Operation".
//
// The service of a request is the signing name in its SigV4 credential
// scope (Credential=AKID/20260101/eu-central-1/ssm/aws4_request is "ssm").
// Its operation is what follows the last '.' of X-Amz-Target for the JSON
// protocols (AmazonSSM.GetParameters, secretsmanager.ListSecrets,
// TrentService.DescribeKey), else the Action parameter of the query string
// or of an application/x-www-form-urlencoded body (ec2, iam, sts); the body
// is read and put back. Anything else is operation "". Requests that are
// not signed (moto's /moto-api/ calls) are always forwarded.
//
// # Throttling errors
//
// A refused request is not forwarded; it is answered as the real service
// answers, so that aws-sdk-go-v2's retryer classifies the error as a
// throttle (retry.IsErrorThrottles(retry.DefaultThrottles)) and backs off:
//
//   - JSON protocols (ssm, secretsmanager, kms, and any request carrying
//     X-Amz-Target): HTTP 400, Content-Type application/x-amz-json-1.1
//     (or the request's application/x-amz-json-1.0), body
//     {"__type":"ThrottlingException","message":"Rate exceeded"}.
//   - ec2: HTTP 503, text/xml, <Response><Errors><Error> with Code
//     RequestLimitExceeded and Message "Request limit exceeded.".
//   - iam, sts and other query services: HTTP 400, text/xml,
//     <ErrorResponse><Error> with Type Sender, Code Throttling and
//     Message "Rate exceeded".
//
// Each carries a fresh request id (in x-amzn-RequestId, and in the XML body
// for ec2 and query services). REST protocols (s3, lambda, ...) are not
// modelled: they would get the query-service shape, which the SDK does not
// parse as theirs.
//
// # Limits
//
// Each [Limit] is a token bucket holding up to Burst tokens (ceil(PerSecond)
// by default), full at Start, refilled continuously at PerSecond. A request
// counts against every Limit that matches its service and operation; it is
// forwarded only if each of those buckets holds a whole token, and then
// takes one from each. A request that finds a bucket empty is refused at
// once, not queued (AWS does not queue either), and takes no token from any
// bucket. Decisions are made under one lock after the latency wait, so they
// are exact under any concurrency: over any interval of length T a bucket
// lets through at most Burst + PerSecond*T requests, and never refuses one
// while it holds a token. The buckets are golang.org/x/time/rate limiters,
// asked for a token only when every matching one holds one.
//
// # Why not toxiproxy
//
// toxiproxy works on TCP streams: it can delay bytes, cut bandwidth and
// reset connections, but it does not know which AWS operation a request
// is, so it can neither pace GetParameters apart from PutParameter nor
// answer with the service's own throttling error. The proxy is the
// standard library's httputil.ReverseProxy plus those two things.
//
// [Options.ThrottleFraction] additionally refuses a pseudo-random fraction
// of requests, decided before the Limits (a request refused at random takes
// no token). The PRNG is seeded from [Options.Seed] (a fixed default if 0)
// and every signed request draws exactly one number, so with a given seed
// the number refused among the first N requests is the same in every run,
// however they are interleaved.
//
// [Proxy.ResetStats] clears the counters but not the buckets.
package simulator
