// Package credentials builds the aws.Config of a replication's source (the
// AWS account resources are read from) and target (the emulator they are
// written into), with the guards that keep a replication safe.
//
// # Source
//
// [LoadSource] resolves credentials with the AWS SDK's standard chain
// (AWS_PROFILE, SSO, assume-role, environment keys, IMDS) or explicit
// values ([Source]); a key id without its secret, or the other way round, is
// [ErrPartialCredentials]. Every client made from a source configuration
// refuses, before anything is sent, any operation that is not a read
// ([ReadOnly], [ErrNotReadOnly]), and is paced by per-operation token
// buckets matching AWS's quotas ([DefaultRateLimits]).
//
// # Target
//
// [LoadTarget] points at LocalStack on http://localhost.localstack.cloud:4566
// unless told otherwise ([Target], [TargetFromEnv] for the TARGET_*
// variables). The target account (default 000000000000) is selected both
// the LocalStack way (a 12-digit access key id) and the moto way (the
// x-moto-account-id header, [AccountHeader]). Every client made from a
// target configuration refuses to send to a host that is not an emulator
// ([EmulatorOnly], [ErrNotEmulator]): loopback, localhost.localstack.cloud,
// or hosts declared in Target.EmulatorHosts.
//
// # Retries
//
// Both use the SDK's standard retryer (exponential backoff with jitter on
// throttling and transient errors) without its client-side retry quota,
// which fails long concurrent jobs with "retry quota exceeded" exactly when
// the source throttles.
package credentials
