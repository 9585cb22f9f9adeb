package main

import (
	"fmt"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// demoUsers is the size of the simulated tenant the demo audits.
const demoUsers = 10000

// setupServices starts the Graph + Entra sign-in simulator with a seeded
// tenant and points the handler's settings at it, at Azurite and at the
// Service Bus peer. The handler authenticates with the real azidentity
// ManagedIdentityCredential against the simulator's token endpoint
// (IDENTITY_ENDPOINT / IDENTITY_HEADER, as App Service sets them).
func (d *demo) setupServices() error {
	blob := devtest.Env("DEVENV_BLOB_CONNECTION_STRING")
	sb := devtest.Env("DEVENV_SERVICEBUS_CONNECTION_STRING")
	if blob == "" || sb == "" {
		return fmt.Errorf("Azurite or the Service Bus peer is not running: run the demo with `make demo` (it starts the local services)")
	}
	sim := graphsim.New(graphsim.Options{Seed: 42, Users: demoUsers, Mix: graphsim.Mix{
		UPNMismatch: 0.04, MailMissing: 0.01, Guests: 0.02, Disabled: 0.01, CaseOnly: 0.02,
	}})
	if err := sim.Start(); err != nil {
		return err
	}
	d.sim = sim
	d.extras = append(d.extras, func() error { sim.Close(); return nil })
	// The webhook step asks about a user whose UPN differs from their mail;
	// provision assigns that user to the app.
	// Provision assigns a security group holding every other user (the
	// audit's default scope is the assigned users) and that user directly.
	ten := sim.Tenant()
	group := ten.AddGroup("Aircall users")
	var members int
	var aircallPeople []graphsim.User
	ten.EachTruth(func(tr graphsim.Truth) bool {
		if d.mismatch.ID == "" && tr.Problems == graphsim.ProblemUPNMismatch && tr.User.AccountEnabled {
			d.mismatch = tr.User
		} else if tr.Index%20 == 0 || tr.Index%997 == 1 {
			// Part of the group, and a few people outside it, have Aircall.
			aircallPeople = append(aircallPeople, tr.User)
		}
		if tr.Index%2 == 0 {
			if err := ten.AddMember(group, tr.User.ID); err == nil {
				members++
			}
		}
		return true
	})
	d.env["BLOB_CONNECTION_STRING"] = blob
	d.env["BLOB_SERVICE_URL"] = ""
	d.env["BLOB_CONTAINER"] = devtest.UniqueName("demo-")
	d.env["SERVICEBUS_CONNECTION_STRING"] = sb
	d.env["SERVICEBUS_NAMESPACE"] = ""
	d.env["SERVICEBUS_QUEUE"] = "aircall-sso-remediation"
	d.env["ENTRA_TENANT_ID"] = sim.TenantID()
	d.env["GRAPH_BASE_URL"] = sim.URL()
	d.env["LOGIN_AUTHORITY"] = sim.URL()
	d.env["IDENTITY_ENDPOINT"] = sim.IdentityEndpoint()
	d.env["IDENTITY_HEADER"] = sim.IdentityHeader()
	d.env["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential"
	d.env["APP_DISPLAY_NAME"] = "acme-saml@aircall"
	d.env["WEBHOOK_SECRET_ZENDESK"] = demoZendeskSecret
	d.env["APP_ASSIGN"] = group
	if d.mismatch.ID != "" {
		d.env["APP_ASSIGN"] += "," + d.mismatch.ID
	}
	fmt.Fprintf(d.out, "simulated tenant %s: %d users, group \"Aircall users\" with %d members (Graph simulator at %s)\n",
		sim.TenantID(), demoUsers, members, sim.URL())
	return d.setupAircall(aircallPeople)
}

// demoZendeskSecret is the demo's Zendesk signing secret (not a real one).
const demoZendeskSecret = "demo-zendesk-signing-secret-0123456789"
