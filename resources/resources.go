// Package resources wires every resource adapter of this module into a
// registry:
//
//	reg := replicator.NewRegistry()
//	resources.Register(reg)
//
// Each AWS service has its own package below this one (resources/ssm, ...);
// a program that needs only some types can register those packages alone.
package resources

import (
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/ec2"
	"github.com/awsreplicator/awsreplicator/resources/iam"
	"github.com/awsreplicator/awsreplicator/resources/kms"
	"github.com/awsreplicator/awsreplicator/resources/secretsmanager"
	"github.com/awsreplicator/awsreplicator/resources/ssm"
)

// Register adds every adapter of this module to reg.
func Register(reg *replicator.Registry) {
	ec2.Register(reg)
	iam.Register(reg)
	kms.Register(reg)
	secretsmanager.Register(reg)
	ssm.Register(reg)
}

// NewRegistry returns a registry holding every adapter of this module.
func NewRegistry() *replicator.Registry {
	reg := replicator.NewRegistry()
	Register(reg)
	return reg
}
