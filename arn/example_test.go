package arn_test

import (
	"errors"
	"fmt"

	"github.com/awsreplicator/awsreplicator/arn"
)

func ExampleParse() {
	a, err := arn.Parse("arn:aws:ssm:eu-central-1:111111111111:parameter/app/x")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Partition, a.Service, a.Region, a.AccountID)
	fmt.Println(a.ResourceType(), a.ResourceID())
	// Output:
	// aws ssm eu-central-1 111111111111
	// parameter app/x
}

func ExampleARN_String() {
	a := arn.ARN{
		Partition: "aws",
		Service:   "iam",
		AccountID: "aws",
		Resource:  "policy/ReadOnlyAccess",
	}
	fmt.Println(a)
	// Output:
	// arn:aws:iam::aws:policy/ReadOnlyAccess
}

func ExampleIsARN() {
	fmt.Println(arn.IsARN("arn:aws:s3:::my-bucket"))
	fmt.Println(arn.IsARN("arn:aws:lambda:us-east-1:111111111111:layer:my-layer:3"))
	fmt.Println(arn.IsARN("my-bucket"))
	// Output:
	// true
	// true
	// false
}

func ExampleARN_ResourceID() {
	for _, s := range []string{
		"arn:aws:secretsmanager:us-east-1:111111111111:secret:db-pass-AbCdEf",
		"arn:aws:s3:::my-bucket",
	} {
		a, _ := arn.Parse(s)
		fmt.Printf("%q %q\n", a.ResourceType(), a.ResourceID())
	}
	// Output:
	// "secret" "db-pass-AbCdEf"
	// "" "my-bucket"
}

func Example_errorsIs() {
	_, err := arn.Parse("arn:amazon:s3:::my-bucket")
	if errors.Is(err, arn.ErrUnknownPartition) {
		fmt.Println("unknown partition")
	}
	fmt.Println(err)
	// Output:
	// unknown partition
	// arn: "arn:amazon:s3:::my-bucket" has unknown partition "amazon": want one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc: arn: unknown partition
}
