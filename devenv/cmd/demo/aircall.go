package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/aircallsim"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

func init() { registerStep("aircall", demoAircall) }

// setupAircall starts the Aircall API simulator beside graphsim with a
// company mirrored from part of the simulated tenant (aircallsim.Mirror:
// users created with the mail or the UPN, missing, letter-case drift, extra
// users), plus the webhook step's user created with their mail — the seed's
// failure when Entra ID sends the UPN — and points the handler at it.
func (d *demo) setupAircall(people []graphsim.User) error {
	ps := make([]aircallsim.Person, len(people))
	for i, u := range people {
		ps[i] = aircallsim.Person{UPN: u.UserPrincipalName, Mail: u.Mail, Name: u.DisplayName}
	}
	start := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	users, _ := aircallsim.Mirror(42, ps, aircallsim.Drift{Mail: 0.08, Missing: 0.05, Case: 0.1, Extra: 12}, 1001, start)
	if d.mismatch.ID != "" {
		users = append(users, aircallsim.User{ID: 900001, Name: d.mismatch.DisplayName, Email: d.mismatch.Mail, CreatedAt: start.Add(-24 * time.Hour)})
	}
	air := aircallsim.New(aircallsim.Options{Users: users})
	if err := air.Start(); err != nil {
		return err
	}
	d.air = air
	d.extras = append(d.extras, func() error { air.Close(); return nil })
	d.env["AIRCALL_API_BASE_URL"] = air.URL()
	d.env["AIRCALL_API_ID"] = air.APIID()
	d.env["AIRCALL_API_TOKEN"] = air.APIToken()
	fmt.Fprintf(d.out, "simulated Aircall company: %d users mirrored from %d people of the tenant, with drift (Aircall API simulator at %s)\n",
		len(users), len(people), air.URL())
	return nil
}

// demoAircall runs `handler aircall-check`: the audit's Aircall pass alone,
// against the snapshot the audit took (refreshed incrementally), printing
// the counts per kind and example lines.
func demoAircall(d *demo) error {
	title(d.out, "handler aircall-check --examples 1 (every person against Aircall's user list)")
	bin, err := filepath.Abs(filepath.Join(d.dist, "handler"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "aircall-check", "--examples", "1")
	cmd.Env = os.Environ()
	for k, v := range d.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = d.out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("handler aircall-check: %w", err)
	}
	fmt.Fprintln(d.out, "(the group \"Aircall users\" holds half the tenant but the Aircall company has a seat for about one in ten of its members:\n the others are aircall.user-missing — assigned in Entra ID, unknown to Aircall)")
	st := d.air.Stats()
	fmt.Fprintf(d.out, "Aircall API requests so far: %d (users pages %d, throttled %d)\n",
		st.Requests["GET /v2/users"]+st.Requests["GET /v1/ping"], st.Pages, st.Throttled)
	return nil
}
