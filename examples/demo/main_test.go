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
	if !strings.Contains(out, `"state": "SUCCEEDED"`) || strings.Count(out, "  same\n") != 3 {
		t.Errorf("demo output lacks a SUCCEEDED job with 3 identical resources:\n%s", out)
	}
	if strings.Contains(out+stderr.String(), "never-printed") {
		t.Error("the demo printed a SecureString value")
	}
}
