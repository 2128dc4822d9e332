// Package awsreplicator copies resources that already exist in an AWS
// account into LocalStack, or any AWS-compatible emulator, with the same
// identifiers and ARNs, so that stacks referring to shared infrastructure
// (a VPC owned by another team, a secret referenced by ARN, SSM parameters)
// deploy into the emulator unchanged.
//
// This root package holds only documentation; the library is in its
// sub-packages.
//
// # A first replication
//
//	src, _ := credentials.LoadSource(ctx, credentials.SourceFromEnv())      // your AWS account, read-only
//	tgt, _ := credentials.LoadTarget(ctx, credentials.Target{}, src.Region) // LocalStack on localhost:4566
//	runner, _ := replicator.NewRunner(resources.NewRegistry())
//	st, _ := runner.Run(ctx, replicator.Spec{
//		ResourceType: "AWS::SSM::Parameter", Identifier: "/shared/db/host",
//		Source: src, Target: tgt,
//	})
//	fmt.Println(st.State) // SUCCEEDED
//
// # Packages
//
//   - arn: ARN parsing and formatting.
//   - job: the job model and its JSON wire format (LocalStack's).
//   - credentials: source and target aws.Config, with the read-only and
//     emulator-only guards.
//   - replicator: the Registry of adapters, the Runner, Jobs.
//   - resources: every adapter (resources/ssm, ...); resources.Register
//     wires them into a registry.
//
// # Guarantees
//
//   - The source is only read: every client made from a source
//     configuration refuses any operation that is not a read before it is
//     sent.
//   - The target is an emulator: writes go only to loopback,
//     localhost.localstack.cloud, or hosts declared as emulators.
//   - Secret material never appears in logs, errors or job documents.
//   - Identity is verified: each resource is read back from the target and
//     its outcome says whether identifier and ARN match the source.
package awsreplicator
