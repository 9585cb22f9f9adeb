package audit_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/aircallsim"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/aircall"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// aircallChildEnv starts, when BENCH_RSS_AIRCALL=N is set, an Aircall
// company of N users mirrored from people spread over sim's tenant, and
// returns the child's settings for it (docs/audit.md, "Aircall's side":
// memory grows with the Aircall company, not with the tenant).
func aircallChildEnv(tb testing.TB, sim *graphsim.Server, n int) []string {
	tb.Helper()
	size, _ := strconv.Atoi(os.Getenv("BENCH_RSS_AIRCALL"))
	if size <= 0 {
		return nil
	}
	step := max(n/size, 1)
	var people []aircallsim.Person
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if tr.Index%step == 0 && len(people) < size {
			people = append(people, aircallsim.Person{UPN: tr.User.UserPrincipalName, Mail: tr.User.Mail})
		}
		return true
	})
	users, _ := aircallsim.Mirror(3, people, aircallsim.Drift{Mail: 0.05, Missing: 0.02, Extra: 50}, 1, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	air := aircallsim.New(aircallsim.Options{Users: users, Limit: 1_000_000, Window: time.Second})
	if err := air.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(air.Close)
	return []string{"AUDIT_CHILD_AIRCALL=" + air.URL(), "AUDIT_CHILD_AIRCALL_ID=" + air.APIID(), "AUDIT_CHILD_AIRCALL_TOKEN=" + air.APIToken()}
}

// childAircall wires the Aircall pass into the child's job when asked.
func childAircall(t *testing.T, job *audit.Job) {
	base := os.Getenv("AUDIT_CHILD_AIRCALL")
	if base == "" {
		return
	}
	c, err := aircall.New(aircall.Options{BaseURL: base, APIID: os.Getenv("AUDIT_CHILD_AIRCALL_ID"), APIToken: os.Getenv("AUDIT_CHILD_AIRCALL_TOKEN"),
		RateLimit: 1_000_000, RateWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	job.Aircall, job.AircallSnapshots = c, &inmem.AircallSnapshots{}
}
