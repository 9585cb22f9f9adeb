// Command handler is the aircall-entra-sso Azure Functions custom handler.
//
// Run without arguments (as the Functions host does) it serves the
// custom-handler protocol on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT. With a
// subcommand it runs one job for an operator: `handler provision --dry-run`,
// `handler audit`, `handler archive`, `handler diagnose <user>`, …
//
// This file only wires: configuration, logging, credentials and the
// registration of each area's functions and subcommands (wire_*.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/identity-ops/aircall-entra-sso/handler/config"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
)

// Set at build time with -ldflags "-X main.version=… -X main.build=…".
var (
	version = "dev"
	build   = "unknown"
)

// app holds what the wire functions share.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	cred     azcore.TokenCredential
	router   *funchost.Router
	commands map[string]command
	started  time.Time
	stdout   io.Writer
	// closers run at shutdown, in reverse order.
	closers []func(context.Context) error
	// shared holds lazily built adapters shared between areas (see shared.go).
	shared sharedAdapters
}

// command is an operator subcommand.
type command struct {
	Summary string
	Usage   string
	Run     func(ctx context.Context, args []string) error
}

// wirers register functions and subcommands; each area adds one in its
// wire_*.go file.
var wirers []func(a *app) error

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "version" || args[0] == "--version") {
		fmt.Fprintf(stdout, "aircall-entra-sso %s (%s)\n", version, build)
		return 0
	}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		usage(stdout)
		return 0
	}
	started := time.Now()
	cfg, err := config.Load(nil)
	if err != nil {
		fmt.Fprintf(stderr, "aircall-entra-sso: invalid configuration:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	cred, err := newCredential()
	if err != nil {
		log.Error("credentials", "error", err.Error())
		return 2
	}
	a := &app{cfg: cfg, log: log, cred: cred, router: funchost.NewRouter(log), commands: map[string]command{},
		started: started, stdout: stdout}
	for _, w := range wirers {
		if err := w(a); err != nil {
			log.Error("wiring failed", "error", err.Error())
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	defer a.close()

	if len(args) == 0 || args[0] == "serve" {
		return a.serve(ctx)
	}
	cmd, ok := a.commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.Run(ctx, args[1:]); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func (a *app) serve(ctx context.Context) int {
	port := a.cfg.Port
	if port == "" {
		port = "8080"
	}
	err := funchost.Serve(ctx, port, a.router, 30*time.Second, func(addr string) {
		a.log.Info("ready", "addr", addr, "functions", strings.Join(a.router.Names(), ","),
			"version", version, "startupMs", time.Since(a.started).Milliseconds())
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		a.log.Error("server stopped", "error", err.Error())
		return 1
	}
	a.log.Info("stopped")
	return 0
}

func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](ctx); err != nil {
			a.log.Warn("close", "error", err.Error())
		}
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// newCredential returns azidentity's DefaultAzureCredential: managed identity
// in Azure (pin it with AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential),
// Azure CLI / azd locally. It fetches nothing until first used.
func newCredential() (azcore.TokenCredential, error) {
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("azidentity: %w", err)
	}
	return cred, nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: handler [serve]            serve the Functions custom-handler protocol
       handler <command> [flags]   run one job (commands below need the app settings)
       handler version`)
	// Commands are registered by wirers, which need configuration; list the
	// ones compiled in by name.
	names := make([]string, 0)
	for _, n := range commandNames {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		fmt.Fprintln(w, "commands: "+strings.Join(names, ", "))
	}
}

// commandNames lists subcommand names for usage; wire files add to it.
var commandNames []string
