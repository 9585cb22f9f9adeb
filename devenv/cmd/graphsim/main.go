// Command graphsim runs the Graph + Entra login simulator (devenv/graphsim)
// in its own process, for the demo and for benchmarks that must not share a
// process with the client they measure. It prints one JSON line on stdout
// with its URLs once it is ready, then serves until SIGINT/SIGTERM or until
// stdin is closed (with -stdin).
//
//	graphsim -users 1000000 -seed 7 -latency 200ms -budget 8000 -http 127.0.0.1:0
//
// Test and demo code only; never part of the production binary.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// ready is the JSON line printed on stdout.
type ready struct {
	URL              string `json:"url"`
	TLSURL           string `json:"tlsUrl"`
	TenantID         string `json:"tenantId"`
	IdentityEndpoint string `json:"identityEndpoint"`
	IdentityHeader   string `json:"identityHeader"`
	Users            int    `json:"users"`
	// Apps are the seeded apps (present with -app or assignment shares).
	Apps []graphsim.AppInfo `json:"apps"`
	// MetadataURL is the first app's federation metadata URL.
	MetadataURL string `json:"metadataUrl,omitempty"`
	PID         int    `json:"pid"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "graphsim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer, stdin io.Reader) error {
	fs := flag.NewFlagSet("graphsim", flag.ContinueOnError)
	var (
		users      = fs.Int("users", 1000, "number of generated users")
		seed       = fs.Int64("seed", 1, "generator seed (same seed, same tenant)")
		latency    = fs.Duration("latency", 0, "added latency per Graph request, e.g. 200ms")
		budget     = fs.Int("budget", 0, "resource units per window before 429 (0 = unlimited; Graph: 8000 for > 500 users)")
		window     = fs.Duration("window", 10*time.Second, "throttling window")
		httpAddr   = fs.String("http", "127.0.0.1:0", "plain-http listen address")
		tlsAddr    = fs.String("https", "127.0.0.1:0", "https listen address (self-signed)")
		policy     = fs.String("policy", "off", "identifier-URI policy: off, default, strict or custom")
		app        = fs.Bool("app", false, "seed a configured Aircall app")
		mismatch   = fs.Float64("upn-mismatch", 0.05, "share of users whose mail differs from their UPN")
		noMail     = fs.Float64("mail-missing", 0.02, "share of users without mail")
		guests     = fs.Float64("guests", 0.03, "share of guest users (#EXT# UPN)")
		disabled   = fs.Float64("disabled", 0.02, "share of disabled users")
		direct     = fs.Float64("direct", 0, "share of users assigned to the seeded app directly")
		grouped    = fs.Float64("grouped", 0, "share of users in an assigned group")
		nested     = fs.Float64("nested", 0, "share of users only in a nested group")
		rate429    = fs.Float64("rate429", 0, "share of Graph requests answered 429")
		rate503    = fs.Float64("rate503", 0, "share of Graph requests answered 503")
		rateReset  = fs.Float64("rate-reset", 0, "share of Graph requests whose connection is reset")
		watchStdin = fs.Bool("stdin", false, "exit when stdin is closed (so a parent's death stops the simulator)")
		verbose    = fs.Bool("v", false, "log refused requests on stderr")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	mode := graphsim.PolicyMode(*policy)
	if mode != graphsim.PolicyOff && mode != graphsim.PolicyDefault && mode != graphsim.PolicyStrict && mode != graphsim.PolicyCustom {
		return fmt.Errorf("-policy must be off, default, strict or custom, got %q", *policy)
	}
	if *users < 0 {
		return fmt.Errorf("-users must be >= 0")
	}
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	mix := graphsim.Mix{UPNMismatch: *mismatch, MailMissing: *noMail, Guests: *guests, Disabled: *disabled,
		App: *app, DirectAssigned: *direct, GroupAssigned: *grouped, NestedOnly: *nested}
	srv := graphsim.New(graphsim.Options{Tenant: graphsim.GenerateTenant(*seed, *users, mix), Addr: *httpAddr, TLSAddr: *tlsAddr, Logger: log})
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	t := srv.Tenant()
	t.SetPolicyMode(mode)
	t.SetLatency(*latency)
	t.SetBudget(*budget, *window)
	if *rate429+*rate503+*rateReset > 0 {
		t.InjectFaults(graphsim.FaultSpec{Rate429: *rate429, Rate503: *rate503, RateReset: *rateReset, Seed: *seed})
	}
	r := ready{URL: srv.URL(), TLSURL: srv.TLSURL(), TenantID: srv.TenantID(), IdentityEndpoint: srv.IdentityEndpoint(),
		IdentityHeader: srv.IdentityHeader(), Users: t.UserCount(), Apps: t.Apps(), PID: os.Getpid()}
	if len(r.Apps) > 0 {
		r.MetadataURL = srv.MetadataURL(r.Apps[0].AppID)
	}
	if err := json.NewEncoder(stdout).Encode(r); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			stop()
		}()
	}
	<-ctx.Done()
	return nil
}
