package ssm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/internal/fixture"
	"github.com/awsreplicator/awsreplicator/internal/testenv"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources/ssm"
)

// Shared end-to-end helpers.
var (
	run         = fixture.Run
	mustSucceed = fixture.MustSucceed
)

var env *testenv.Env

// Every end-to-end test runs against both targets (testenv.ForEachTarget):
// moto server and a real LocalStack.
func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.WithLocalStack("ssm", "kms", "sts")) }

// param is what a test puts into the source and expects in the target.
type param struct {
	Name, Type, Value, Description, KeyID string
	Tags                                  map[string]string
}

// teamKey creates the customer-managed key secure parameters are
// encrypted with, as alias/team-key, in the source.
func teamKey(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	c := awskms.NewFromConfig(fixture.Seeder(env.Source.URL()))
	k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("team key")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/team-key"), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, c *awsssm.Client, p param) {
	t.Helper()
	in := &awsssm.PutParameterInput{Name: aws.String(p.Name), Type: types.ParameterType(p.Type), Value: aws.String(p.Value)}
	if p.Description != "" {
		in.Description = aws.String(p.Description)
	}
	if p.KeyID != "" {
		in.KeyId = aws.String(p.KeyID)
	}
	for k, v := range p.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := c.PutParameter(context.Background(), in); err != nil {
		t.Fatalf("seeding %s: %v", p.Name, err)
	}
}

// get reads a parameter back, decrypted, with its metadata and tags.
func get(t *testing.T, c *awsssm.Client, name string) (param, string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.GetParameters(ctx, &awsssm.GetParametersInput{Names: []string{name}, WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatalf("reading %s back: %v", name, err)
	}
	if len(out.Parameters) != 1 {
		t.Fatalf("parameter %s is not in the target (invalid: %v)", name, out.InvalidParameters)
	}
	prm := out.Parameters[0]
	got := param{Name: aws.ToString(prm.Name), Type: string(prm.Type), Value: aws.ToString(prm.Value)}
	md, err := c.DescribeParameters(ctx, &awsssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}}})
	if err != nil || len(md.Parameters) != 1 {
		t.Fatalf("describing %s: %v (%d found)", name, err, len(md.Parameters))
	}
	got.Description = aws.ToString(md.Parameters[0].Description)
	if prm.Type == types.ParameterTypeSecureString {
		got.KeyID = aws.ToString(md.Parameters[0].KeyId)
	}
	tags, err := c.ListTagsForResource(ctx, &awsssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String(name)})
	if err != nil {
		t.Fatalf("tags of %s: %v", name, err)
	}
	if len(tags.TagList) > 0 {
		got.Tags = map[string]string{}
		for _, tg := range tags.TagList {
			got.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
	}
	return got, aws.ToString(prm.ARN)
}

func absent(t *testing.T, c *awsssm.Client, name string) {
	t.Helper()
	out, err := c.GetParameters(context.Background(), &awsssm.GetParametersInput{Names: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 0 {
		t.Errorf("parameter %s is in the target, want it absent", name)
	}
}

type clients struct{ src, tgt *awsssm.Client }

// setup returns clients of the source and of tgt (in targetAccount, ""
// for the default), and a job spec from the source to tgt. ForEachTarget
// has reset both.
func setup(t *testing.T, tgt testenv.Target, targetAccount string) (clients, replicator.Spec, *replicator.Runner) {
	t.Helper()
	ctx := context.Background()
	c := clients{
		src: awsssm.NewFromConfig(fixture.Seeder(env.Source.URL())),
		tgt: awsssm.NewFromConfig(fixture.Reader(ctx, t, tgt.URL(), targetAccount)),
	}
	return c, fixture.Spec(ctx, t, env.Source.URL(), tgt.URL(), targetAccount), fixture.Runner(t)
}

// own drops the outcomes of dependencies (the KMS key of a SecureString).
func own(outcomes []job.Outcome) []job.Outcome {
	var out []job.Outcome
	for _, o := range outcomes {
		if !o.Dependency {
			out = append(out, o)
		}
	}
	return out
}

var (
	plain = param{Name: "/shared/db/host", Type: "String", Value: "db.internal:5432", Description: "database host",
		Tags: map[string]string{"team": "platform", "env": "dev"}}
	list   = param{Name: "/shared/azs", Type: "StringList", Value: "eu-central-1a,eu-central-1b", Tags: map[string]string{"team": "network"}}
	secure = param{Name: "/shared/db/password", Type: "SecureString", Value: "s3cr3t-Pa55w0rd!",
		KeyID: "alias/team-key", Tags: map[string]string{"team": "platform"}}
)

func TestReplicateByNameIntoDefaultAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		put(t, c.src, plain)
		spec.ResourceType, spec.Identifier = ssm.TypeName, plain.Name
		st := run(t, r, spec)
		mustSucceed(t, st)

		got, tgtARN := get(t, c.tgt, plain.Name)
		if diff := cmp.Diff(plain, got); diff != "" {
			t.Errorf("target parameter differs (-source +target):\n%s", diff)
		}
		want := "arn:aws:ssm:eu-central-1:000000000000:parameter/shared/db/host"
		if tgtARN != want {
			t.Errorf("target ARN = %s, want %s", tgtARN, want)
		}
		if n := len(st.Resources.Succeeded); n != 1 {
			t.Fatalf("%d succeeded outcomes, want 1", n)
		}
		o := st.Resources.Succeeded[0]
		if o.Identity != job.IdentitySameIdentifier || o.TargetARN != want ||
			o.ResourceARN != "arn:aws:ssm:eu-central-1:111111111111:parameter/shared/db/host" {
			t.Errorf("outcome = %+v, want same_identifier with target ARN %s", o, want)
		}
	})
}

func TestReplicateByARNKeepsTheARNInTheSourceAccount(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		teamKey(t)
		put(t, c.src, secure)
		_, srcARN := get(t, c.src, secure.Name)
		spec.ARN = srcARN
		st := run(t, r, spec)
		mustSucceed(t, st)

		got, tgtARN := get(t, c.tgt, secure.Name)
		if diff := cmp.Diff(secure, got); diff != "" {
			t.Errorf("target parameter differs (-source +target):\n%s", diff)
		}
		if tgtARN != srcARN {
			t.Errorf("target ARN = %s, want the source ARN %s", tgtARN, srcARN)
		}
		if o := own(st.Resources.Succeeded)[0]; o.Identity != job.IdentitySame || o.TargetARN != srcARN {
			t.Errorf("outcome = %+v, want identity same and target ARN %s", o, srcARN)
		}
	})
}

// An ARN does not say whether a one-level name has a leading slash; the
// adapter must find the name that exists.
func TestARNLeadingSlashAmbiguity(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		noSlash := param{Name: "toplevel", Type: "String", Value: "a"}
		slash := param{Name: "/rooted", Type: "String", Value: "b"}
		put(t, c.src, noSlash)
		put(t, c.src, slash)
		for _, p := range []param{noSlash, slash} {
			spec.ARN = "arn:aws:ssm:eu-central-1:111111111111:parameter/" + strings.TrimPrefix(p.Name, "/")
			mustSucceed(t, run(t, r, spec))
			got, _ := get(t, c.tgt, p.Name)
			if got.Name != p.Name || got.Value != p.Value {
				t.Errorf("ARN %s replicated as %+v, want %+v", spec.ARN, got, p)
			}
		}
	})
}

func TestBatchByPathReplicatesAllTypesRecursively(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, fixture.SourceAccount)
		all := []param{plain, list, secure}
		teamKey(t)
		for _, p := range all {
			put(t, c.src, p)
		}
		outside := param{Name: "/other/thing", Type: "String", Value: "x"}
		put(t, c.src, outside)

		spec.ReplicationType, spec.ResourceType, spec.Identifier = job.Batch, ssm.TypeName, "/shared/"
		st := run(t, r, spec)
		mustSucceed(t, st)
		if n := len(own(st.Resources.Succeeded)); n != len(all) {
			t.Errorf("%d succeeded, want %d: %+v", n, len(all), st.Resources)
		}
		for _, p := range all {
			got, tgtARN := get(t, c.tgt, p.Name)
			if diff := cmp.Diff(p, got); diff != "" {
				t.Errorf("%s differs (-source +target):\n%s", p.Name, diff)
			}
			_, srcARN := get(t, c.src, p.Name)
			if tgtARN != srcARN {
				t.Errorf("%s: target ARN %s, want %s", p.Name, tgtARN, srcARN)
			}
		}
		absent(t, c.tgt, outside.Name)
	})
}

func TestAlreadyExistingIsAnErrorOrSkipped(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, r := setup(t, tgt, "")
		put(t, c.src, plain)
		existing := plain
		existing.Value, existing.Tags, existing.Description = "already-here", nil, ""
		put(t, c.tgt, existing)
		spec.ResourceType, spec.Identifier = ssm.TypeName, plain.Name

		st := run(t, r, spec)
		if st.State != job.StateError || len(st.Resources.Failed) != 1 || st.ErrorMessage == nil ||
			!strings.Contains(*st.ErrorMessage, "already exists") || !strings.Contains(*st.ErrorMessage, "ignore_already_existing") {
			t.Errorf("without ignore_already_existing: %+v, want ERROR naming the fix", st)
		}

		spec.IgnoreAlreadyExisting = true
		st = run(t, r, spec)
		mustSucceed(t, st)
		if len(st.Resources.Skipped) != 1 || len(st.Resources.Succeeded) != 0 {
			t.Errorf("with ignore_already_existing: %+v, want one skipped", st.Resources)
		}
		if got, _ := get(t, c.tgt, plain.Name); got.Value != "already-here" {
			t.Errorf("existing target value changed to %q", got.Value)
		}
	})
}

func TestMissingParameterEndsInError(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		_, spec, r := setup(t, tgt, "")
		spec.ResourceType, spec.Identifier = ssm.TypeName, "/does/not/exist"
		st := run(t, r, spec)
		if st.State != job.StateError || st.ErrorMessage == nil ||
			!strings.Contains(*st.ErrorMessage, `"/does/not/exist" does not exist in the source (account 111111111111, region eu-central-1)`) {
			t.Errorf("got %+v, want ERROR saying the parameter does not exist", st)
		}
	})
}

// No secret value may appear in the job document, in the logs (at debug
// level), or in the errors of a failed write.
func TestSecretValuesNeverLeak(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		c, spec, _ := setup(t, tgt, "")
		teamKey(t)
		put(t, c.src, secure)
		var logs bytes.Buffer
		r := fixture.Runner(t, func(o *replicator.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		spec.ResourceType, spec.Identifier = ssm.TypeName, secure.Name
		first := run(t, r, spec)
		mustSucceed(t, first)
		second := run(t, r, spec) // fails: already exists
		doc, _ := json.Marshal([]job.Status{first, second})
		for what, text := range map[string]string{"job JSON": string(doc), "logs": logs.String()} {
			if strings.Contains(text, secure.Value) {
				t.Errorf("the SecureString value appears in the %s", what)
			}
		}
		if !strings.Contains(logs.String(), secure.Name) {
			t.Errorf("logs do not mention the parameter at all; is the logger wired? %s", logs.String())
		}
	})
}

// The source is read-only: a write through a source configuration is
// refused before it is sent, so the source does not change. No target is
// involved, so this runs once, not per target.
func TestSourceClientRefusesWrites(t *testing.T) {
	e := testenv.Require(t, env)
	ctx := context.Background()
	cfg, err := credentials.LoadSource(ctx, fixture.Source(e.Source.URL()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = awsssm.NewFromConfig(cfg).PutParameter(ctx, &awsssm.PutParameterInput{
		Name: aws.String("/must/not/exist"), Type: types.ParameterTypeString, Value: aws.String("x")})
	if !errors.Is(err, credentials.ErrNotReadOnly) {
		t.Fatalf("PutParameter through the source: %v, want ErrNotReadOnly", err)
	}
	absent(t, awsssm.NewFromConfig(fixture.Seeder(e.Source.URL())), "/must/not/exist")
}

func TestUnreachableEndpointsEndTheJobInError(t *testing.T) {
	testenv.ForEachTarget(t, env, func(t *testing.T, tgt testenv.Target) {
		ctx := context.Background()
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://127.0.0.1:" + strconv.Itoa(port)
		r := fixture.Runner(t, func(o *replicator.Options) { o.ConnectTimeout = 5 * time.Second })
		for name, tc := range map[string]struct{ src, tgt, want string }{
			"source": {closed, tgt.URL(), "cannot reach the source (" + closed},
			"target": {env.Source.URL(), closed, "cannot reach the target (" + closed},
		} {
			t.Run(name, func(t *testing.T) {
				spec := fixture.Spec(ctx, t, tc.src, tc.tgt, "")
				spec.ResourceType, spec.Identifier = ssm.TypeName, "x"
				st := run(t, r, spec)
				if st.State != job.StateError || st.ErrorMessage == nil || !strings.Contains(*st.ErrorMessage, tc.want) {
					t.Errorf("got %+v, want ERROR containing %q", st, tc.want)
				}
			})
		}
	})
}
