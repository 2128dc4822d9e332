package job_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/awsreplicator/awsreplicator/job"
)

func ExampleDecodeRequest() {
	body := `{"replication_type": "SINGLE_RESOURCE",
	  "replication_job_config": {"resource_type": "AWS::SSM::Parameter", "identifier": "myparam",
	                             "ignore_already_existing": "true"},
	  "source_aws_config": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "s3cr3t",
	                        "region_name": "eu-central-1"}}`
	req, err := job.DecodeRequest(strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.ReplicationType, req.ExploreStrategy)
	fmt.Println(req.Config.ResourceType, req.Config.ResourceIdentifier, req.Config.IgnoreAlreadyExisting)
	fmt.Println(req.Source.AccessKeyID, req.Source.SecretAccessKey)

	// A typo is an error naming the field, not a silently ignored setting.
	_, err = job.DecodeRequest(strings.NewReader(`{"replication_job_config": {"resource_type": "AWS::SSM::Parameter", "resource_identifer": "myparam"}}`))
	fmt.Println(errors.Is(err, job.ErrInvalidRequest))
	fmt.Println(err)
	// Output:
	// SINGLE_RESOURCE SIMPLE
	// AWS::SSM::Parameter myparam true
	// AKIAEXAMPLE [REDACTED]
	// true
	// job: invalid request: replication_job_config: json: unknown field "resource_identifer"
}

func ExampleState_Transition() {
	s := job.StateTestingConnection
	for _, next := range []job.State{job.StateRunning, job.StateSucceeded, job.StateRunning} {
		var err error
		if s, err = s.Transition(next); err != nil {
			fmt.Println(err)
			fmt.Println(errors.Is(err, job.ErrIllegalTransition))
			continue
		}
		fmt.Println(s, s.Terminal())
	}
	// Output:
	// RUNNING false
	// SUCCEEDED true
	// job: illegal state transition: SUCCEEDED → RUNNING
	// true
}

func ExampleSecret() {
	key := job.Secret("wJalrXUtnFEMI/K7MDENG")
	fmt.Printf("%v %s %q %x\n", key, key, key, key)
	fmt.Printf("%+v\n", struct {
		User     string
		Password job.Secret
	}{"alice", key})

	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // a stable output for the example
			}
			return a
		},
	}))
	log.Info("signing in", "secret_access_key", key)

	// Only Reveal shows the value, where it is used.
	fmt.Println(len(key.Reveal()))
	// Output:
	// [REDACTED] [REDACTED] "[REDACTED]" [REDACTED]
	// {User:alice Password:[REDACTED]}
	// level=INFO msg="signing in" secret_access_key=[REDACTED]
	// 21
}
