package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/awsreplicator/awsreplicator/internal/testenv"
)

// The README's first command runs this program; keep it working.
func TestDemoReplicatesWithIdenticalARNs(t *testing.T) {
	if err := testenv.MotoAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr); err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	// 3 parameters and the secret keep their ARNs; moto gives the VPC, its
	// 2 subnets and the security group ids of its own, which the demo shows.
	if !strings.Contains(out, `"state": "SUCCEEDED"`) || strings.Count(out, "  same\n") != 4 || strings.Count(out, "  different\n") != 4 {
		t.Errorf("demo output lacks 4 identical and 4 mapped resources:\n%s", out)
	}
	if strings.Contains(out+stderr.String(), "never-printed") {
		t.Error("the demo printed a SecureString value")
	}
}
