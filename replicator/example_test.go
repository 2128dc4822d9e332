package replicator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awsreplicator/awsreplicator/replicator"
)

// memoryParameters is a tiny adapter over two maps standing for the source
// account and the target emulator. A real adapter reads through
// replicator.Client(&src.Endpoint, ...) and writes through the target's.
type memoryParameters struct {
	mu             sync.Mutex
	source, target map[string]string
}

func (m *memoryParameters) Info() replicator.TypeInfo {
	return replicator.TypeInfo{Type: "Example::Memory::Parameter", Identifier: "Name"}
}

func (m *memoryParameters) Read(_ context.Context, src *replicator.Source, name string) (*replicator.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	value, ok := m.source[name]
	if !ok {
		return nil, fmt.Errorf("%w: parameter %s", replicator.ErrNotFound, name)
	}
	r := &replicator.Resource{Type: "Example::Memory::Parameter", Identifier: name,
		ARN: "arn:aws:ssm:" + src.Region + ":" + src.AccountID + ":parameter/" + name}
	return r, r.SetProperties(map[string]string{"Value": value})
}

func (m *memoryParameters) Write(_ context.Context, tgt *replicator.Target, r *replicator.Resource) (replicator.Placed, error) {
	var props map[string]string
	if err := r.DecodeProperties(&props); err != nil {
		return replicator.Placed{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	placed := replicator.Placed{Identifier: r.Identifier,
		ARN: "arn:aws:ssm:" + tgt.Region + ":" + tgt.AccountID + ":parameter/" + r.Identifier}
	if _, ok := m.target[r.Identifier]; ok {
		return placed, fmt.Errorf("%w: parameter %s", replicator.ErrAlreadyExists, r.Identifier)
	}
	m.target[r.Identifier] = props["Value"]
	return placed, nil
}

// stsStub answers sts:GetCallerIdentity, the connection test, for one
// account, without a network.
type stsStub struct{ account string }

func (s stsStub) Do(req *http.Request) (*http.Response, error) {
	body := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws:iam::` + s.account + `:user/x</Arn><UserId>X</UserId><Account>` + s.account + `</Account>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func Example() {
	params := &memoryParameters{
		source: map[string]string{"app-db-host": "db.internal"},
		target: map[string]string{},
	}
	reg := replicator.NewRegistry()
	reg.Register(params)
	runner, err := replicator.NewRunner(reg, func(o *replicator.Options) { o.Concurrency = 4 })
	if err != nil {
		fmt.Println(err)
		return
	}

	// In a program these come from credentials.LoadSource and
	// credentials.LoadTarget; here they talk to stubs.
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "example"}, nil
	})
	source := aws.Config{Region: "eu-central-1", Credentials: creds, HTTPClient: stsStub{"111111111111"}}
	target := aws.Config{Region: "eu-central-1", Credentials: creds, HTTPClient: stsStub{"000000000000"},
		BaseEndpoint: aws.String("http://localhost.localstack.cloud:4566")}

	st, err := runner.Run(context.Background(), replicator.Spec{
		ResourceType: "Example::Memory::Parameter",
		Identifier:   "app-db-host",
		Source:       source,
		Target:       target,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.State)
	for _, o := range st.Resources.Succeeded {
		fmt.Println(o.ResourceIdentifier, o.Identity)
		fmt.Println(o.TargetARN)
	}
	fmt.Println(params.target["app-db-host"])

	// Replicating it again finds it in the target.
	st, _ = runner.Run(context.Background(), replicator.Spec{
		ResourceType: "example::memory::parameter", // type names match case-insensitively
		Identifier:   "app-db-host",
		Source:       source,
		Target:       target,
	})
	fmt.Println(st.State, *st.ErrorMessage)
	// Output:
	// SUCCEEDED
	// app-db-host same_identifier
	// arn:aws:ssm:eu-central-1:000000000000:parameter/app-db-host
	// db.internal
	// ERROR Example::Memory::Parameter app-db-host: already exists in the target (account 000000000000, region eu-central-1); set ignore_already_existing to skip it
}
