package replicator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
)

func TestNewRunnerOptions(t *testing.T) {
	reg := replicator.NewRegistry()
	if _, err := replicator.NewRunner(nil); err == nil || !strings.Contains(err.Error(), "Registry") {
		t.Errorf("NewRunner(nil) = %v", err)
	}
	for _, tc := range []struct {
		name    string
		opt     func(*replicator.Options)
		mention string
	}{
		{"zero concurrency", func(o *replicator.Options) { o.Concurrency = 0 }, "Concurrency"},
		{"negative concurrency", func(o *replicator.Options) { o.Concurrency = -1 }, "Concurrency"},
		{"zero connect timeout", func(o *replicator.Options) { o.ConnectTimeout = 0 }, "ConnectTimeout"},
		{"negative connect timeout", func(o *replicator.Options) { o.ConnectTimeout = -time.Second }, "ConnectTimeout"},
		{"negative update interval", func(o *replicator.Options) { o.UpdateInterval = -time.Millisecond }, "UpdateInterval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := replicator.NewRunner(reg, tc.opt)
			if err == nil || r != nil {
				t.Fatalf("NewRunner = %v, %v; want an error", r, err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not name %s", err, tc.mention)
			}
		})
	}
	for _, tc := range []struct {
		name string
		opts []func(*replicator.Options)
	}{
		{"defaults", nil},
		{"zero update interval", []func(*replicator.Options){func(o *replicator.Options) { o.UpdateInterval = 0 }}},
		{"several options in order", []func(*replicator.Options){
			func(o *replicator.Options) { o.Concurrency = 0 },
			func(o *replicator.Options) { o.Concurrency = 1 },
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := replicator.NewRunner(reg, tc.opts...)
			if err != nil || r == nil {
				t.Fatalf("NewRunner = %v, %v", r, err)
			}
			if r.Registry() != reg {
				t.Errorf("Registry() is not the registry given")
			}
		})
	}
}

func TestSubmitInvalid(t *testing.T) {
	_, r := setup(t)
	src, tgt := configs()
	noCreds := src
	noCreds.Credentials = nil
	noRegion := src
	noRegion.Region = ""
	tgtNoCreds := tgt
	tgtNoCreds.Credentials = nil
	tgtNoEndpoint := tgt
	tgtNoEndpoint.BaseEndpoint = nil
	base := replicator.Spec{ResourceType: typeThing, Identifier: "a", Source: src, Target: tgt}
	with := func(f func(*replicator.Spec)) replicator.Spec {
		s := base
		f(&s)
		return s
	}
	for _, tc := range []struct {
		name    string
		spec    replicator.Spec
		is      []error
		mention []string
	}{
		{
			name:    "unknown type",
			spec:    with(func(s *replicator.Spec) { s.ResourceType = "AWS::Nope::Nope" }),
			is:      []error{replicator.ErrUnsupported},
			mention: []string{"AWS::Nope::Nope", "supported types are", typeBasic, typeChild, typeParent, typeThing},
		},
		{
			name:    "malformed ARN",
			spec:    with(func(s *replicator.Spec) { s.ResourceType, s.Identifier, s.ARN = "", "", "arn:aws:fake:eu-central-1" }),
			is:      []error{arn.ErrMalformed},
			mention: []string{"arn:aws:fake:eu-central-1"},
		},
		{
			name: "ARN with a bad account",
			spec: with(func(s *replicator.Spec) {
				s.ResourceType, s.Identifier, s.ARN = "", "", "arn:aws:fake:eu-central-1:1234:thing/a"
			}),
			is: []error{arn.ErrInvalidAccount},
		},
		{
			name:    "not an ARN",
			spec:    with(func(s *replicator.Spec) { s.ResourceType, s.Identifier, s.ARN = "", "", "thing/a" }),
			is:      []error{job.ErrInvalidRequest},
			mention: []string{"thing/a"},
		},
		{
			name:    "ARN of an unsupported type",
			spec:    with(func(s *replicator.Spec) { s.ResourceType, s.Identifier, s.ARN = "", "", "arn:aws:s3:::bucket" }),
			is:      []error{replicator.ErrUnsupported},
			mention: []string{"arn:aws:s3:::bucket"},
		},
		{
			name:    "ARN and type",
			spec:    with(func(s *replicator.Spec) { s.Identifier, s.ARN = "", "arn:aws:fake:eu-central-1:111111111111:thing/a" }),
			is:      []error{job.ErrInvalidRequest},
			mention: []string{"resource_arn"},
		},
		{
			name:    "type without identifier",
			spec:    with(func(s *replicator.Spec) { s.Identifier = "" }),
			is:      []error{job.ErrInvalidRequest},
			mention: []string{typeThing, "resource_identifier"},
		},
		{
			name:    "nothing named",
			spec:    with(func(s *replicator.Spec) { s.ResourceType, s.Identifier = "", "" }),
			is:      []error{job.ErrInvalidRequest},
			mention: []string{"resource_type"},
		},
		{
			name:    "BATCH on a type without Lister",
			spec:    with(func(s *replicator.Spec) { s.ResourceType, s.ReplicationType = typeBasic, job.Batch }),
			is:      []error{replicator.ErrUnsupported},
			mention: []string{typeBasic, "BATCH"},
		},
		{
			name: "BATCH by ARN",
			spec: with(func(s *replicator.Spec) {
				s.ResourceType, s.Identifier, s.ARN, s.ReplicationType = "", "", "arn:aws:fake:eu-central-1:111111111111:thing/a", job.Batch
			}),
			mention: []string{"BATCH", "ARN"},
		},
		{
			name:    "unknown replication type",
			spec:    with(func(s *replicator.Spec) { s.ReplicationType = "MULTI" }),
			is:      []error{job.ErrInvalidValue},
			mention: []string{`"MULTI"`, "SINGLE_RESOURCE, BATCH"},
		},
		{
			name:    "unknown explore strategy",
			spec:    with(func(s *replicator.Spec) { s.ExploreStrategy = "DEEP" }),
			is:      []error{job.ErrInvalidValue},
			mention: []string{`"DEEP"`, "SIMPLE, TREE"},
		},
		{
			name:    "missing source credentials",
			spec:    with(func(s *replicator.Spec) { s.Source = noCreds }),
			mention: []string{"Spec.Source", "credentials.LoadSource"},
		},
		{
			name:    "zero source config",
			spec:    with(func(s *replicator.Spec) { s.Source = aws.Config{} }),
			mention: []string{"Spec.Source"},
		},
		{
			name:    "missing source region",
			spec:    with(func(s *replicator.Spec) { s.Source = noRegion }),
			mention: []string{"Spec.Source", "region"},
		},
		{
			name:    "missing target credentials",
			spec:    with(func(s *replicator.Spec) { s.Target = tgtNoCreds }),
			mention: []string{"Spec.Target", "credentials.LoadTarget"},
		},
		{
			name:    "missing target endpoint",
			spec:    with(func(s *replicator.Spec) { s.Target = tgtNoEndpoint }),
			mention: []string{"Spec.Target", "endpoint", "emulator"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := r.Submit(context.Background(), tc.spec)
			if err == nil {
				<-j.Done()
				t.Fatalf("Submit succeeded: %+v", j.Status())
			}
			if j != nil {
				t.Errorf("Submit returned a job with its error")
			}
			if !errors.Is(err, replicator.ErrInvalidSpec) {
				t.Errorf("err = %v, want ErrInvalidSpec", err)
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("err = %v, want it to wrap %v", err, target)
				}
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			// Run reports the same error without a job.
			st, runErr := r.Run(context.Background(), tc.spec)
			if !errors.Is(runErr, replicator.ErrInvalidSpec) || st.JobID != "" {
				t.Errorf("Run = %+v, %v", st, runErr)
			}
		})
	}
	if jobs := r.Jobs(); len(jobs) != 0 {
		t.Errorf("invalid specs made %d jobs", len(jobs))
	}
}

func TestSubmitEnumCase(t *testing.T) {
	// The enums are parsed like job.ParseReplicationType: case-insensitively.
	w, r := setup(t)
	w.add(typeThing, "a")
	s := spec(typeThing, "a")
	s.ReplicationType, s.ExploreStrategy = "single_resource", "simple"
	st := run(t, r, s)
	if st.State != job.StateSucceeded || st.Type != job.SingleResource || st.ExploreStrategy != job.Simple {
		t.Errorf("status = %+v", st)
	}
}

func TestSubmitDoesNotMutateSpec(t *testing.T) {
	w, r := setup(t)
	w.add(typeThing, "a")
	s := spec(typeThing, "a")
	s.Source.APIOptions = make([]func(*middleware.Stack) error, 0, 8)
	s.Target.APIOptions = make([]func(*middleware.Stack) error, 0, 8)
	st := run(t, r, s)
	if st.State != job.StateSucceeded {
		t.Fatalf("status = %+v", st)
	}
	if len(s.Source.APIOptions) != 0 || len(s.Target.APIOptions) != 0 {
		t.Errorf("Submit changed the caller's APIOptions")
	}
	// Spare capacity of the caller's slices was not written either.
	if got := s.Source.APIOptions[:1][0]; got != nil {
		t.Errorf("Submit wrote into the spare capacity of Spec.Source.APIOptions")
	}
	if got := s.Target.APIOptions[:1][0]; got != nil {
		t.Errorf("Submit wrote into the spare capacity of Spec.Target.APIOptions")
	}
}
