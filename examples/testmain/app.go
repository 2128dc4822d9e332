// Package testmain is a runnable example of a TestMain fixture: before the
// package's tests run, it replicates the shared infrastructure the code
// under test refers to (SSM parameters, a secret referenced by ARN, a VPC
// with its subnets) into the emulator the tests use, so the tests run
// unchanged against the same identifiers and ARNs as production.
//
// The code under test is LoadConfig, which, like many applications, takes
// the ARNs of resources another team owns.
package testmain

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/awsreplicator/awsreplicator/arn"
)

// Config is what the application reads at start-up.
type Config struct {
	DBHost     string
	DBPassword string
}

// LoadConfig reads the database host from the SSM parameter with ARN
// hostARN and the password from the secret with ARN secretARN.
func LoadConfig(ctx context.Context, cfg aws.Config, hostARN, secretARN string) (Config, error) {
	a, err := arn.Parse(hostARN)
	if err != nil {
		return Config{}, err
	}
	// A hierarchical parameter name is the ARN's resource after "parameter".
	name := "/" + a.ResourceID()
	p, err := awsssm.NewFromConfig(cfg).GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return Config{}, fmt.Errorf("reading %s: %w", hostARN, err)
	}
	s, err := awssm.NewFromConfig(cfg).GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String(secretARN)})
	if err != nil {
		return Config{}, fmt.Errorf("reading %s: %w", secretARN, err)
	}
	return Config{DBHost: aws.ToString(p.Parameter.Value), DBPassword: aws.ToString(s.SecretString)}, nil
}
