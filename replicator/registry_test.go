package replicator_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/awsreplicator/awsreplicator/arn"
	"github.com/awsreplicator/awsreplicator/replicator"
)

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestRegistryRegister(t *testing.T) {
	w := newWorld()
	reg := replicator.NewRegistry()
	reg.Register(&fakeAdapter{w: w, typ: typeThing})

	mustPanic(t, "a second Register of the same type", func() { reg.Register(&fakeAdapter{w: w, typ: typeThing}) })
	mustPanic(t, "a second Register differing in case", func() { reg.Register(&fakeAdapter{w: w, typ: strings.ToUpper(typeThing)}) })
	mustPanic(t, "Register with an empty type", func() {
		reg.Register(basicAdapter{f: &fakeAdapter{w: w}, info: replicator.TypeInfo{}})
	})
	mustPanic(t, "Register of an ARN type without ARNResolver", func() {
		reg.Register(basicAdapter{f: &fakeAdapter{w: w}, info: replicator.TypeInfo{Type: "Test::X::Y", ARNService: "x", ARNResourceType: "y"}})
	})
	// Another type claiming the ARN shape of Thing ("fake", "thing").
	mustPanic(t, "two types for the same ARN shape", func() {
		reg.Register(&otherInfoAdapter{fakeAdapter{w: w, typ: "Test::Other::Thing"}})
	})
	// None of the failed registrations left anything behind.
	if got := reg.TypeNames(); !slices.Equal(got, []string{typeThing}) {
		t.Errorf("TypeNames() = %q after failed registrations", got)
	}
}

// otherInfoAdapter is a fake whose ARN shape collides with typeThing's.
type otherInfoAdapter struct{ fakeAdapter }

func (o *otherInfoAdapter) Info() replicator.TypeInfo {
	info := o.fakeAdapter.Info()
	info.ARNResourceType = arnKind(typeThing)
	return info
}

func TestRegistryLookup(t *testing.T) {
	_, r := setup(t)
	reg := r.Registry()
	for _, name := range []string{typeThing, strings.ToUpper(typeThing), strings.ToLower(typeThing), "test::fake::THING"} {
		a, err := reg.Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
			continue
		}
		if a.Info().Type != typeThing {
			t.Errorf("Lookup(%q) = %s", name, a.Info().Type)
		}
	}
	_, err := reg.Lookup("AWS::Nope::Nope")
	if !errors.Is(err, replicator.ErrUnsupported) {
		t.Fatalf("Lookup of an unknown type: %v", err)
	}
	for _, want := range []string{`"AWS::Nope::Nope"`, typeBasic, typeChild, typeParent, typeThing} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not list %s", err, want)
		}
	}
}

func TestRegistryLookupARN(t *testing.T) {
	_, r := setup(t)
	reg := r.Registry()
	a, err := reg.LookupARN(mustARN(t, "arn:aws:fake:eu-central-1:111111111111:child/c1"))
	if err != nil || a.Info().Type != typeChild {
		t.Fatalf("LookupARN = %v, %v", a, err)
	}
	_, err = reg.LookupARN(mustARN(t, "arn:aws:s3:::bucket"))
	if !errors.Is(err, replicator.ErrUnsupported) {
		t.Fatalf("LookupARN of an S3 bucket: %v", err)
	}
	for _, want := range []string{"arn:aws:s3:::bucket", `"s3"`, typeThing} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	// typeBasic has no ARN support, so it is not offered.
	if strings.Contains(err.Error(), typeBasic) {
		t.Errorf("error %q offers a type without ARN support", err)
	}
	// The right service with an unknown resource type.
	if _, err := reg.LookupARN(mustARN(t, "arn:aws:fake:eu-central-1:111111111111:widget/w")); !errors.Is(err, replicator.ErrUnsupported) {
		t.Errorf("LookupARN of an unknown resource type: %v", err)
	}
}

func mustARN(t *testing.T, s string) arn.ARN {
	t.Helper()
	a, err := arn.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRegistryTypes(t *testing.T) {
	_, r := setup(t)
	types := r.Registry().Types()
	names := r.Registry().TypeNames()
	want := []string{typeBasic, typeChild, typeParent, typeThing}
	if !slices.Equal(names, want) {
		t.Errorf("TypeNames() = %q, want sorted %q", names, want)
	}
	if len(types) != len(want) {
		t.Fatalf("Types() has %d entries", len(types))
	}
	for i, ti := range types {
		if ti.Type != want[i] {
			t.Errorf("Types()[%d] = %s", i, ti.Type)
		}
	}
	if empty := replicator.NewRegistry(); len(empty.Types()) != 0 || len(empty.TypeNames()) != 0 {
		t.Errorf("an empty registry has types")
	}
}

func TestRegistryConcurrent(t *testing.T) {
	reg := replicator.NewRegistry()
	w := newWorld()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			reg.Register(basicAdapter{f: &fakeAdapter{w: w}, info: replicator.TypeInfo{Type: "Test::Concurrent::T" + string(rune('A'+i%26)) + strings.Repeat("x", i/26)}})
		}
	}()
	for range 50 {
		_, _ = reg.Lookup("Test::Concurrent::TA")
		_ = reg.Types()
	}
	<-done
	if n := len(reg.TypeNames()); n != 50 {
		t.Errorf("%d types registered, want 50", n)
	}
}
