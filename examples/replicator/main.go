// Command replicator copies AWS resources into LocalStack or another
// emulator with the same identifiers and ARNs. It takes the commands, flags
// and environment variables of `localstack replicator`:
//
//	replicator start --resource-type AWS::SSM::Parameter --resource-identifier /app/db/host
//	replicator start --resource-arn arn:aws:ssm:eu-central-1:111111111111:parameter/app/db/host --target-account-id 111111111111
//	replicator start --replication-type BATCH --resource-type AWS::SSM::Parameter --resource-identifier /app/
//	replicator status --server http://127.0.0.1:4599 --follow JOB_ID
//	replicator resources
//
// `start` runs the job in this process to its end, printing progress on
// stderr and the final job document on stdout; it exits 0 when the job
// SUCCEEDED, 1 when it ended in ERROR, and 2 for invalid flags. With
// --server URL it submits the job to a server speaking the replicator HTTP
// API instead (LocalStack's, or examples/server).
//
// The source is read with the standard AWS credential chain (AWS_PROFILE,
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
// AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, SSO, assume-role). The target is
// configured by TARGET_ACCESS_KEY_ID, TARGET_SECRET_ACCESS_KEY,
// TARGET_SESSION_TOKEN, TARGET_DEFAULT_REGION, TARGET_ENDPOINT_URL
// (default http://localhost.localstack.cloud:4566), TARGET_PROFILE and
// TARGET_EMULATOR_HOSTS.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
