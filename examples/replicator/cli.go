package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/job"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the job ended in ERROR, or could not be run
	exitUsage = 2 // invalid command line
)

const usage = `usage: replicator <command> [flags]

commands:
  start      replicate resources (in this process, or on --server)
  status     show a job of a --server; --follow waits for its end
  resources  list the supported resource types
  policy     print the minimal source IAM policy for the given types (all when none)

Run "replicator <command> -h" for the flags of a command.
`

// usageError is a command-line mistake: exit 2 with the message.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// run is the whole command; main only wires the process to it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "start":
		err = cmdStart(ctx, args[1:], stdout, stderr)
	case "status":
		err = cmdStatus(ctx, args[1:], stdout, stderr)
	case "resources":
		err = cmdResources(args[1:], stdout)
	case "policy":
		err = cmdPolicy(args[1:], stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "replicator: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	var uerr usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "replicator %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "replicator %s: %v\n", args[0], err)
		return exitError
	}
}

// parse parses flags that may come before or after positional arguments
// (`status JOB_ID --follow` as well as `status --follow JOB_ID`).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// extraConfig is the repeatable --extra-config KEY=VALUE flag.
type extraConfig map[string]string

func (e extraConfig) String() string { return "" }

func (e extraConfig) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	if !slices.Contains([]string{"ignore_already_existing", "master_user_password"}, k) {
		return fmt.Errorf("unknown key %q: want ignore_already_existing or master_user_password", k)
	}
	e[k] = v
	return nil
}

type startFlags struct {
	replicationType, exploreStrategy       string
	arn, resourceType, identifier          string
	targetAccount, targetRegion, srcRegion string
	extra                                  extraConfig
	server, output                         string
	concurrency                            int
}

func newStartFlags(stderr io.Writer) (*flag.FlagSet, *startFlags) {
	f := &startFlags{extra: extraConfig{}}
	fs := flag.NewFlagSet("start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.replicationType, "replication-type", string(job.SingleResource), "SINGLE_RESOURCE or BATCH")
	fs.StringVar(&f.exploreStrategy, "explore-strategy", string(job.Simple), "SIMPLE, or TREE to follow child resources")
	fs.StringVar(&f.arn, "resource-arn", "", "ARN of the resource (instead of --resource-type and --resource-identifier)")
	fs.StringVar(&f.resourceType, "resource-type", "", "resource type, e.g. AWS::SSM::Parameter (see: replicator resources)")
	fs.StringVar(&f.identifier, "resource-identifier", "", "identifier of the resource; for BATCH, the selection (e.g. a parameter path)")
	fs.StringVar(&f.targetAccount, "target-account-id", "", "12-digit account to replicate into (default 000000000000)")
	fs.StringVar(&f.targetRegion, "target-region-name", "", "region to replicate into (default: the source region)")
	fs.StringVar(&f.srcRegion, "source-region-name", "", "region to read from (default: from the AWS configuration)")
	fs.Var(f.extra, "extra-config", "KEY=VALUE, repeatable: ignore_already_existing=true, master_user_password=...")
	fs.StringVar(&f.server, "server", "", "URL of a replicator HTTP API to submit to, instead of running in this process")
	fs.StringVar(&f.output, "output", "json", "json, or table")
	fs.IntVar(&f.concurrency, "concurrency", replicator.DefaultConcurrency, "resources replicated at once (in-process runs)")
	return fs, f
}

// validate checks the flags alone, before any network access.
func (f *startFlags) validate() (job.Request, error) {
	rt, err := job.ParseReplicationType(f.replicationType)
	if err != nil {
		return job.Request{}, usagef("--replication-type: %v", err)
	}
	es, err := job.ParseExploreStrategy(f.exploreStrategy)
	if err != nil {
		return job.Request{}, usagef("--explore-strategy: %v", err)
	}
	switch {
	case f.arn != "" && (f.resourceType != "" || f.identifier != ""):
		return job.Request{}, usagef("--resource-arn cannot be combined with --resource-type or --resource-identifier")
	case f.arn != "" && !strings.HasPrefix(f.arn, "arn:"):
		return job.Request{}, usagef("--resource-arn %q is not an ARN: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE", f.arn)
	case f.arn == "" && f.resourceType == "":
		return job.Request{}, usagef("name the resource with --resource-type and --resource-identifier, or with --resource-arn")
	case f.arn == "" && f.identifier == "" && rt != job.Batch:
		return job.Request{}, usagef("--resource-type %s needs --resource-identifier", f.resourceType)
	case f.targetAccount != "" && !credentials.IsAccountID(f.targetAccount):
		return job.Request{}, usagef("--target-account-id %q is not a 12-digit account id", f.targetAccount)
	case f.output != "json" && f.output != "table":
		return job.Request{}, usagef("--output %q: want json or table", f.output)
	case f.concurrency < 1:
		return job.Request{}, usagef("--concurrency %d: want at least 1", f.concurrency)
	}
	req := job.Request{
		ReplicationType: rt,
		ExploreStrategy: es,
		Config: job.Config{
			ResourceType:       f.resourceType,
			ResourceIdentifier: f.identifier,
			ResourceARN:        f.arn,
			SourceRegionName:   f.srcRegion,
			MasterUserPassword: job.Secret(f.extra["master_user_password"]),
		},
	}
	if v, ok := f.extra["ignore_already_existing"]; ok {
		switch strings.ToLower(v) {
		case "true", "1":
			req.Config.IgnoreAlreadyExisting = true
		case "false", "0":
		default:
			return job.Request{}, usagef("--extra-config ignore_already_existing=%s: want true or false", v)
		}
	}
	return req, nil
}

func cmdStart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newStartFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	req, err := f.validate()
	if err != nil {
		return err
	}
	if f.server != "" {
		return startRemote(ctx, f, req, stdout, stderr)
	}
	reg := resources.NewRegistry()
	runner, err := replicator.NewRunner(reg, func(o *replicator.Options) { o.Concurrency = f.concurrency })
	if err != nil {
		return err
	}
	src := credentials.SourceFromEnv()
	if f.srcRegion != "" {
		src.Region = f.srcRegion
	}
	srcCfg, err := credentials.LoadSource(ctx, src)
	if err != nil {
		return err
	}
	tgt := credentials.TargetFromEnv()
	if f.targetAccount != "" {
		tgt.AccountID, tgt.AccessKeyID = f.targetAccount, ""
	}
	if f.targetRegion != "" {
		tgt.Region = f.targetRegion
	}
	tgtCfg, err := credentials.LoadTarget(ctx, tgt, srcCfg.Region)
	if err != nil {
		return err
	}
	j, err := runner.Submit(ctx, replicator.NewSpec(req, srcCfg, tgtCfg))
	if err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "replicator: invalid job: ")}
	}
	var final job.Status
	for st := range j.Updates() {
		progress(stderr, st)
		final = st
	}
	return finish(final, f.output, stdout)
}

// progress prints one line per update on stderr.
func progress(w io.Writer, st job.Status) {
	r := st.Resources
	fmt.Fprintf(w, "job %s: %s, resources: %d succeeded, %d failed, %d skipped\n",
		st.JobID, st.State, len(r.Succeeded), len(r.Failed), len(r.Skipped))
}

// finish prints the final status and turns ERROR into a non-zero exit.
func finish(st job.Status, output string, stdout io.Writer) error {
	if err := printStatus(stdout, st, output); err != nil {
		return err
	}
	if st.State == job.StateError {
		msg := "job ended in ERROR"
		if st.ErrorMessage != nil {
			msg += ": " + *st.ErrorMessage
		}
		return errors.New(msg)
	}
	return nil
}

func printStatus(w io.Writer, st job.Status, output string) error {
	if output == "table" {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "JOB\t%s\t%s\n", st.JobID, st.State)
		fmt.Fprintln(tw, "RESULT\tTYPE\tIDENTIFIER\tTARGET IDENTIFIER\tIDENTITY\tERROR")
		for _, g := range []struct {
			name string
			l    []job.Outcome
		}{{"succeeded", st.Resources.Succeeded}, {"failed", st.Resources.Failed}, {"skipped", st.Resources.Skipped}} {
			for _, o := range g.l {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.name, o.ResourceType, o.ResourceIdentifier, o.TargetIdentifier, o.Identity, o.ErrorMessage)
			}
		}
		return tw.Flush()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "URL of the replicator HTTP API (required: in-process jobs end with start)")
	follow := fs.Bool("follow", false, "poll until the job ends")
	delay := fs.Float64("delay", 5, "seconds between polls with --follow")
	output := fs.String("output", "json", "json, or table")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want exactly one JOB_ID, got %d arguments", len(pos))
	case *server == "":
		return usagef("--server URL is required: a job run by `replicator start` in this process has already ended and printed its status")
	case *delay <= 0:
		return usagef("--delay %v: want a positive number of seconds", *delay)
	case *output != "json" && *output != "table":
		return usagef("--output %q: want json or table", *output)
	}
	c := newClient(*server)
	for {
		st, err := c.get(ctx, pos[0])
		if err != nil {
			return err
		}
		if !*follow || st.State.Terminal() {
			return finish(st, *output, stdout)
		}
		progress(stderr, st)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(*delay * float64(time.Second))):
		}
	}
}

func startRemote(ctx context.Context, f *startFlags, req job.Request, stdout, stderr io.Writer) error {
	src := credentials.SourceFromEnv()
	if src.AccessKeyID == "" || src.SecretAccessKey == "" {
		return errors.New("--server needs the source credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (they are sent to the server)")
	}
	req.Source = job.AWSConfig{
		AccessKeyID:     src.AccessKeyID,
		SecretAccessKey: src.SecretAccessKey,
		SessionToken:    src.SessionToken,
		RegionName:      src.Region,
		EndpointURL:     src.EndpointURL,
	}
	if f.srcRegion != "" {
		req.Source.RegionName = f.srcRegion
	}
	if f.targetAccount != "" || f.targetRegion != "" {
		req.Target = &job.AWSConfig{AccessKeyID: f.targetAccount, RegionName: f.targetRegion}
		if f.targetAccount != "" {
			req.Target.SecretAccessKey = "test"
		}
	}
	c := newClient(f.server)
	st, err := c.submit(ctx, req)
	if err != nil {
		return err
	}
	for !st.State.Terminal() {
		progress(stderr, st)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if st, err = c.get(ctx, st.JobID); err != nil {
			return err
		}
	}
	progress(stderr, st)
	return finish(st, f.output, stdout)
}

func cmdResources(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("resources", flag.ContinueOnError)
	output := fs.String("output", "json", "json, or table")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	types := resources.NewRegistry().Types()
	switch *output {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(types)
	case "table":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tIDENTIFIER\tBATCH\tTREE")
		for _, t := range types {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Type, t.Identifier, t.Batch, strings.Join(t.Tree, ", "))
		}
		return tw.Flush()
	default:
		return usagef("--output %q: want json or table", *output)
	}
}

func cmdPolicy(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("policy", flag.ContinueOnError)
	types, err := parse(fs, args)
	if err != nil {
		return err
	}
	doc, err := resources.NewRegistry().Policy(types...)
	if err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "replicator: not supported: ")}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
