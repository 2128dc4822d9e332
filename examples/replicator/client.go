package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/awsreplicator/awsreplicator/job"
)

// apiPath is where LocalStack (and examples/server) serve the replicator API.
const apiPath = "/_localstack/replicator"

// client speaks the replicator HTTP API.
type client struct {
	base string
	http *http.Client
}

func newClient(server string) *client {
	return &client{base: strings.TrimSuffix(server, "/") + apiPath, http: &http.Client{Timeout: 30 * time.Second}}
}

func (c *client) submit(ctx context.Context, req job.Request) (job.Status, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return job.Status{}, err
	}
	return c.do(ctx, http.MethodPost, c.base+"/jobs", body)
}

func (c *client) get(ctx context.Context, id string) (job.Status, error) {
	return c.do(ctx, http.MethodGet, c.base+"/jobs/"+url.PathEscape(id), nil)
}

func (c *client) do(ctx context.Context, method, u string, body []byte) (job.Status, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return job.Status{}, fmt.Errorf("--server: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return job.Status{}, fmt.Errorf("cannot reach the replicator server: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return job.Status{}, fmt.Errorf("reading the server's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return job.Status{}, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, strings.TrimSpace(string(b)))
	}
	var st job.Status
	if err := json.Unmarshal(b, &st); err != nil {
		return job.Status{}, fmt.Errorf("the server's answer is not a job document: %w", err)
	}
	return st, nil
}
