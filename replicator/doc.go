// Package replicator runs replication jobs: it reads resources from a
// source AWS account and writes them into an emulator with the same
// identifiers and ARNs, through adapters registered per resource type.
//
// # A first replication
//
//	reg := resources.NewRegistry() // every adapter of this module
//	runner, err := replicator.NewRunner(reg)
//	st, err := runner.Run(ctx, replicator.Spec{
//		ResourceType: "AWS::SSM::Parameter", Identifier: "/shared/db/host",
//		Source: src, Target: tgt, // from package credentials
//	})
//	// st.State is SUCCEEDED or ERROR; st.Resources has every outcome.
//
// # Jobs
//
// [Runner.Submit] validates a [Spec] and starts a [Job] in the background:
// invalid specs (unknown type, malformed ARN, missing identifier) are errors
// at once, before a job exists. A job tests its connections
// (TESTING_CONNECTION: sts:GetCallerIdentity on the source and the target),
// then replicates (RUNNING) and ends SUCCEEDED or ERROR. [Job.Updates]
// streams status snapshots, [Job.Wait] blocks until the end, [Job.Cancel]
// stops it; [Runner.Job] and [Runner.Jobs] look jobs up by id.
//
// Each resource is replicated once per job, parents first: a resource's
// DependsOn references (a subnet's VPC, a SecureString's KMS key) are read
// from the source and written before it, and reported as outcomes of their
// own with "dependency": true. A TREE job also follows children (a VPC's
// subnets and security groups). A BATCH job streams the adapter's listing
// into a bounded pool of writers (Options.Concurrency) through a short
// queue (four resources per writer), so the source is read while the target
// is written, and memory does not grow with the number of resources listed.
//
// # Identity
//
// Every write is read back from the target, and the outcome says whether the
// identifier and ARN are the source's ([job.Identity]). Where the target
// assigns its own ids (EC2 on moto), the mapping from source to target id
// is recorded and used for the references of later resources
// ([Target.TargetID]).
//
// # Adapters
//
// A [ResourceReplicator] reads a resource into a [Resource] (a plain,
// serialisable description, with secret material apart in
// Resource.Secrets) and writes a Resource into a target. Optional
// interfaces add ARN support ([ARNResolver]), BATCH ([Lister]) and TREE
// ([TreeExplorer]). Adapters register in a [Registry]; registering a type
// twice panics, as database/sql does.
//
// # Guards
//
// Whatever configurations a Spec carries, the runner makes the source
// read-only and the target emulator-only (see package credentials), and
// counts every call and throttled attempt in the job's statistics.
//
// # HTTP API
//
// [NewHandler] serves the job API wire-compatible with LocalStack's
// (/_localstack/replicator/jobs, /resources); [Registry.Policy] returns the
// minimal IAM policy the source credentials need.
package replicator
