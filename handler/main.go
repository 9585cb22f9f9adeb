// Command handler is the aircall-entra-sso Azure Functions custom handler.
//
// Run without arguments (as the Functions host does) it serves the
// custom-handler protocol on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT. With a
// subcommand it runs one job for an operator: `handler provision --dry-run`,
// `handler audit`, `handler archive`, `handler diagnose <user>`, …
//
// main only reads the version and help, parses the subcommand's flags (no
// settings needed, so `handler audit -h` works anywhere), loads the settings
// (package config), makes the credential, and hands them to app.New, the
// composition root; then it serves or runs the command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/identity-ops/aircall-entra-sso/handler/app"
	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/config"
)

// Set at build time with -ldflags "-X main.version=… -X main.build=…".
var (
	version = "dev"
	build   = "unknown"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	started := time.Now()
	if len(args) > 0 && (args[0] == "version" || args[0] == "--version") {
		fmt.Fprintf(stdout, "aircall-entra-sso %s (%s)\n", version, build)
		return 0
	}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		usage(stdout)
		return 0
	}
	serve := len(args) == 0 || args[0] == "serve"
	var runner cli.Runner
	if !serve {
		cmd, ok := app.LookupCommand(args[0])
		if !ok {
			fmt.Fprintf(stderr, "unknown command %q\n\n", args[0])
			usage(stderr)
			return 2
		}
		r, err := cmd.Parse(args[1:], stdout)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd.Name, err)
			return 2
		}
		runner = r
	}

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
	a := app.New(cfg, cred, log, app.WithVersion(version, build), app.WithStarted(started))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(cctx); err != nil {
			log.Warn("close", "error", err.Error())
		}
	}()

	if serve {
		if err := a.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("server stopped", "error", err.Error())
			return 1
		}
		log.Info("stopped")
		return 0
	}
	if err := runner.Run(ctx, a, stdout); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", args[0], err)
		return 1
	}
	return 0
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
       handler <command> [flags]   run one job (needs the app settings; -h lists its flags)
       handler version
commands:`)
	for _, c := range app.Commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
}
