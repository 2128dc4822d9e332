package replicator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/job"
)

// APIPath is where LocalStack serves the replicator HTTP API, and where
// [NewHandler] serves it by default.
const APIPath = "/_localstack/replicator"

// HandlerOptions configure [NewHandler].
type HandlerOptions struct {
	// Prefix is the path the API is served under; default [APIPath].
	Prefix string
	// Target supplies what a request's target_aws_config leaves empty
	// (typically credentials.TargetFromEnv()).
	Target credentials.Target
	// BaseContext is the context jobs run in; cancelling it stops them.
	// Default context.Background(). Jobs do not stop when the request that
	// submitted them ends.
	BaseContext context.Context
}

// APIError is the body of every non-2xx answer of the HTTP API.
type APIError struct {
	// Error is a short code: InvalidRequest, NotFound, MethodNotAllowed,
	// or InternalError.
	Error string `json:"error"`
	// Message says what is wrong and how to fix it; for an invalid request
	// it names the offending field.
	Message string `json:"message"`
}

// NewHandler returns the replicator HTTP API over r, wire-compatible with
// LocalStack's:
//
//	POST {prefix}/jobs         submit a job (body: job.Request); 200 with the job document
//	GET  {prefix}/jobs/{id}    one job
//	GET  {prefix}/jobs         every job
//	GET  {prefix}/resources    the supported resource types
//
// Requests are decoded strictly (see job.DecodeRequest). Credentials in a
// request are used for that job only: they are never echoed back, logged,
// or kept after the job ends.
func NewHandler(r *Runner, opts HandlerOptions) http.Handler {
	if opts.Prefix == "" {
		opts.Prefix = APIPath
	}
	opts.Prefix = strings.TrimSuffix(opts.Prefix, "/")
	if opts.BaseContext == nil {
		opts.BaseContext = context.Background()
	}
	h := &handler{r: r, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+opts.Prefix+"/jobs", h.submit)
	mux.HandleFunc("GET "+opts.Prefix+"/jobs", h.list)
	mux.HandleFunc("GET "+opts.Prefix+"/jobs/{id}", h.get)
	mux.HandleFunc("GET "+opts.Prefix+"/resources", h.resources)
	mux.HandleFunc(opts.Prefix+"/", func(w http.ResponseWriter, req *http.Request) {
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no such endpoint: %s %s; see the replicator HTTP API", req.Method, req.URL.Path))
	})
	return methodCheck(mux, opts.Prefix)
}

type handler struct {
	r    *Runner
	opts HandlerOptions
}

// methodCheck answers 405 with a JSON body for known paths and wrong methods
// (ServeMux's own 405 is plain text).
func methodCheck(next http.Handler, prefix string) http.Handler {
	allowed := map[string]string{prefix + "/jobs": "GET, POST", prefix + "/resources": "GET"}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		allow, ok := allowed[req.URL.Path]
		if !ok && strings.HasPrefix(req.URL.Path, prefix+"/jobs/") {
			allow, ok = "GET", true
		}
		if ok && !strings.Contains(allow, req.Method) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s does not take %s: use %s", req.URL.Path, req.Method, allow))
			return
		}
		next.ServeHTTP(w, req)
	})
}

func (h *handler) submit(w http.ResponseWriter, req *http.Request) {
	if ct := req.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "InvalidRequest", fmt.Sprintf("Content-Type %q: send application/json", ct))
		return
	}
	// One byte over the limit lets DecodeRequest say what the limit is.
	body := http.MaxBytesReader(w, req.Body, job.MaxRequestBytes+1)
	jr, err := job.DecodeRequest(body)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, job.ErrRequestTooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		writeError(w, code, "InvalidRequest", strings.TrimPrefix(err.Error(), "job: invalid request: "))
		return
	}
	spec, err := SpecFromRequest(req.Context(), jr, h.opts.Target)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	j, err := h.r.Submit(h.opts.BaseContext, spec)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", strings.TrimPrefix(err.Error(), ErrInvalidSpec.Error()+": "))
		return
	}
	writeJSON(w, http.StatusOK, j.Status())
}

func (h *handler) get(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	j, ok := h.r.Job(id)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no job with id %q", id))
		return
	}
	writeJSON(w, http.StatusOK, j.Status())
}

func (h *handler) list(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.r.Jobs())
}

func (h *handler) resources(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.r.Registry().Types())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", "encoding the answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, kind, msg string) {
	b, _ := json.Marshal(APIError{Error: kind, Message: msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// SpecFromRequest turns a wire request into a Spec: it builds the source
// configuration from req.Source (credentials are required there, since a
// server must not lend its own), and the target from req.Target with its
// empty fields taken from target.
func SpecFromRequest(ctx context.Context, req job.Request, target credentials.Target) (Spec, error) {
	if req.Source.AccessKeyID == "" || req.Source.SecretAccessKey == "" {
		return Spec{}, errors.New("source_aws_config: aws_access_key_id and aws_secret_access_key are required")
	}
	if req.Source.RegionName == "" && req.Config.SourceRegionName == "" {
		return Spec{}, errors.New("source_aws_config.region_name (or replication_job_config.source_region_name) is required")
	}
	src := credentials.SourceFromJob(req.Source)
	if req.Config.SourceRegionName != "" {
		src.Region = req.Config.SourceRegionName
	}
	srcCfg, err := credentials.LoadSource(ctx, src)
	if err != nil {
		return Spec{}, fmt.Errorf("source_aws_config: %w", err)
	}
	tgt := target
	if req.Target != nil {
		tgt = credentials.TargetFromJob(*req.Target).Merge(target)
	}
	tgtCfg, err := credentials.LoadTarget(ctx, tgt, srcCfg.Region)
	if err != nil {
		return Spec{}, fmt.Errorf("target_aws_config: %w", err)
	}
	return NewSpec(req, srcCfg, tgtCfg), nil
}

// NewSpec returns the Spec of a request whose source and target
// configurations are already built (req.Source and req.Target are not used).
func NewSpec(req job.Request, source, target aws.Config) Spec {
	return Spec{
		ReplicationType:       req.ReplicationType,
		ExploreStrategy:       req.ExploreStrategy,
		ResourceType:          req.Config.ResourceType,
		Identifier:            req.Config.ResourceIdentifier,
		ARN:                   req.Config.ResourceARN,
		IgnoreAlreadyExisting: req.Config.IgnoreAlreadyExisting,
		MasterUserPassword:    req.Config.MasterUserPassword,
		Source:                source,
		Target:                target,
	}
}
