// Command server serves the replicator HTTP API, wire-compatible with
// LocalStack's (POST/GET /_localstack/replicator/jobs, GET .../jobs/{id},
// GET .../resources), so scripts written for LocalStack's replicator work
// against it.
//
//	go run ./examples/server -addr 127.0.0.1:4599
//
// Each job reads from the source named in its request and writes into the
// target of the request's target_aws_config; empty target fields come from
// the TARGET_* environment variables (as for the CLI), and the target
// defaults to LocalStack on http://localhost.localstack.cloud:4566.
// SIGINT or SIGTERM stops accepting requests, lets requests in flight
// finish, cancels running jobs and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/awsreplicator/awsreplicator/credentials"
	"github.com/awsreplicator/awsreplicator/replicator"
	"github.com/awsreplicator/awsreplicator/resources"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4599", "host:port to listen on")
	verbose := flag.Bool("v", false, "log job progress to stderr")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "server: %v\n", err)
		os.Exit(1)
	}
	if err := serve(ctx, ln, logger); err != nil {
		fmt.Fprintf(os.Stderr, "server: %v\n", err)
		os.Exit(1)
	}
}

// serve runs the API on ln until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	runner, err := replicator.NewRunner(resources.NewRegistry(), func(o *replicator.Options) { o.Logger = logger })
	if err != nil {
		return err
	}
	jobsCtx, cancelJobs := context.WithCancel(context.Background())
	defer cancelJobs()
	srv := &http.Server{
		Handler: replicator.NewHandler(runner, replicator.HandlerOptions{
			Target:      credentials.TargetFromEnv(),
			BaseContext: jobsCtx,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	logger.Warn("replicator API listening", "url", "http://"+ln.Addr().String()+replicator.APIPath)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	cancelJobs()
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
