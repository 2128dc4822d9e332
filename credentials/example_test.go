package credentials_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awsreplicator/awsreplicator/credentials"
)

func ExampleLoadTarget() {
	ctx := context.Background()

	// The zero Target: LocalStack on its default endpoint, in the default
	// account, in the source's region. Loading it sends nothing.
	var tgt credentials.Target
	cfg, err := credentials.LoadTarget(ctx, tgt, "eu-central-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tgt.Account(), cfg.Region, aws.ToString(cfg.BaseEndpoint))

	// A 12-digit access key id selects the account, as in LocalStack.
	tgt = credentials.Target{AccessKeyID: "111111111111", SecretAccessKey: "test", EndpointURL: "http://127.0.0.1:4566"}
	fmt.Println(tgt.Account())

	// An AWS endpoint is refused before any client is made.
	_, err = credentials.LoadTarget(ctx, credentials.Target{EndpointURL: "https://ssm.eu-central-1.amazonaws.com"}, "eu-central-1")
	fmt.Println(errors.Is(err, credentials.ErrNotEmulator))
	// Output:
	// 000000000000 eu-central-1 http://localhost.localstack.cloud:4566
	// 111111111111
	// true
}

func ExampleIsEmulatorHost() {
	for _, host := range []string{
		"127.0.0.1:4566",
		"[::1]:4566",
		"localhost.localstack.cloud:4566",
		"bucket.s3.localhost.localstack.cloud:4566",
		"ssm.eu-central-1.amazonaws.com",
		"localhost.evil.com",
	} {
		fmt.Println(host, credentials.IsEmulatorHost(host))
	}
	// A host the caller declares as an emulator.
	fmt.Println("emulator.internal:4566", credentials.IsEmulatorHost("emulator.internal:4566", "emulator.internal"))
	// Output:
	// 127.0.0.1:4566 true
	// [::1]:4566 true
	// localhost.localstack.cloud:4566 true
	// bucket.s3.localhost.localstack.cloud:4566 true
	// ssm.eu-central-1.amazonaws.com false
	// localhost.evil.com false
	// emulator.internal:4566 true
}
