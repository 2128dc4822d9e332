package resources_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/awsreplicator/awsreplicator/resources"
)

// Every adapter of the module, in a registry a Runner can use.
func ExampleNewRegistry() {
	reg := resources.NewRegistry()
	for _, t := range reg.Types() {
		fmt.Printf("%-28s by %s\n", t.Type, t.Identifier)
	}
	// Output:
	// AWS::EC2::SecurityGroup      by GroupId
	// AWS::EC2::Subnet             by SubnetId
	// AWS::EC2::VPC                by VpcId
	// AWS::IAM::Policy             by Arn
	// AWS::IAM::Role               by RoleName
	// AWS::KMS::Key                by KeyId
	// AWS::SSM::Parameter          by Name
	// AWS::SecretsManager::Secret  by Arn
}

// The least-privilege policy for the source credentials of a job that
// replicates security groups (their VPCs are replicated first, so the VPC
// reads are included).
func ExampleRegister_policy() {
	doc, err := resources.NewRegistry().Policy("AWS::EC2::SecurityGroup")
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Sid": "AWSReplicatorRead",
	//       "Effect": "Allow",
	//       "Action": [
	//         "ec2:DescribeSecurityGroups",
	//         "ec2:DescribeSubnets",
	//         "ec2:DescribeVpcAttribute",
	//         "ec2:DescribeVpcs"
	//       ],
	//       "Resource": "*"
	//     }
	//   ]
	// }
}
