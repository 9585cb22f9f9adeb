package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
)

// TestAuditHandlerProcess is the child of TestAuditSurvivesSIGKILL: the
// handler's main with the environment it was given. Skipped otherwise.
func TestAuditHandlerProcess(t *testing.T) {
	if os.Getenv("AUDIT_HANDLER_PROCESS") != "1" {
		t.Skip("child process of TestAuditSurvivesSIGKILL")
	}
	os.Exit(run(strings.Fields(os.Getenv("AUDIT_HANDLER_ARGS")), os.Stdout, os.Stderr))
}

// TestAuditSurvivesSIGKILL runs `handler audit` as its own process against
// the Graph simulator, Azurite and the Service Bus peer, SIGKILLs it at five
// random points of the scan, then lets it finish: the events read back from
// the queue with a real receiver are exactly the tenant's problems, each
// once, and the resumed invocations did not start over.
func TestAuditSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the handler five times (about a minute)")
	}
	blobConn := devtest.BlobConnectionString(t)
	peer := devtest.SharedPeer(t)
	queue := peer.NewQueue(t, devtest.QueueOptions{})
	mix := graphsim.Mix{UPNMismatch: 0.05, MailMissing: 0.03, Guests: 0.03, Disabled: 0.02, DirectAssigned: 0.4, GroupAssigned: 0.4, Groups: 1}
	tenantSize := 40_000 // make test; make resilience runs the 200k
	if n, err := strconv.Atoi(os.Getenv("AUDIT_KILL_USERS")); err == nil && n > 0 {
		tenantSize = n
	}
	sim := graphsim.Start(t, graphsim.Options{Seed: 77, Users: tenantSize, Mix: mix})
	sim.Tenant().SetLatency(20 * time.Millisecond)

	env := append(os.Environ(), "AUDIT_HANDLER_PROCESS=1",
		"ENTRA_TENANT_ID="+sim.TenantID(), "GRAPH_BASE_URL="+sim.URL(), "LOGIN_AUTHORITY="+sim.URL(),
		"BLOB_CONNECTION_STRING="+blobConn, "BLOB_CONTAINER="+devtest.UniqueName("audit-kill-"),
		"SERVICEBUS_CONNECTION_STRING="+peer.ConnectionString, "SERVICEBUS_QUEUE="+queue,
		"AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential", "IDENTITY_ENDPOINT="+sim.IdentityEndpoint(), "IDENTITY_HEADER="+sim.IdentityHeader(),
		"AUDIT_SCOPE=assigned", "AUDIT_SHARDS=4", "AUDIT_TIME_BUDGET=8m", "APP_DISPLAY_NAME=Aircall", "LOG_LEVEL=warn")
	child := func(args string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAuditHandlerProcess$")
		cmd.Env = append(env, "AUDIT_HANDLER_ARGS="+args)
		return cmd
	}
	userPages := func() int { return sim.Tenant().Stats().Requests["GET /v1.0/users"] }

	// A dry run first (reads everything, publishes and saves nothing) tells
	// how many user requests a clean scan makes and how many of them plan
	// the shards ($count probes); the kills land at five random points of
	// the scan that follows the planning.
	// An operator adopts the tenant's app first: the audit reads the pinned
	// app only (docs/security.md).
	if out, err := child("provision --adopt " + sim.Tenant().Apps()[0].AppID).CombinedOutput(); err != nil {
		t.Fatalf("adopt: %v\n%s", err, out)
	}
	atStart := userPages()
	out, err := child("audit --full --dry-run --json").Output()
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	var dry audit.Report
	if err := json.Unmarshal(out, &dry); err != nil || !dry.Complete {
		t.Fatalf("dry run report: %v\n%s", err, out)
	}
	dryTotal := userPages() - atStart
	planning := dryTotal - dry.Pages
	rng := rand.New(rand.NewPCG(9, 9))
	points := make([]int, 5)
	for i := range points {
		points[i] = dryTotal + planning + 1 + rng.IntN(max(dry.Pages-1, 1))
	}
	slices.Sort(points)
	kills := 0
	var final audit.Report
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		cmd := child("audit --json")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if kills < 5 {
			target := points[kills]
		wait:
			for {
				select {
				case err = <-done:
					break wait
				case <-time.After(5 * time.Millisecond):
					if userPages() >= target {
						_ = cmd.Process.Kill() // SIGKILL
						<-done
						kills++
						err = errors.New("killed")
						break wait
					}
				}
			}
		} else {
			err = <-done
		}
		if err == nil {
			if jerr := json.Unmarshal(out.Bytes(), &final); jerr != nil {
				t.Fatalf("handler output is not a report: %v\n%s", jerr, out.String())
			}
			if final.Complete {
				break
			}
			continue
		}
		if err.Error() == "killed" {
			continue
		}
		if strings.Contains(errOut.String(), "another audit is running") {
			// The killed invocation's lease frees itself within 15 s.
			time.Sleep(500 * time.Millisecond)
			continue
		}
		t.Fatalf("handler audit failed: %v\n%s", err, errOut.String())
	}
	if !final.Complete || kills < 5 {
		t.Fatalf("after %d kills the run is complete=%v", kills, final.Complete)
	}
	scanned := userPages() - dryTotal

	got := receiveAll(t, peer, queue)
	var users []string
	for _, l := range got {
		if strings.HasPrefix(l, "user.") {
			users = append(users, l)
		}
	}
	want := truthEvents(sim)
	if strings.Join(users, "\n") != strings.Join(want, "\n") {
		t.Errorf("after %d kills: %d user events received, want %d", kills, len(users), len(want))
	}

	// A clean full scan of the same tenant, for the page count.
	before := userPages()
	if out, err := child("audit --full --json").CombinedOutput(); err != nil {
		t.Fatalf("clean full scan: %v\n%s", err, out)
	}
	clean := userPages() - before
	ratio := float64(scanned) / float64(clean)
	t.Logf("%d kills; user page requests %d over all invocations, %d for a clean full scan: %.2f×", kills, scanned, clean, ratio)
	// A kill loses the pages in flight (one per worker, AUDIT_SHARDS=4) and
	// those committed while one checkpoint save was under way (on a loaded
	// machine a save lasts about as long as a page: up to one more per
	// worker); anything more means a resume re-read what a checkpoint had
	// covered. Measured: about 4 a kill.
	if extra, most := scanned-clean, kills*(2*4+2); extra > most {
		t.Errorf("%d kills cost %d extra page requests, want at most %d (pages in flight + one save each)", kills, extra, most)
	}
	if final.InvocationPages >= clean {
		t.Errorf("the last invocation read %d pages, a clean scan %d: it started over instead of resuming", final.InvocationPages, clean)
	}
	if rest := receiveAll(t, peer, queue); len(rest) != 0 {
		t.Errorf("the full rescan delivered %d events again", len(rest))
	}
}

// receiveAll reads the queue with a real azservicebus receiver until the
// peer says it is empty and returns "kind subject" lines; an id received
// twice fails the test.
func receiveAll(t *testing.T, peer *devtest.SBPeer, queue string) []string {
	t.Helper()
	return devtest.EventLines(t, peer.ReceiveEvents(t, queue))
}

// truthEvents derives the user events of scope "assigned" from the
// generator's ground truth (the seeded app's claim comes from the UPN).
func truthEvents(sim *graphsim.Server) []string {
	var out []string
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if tr.Access != graphsim.AccessDirect && tr.Access != graphsim.AccessGroup {
			return true
		}
		upn := tr.User.UserPrincipalName
		for _, p := range []struct {
			p    graphsim.Problem
			kind string
		}{{graphsim.ProblemDisabled, "user.disabled"}, {graphsim.ProblemGuest, "user.guest-upn"},
			{graphsim.ProblemMailMissing, "user.mail-missing"}, {graphsim.ProblemUPNMismatch, "user.upn-mismatch"}} {
			if tr.Problems&p.p != 0 {
				out = append(out, p.kind+" "+upn)
			}
		}
		return true
	})
	sort.Strings(out)
	return out
}
