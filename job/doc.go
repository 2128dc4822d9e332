// Package job is the model of a replication job and its JSON wire format,
// the same documents LocalStack's AWS Replicator accepts and returns.
//
// It imports nothing else of this module, so any program (a CLI, an HTTP
// client, a dashboard) can reuse it to speak the protocol.
//
// # Lifecycle
//
// A job is in one of [States]: TESTING_CONNECTION, then RUNNING, then
// SUCCEEDED or ERROR. [State.Transition] rejects every other move with
// [ErrIllegalTransition].
//
// # Requests
//
// A [Request] names one resource (type and identifier, or ARN) or a batch
// of them, a [ReplicationType], an [ExploreStrategy], and the source and
// target AWS configuration. [DecodeRequest] reads one strictly and
// validates it; it also accepts the older "identifier" field.
//
// # Status
//
// A [Status] is the job document: its id, state, error message and the
// [Outcome] of every resource, grouped as succeeded, failed and skipped.
// Each outcome says, from reading the target back, whether the target kept
// the source identifier and ARN ([Identity]).
//
// # Secrets
//
// Credentials and secret values are held in [Secret], which prints as
// [Redacted] through fmt and slog. A Status never contains one.
package job
