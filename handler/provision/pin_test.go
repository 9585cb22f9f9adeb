package provision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// pinPut stores app in the directory, owned by the job's identity, and pins
// it as provision would have.
func pinPut(t *testing.T, job *provision.Job, dir *inmem.AppDirectory, app domain.App) domain.App {
	t.Helper()
	app = dir.Put(app)
	dir.SetOwners(app.ObjectID, domain.AppOwners{Application: []string{inmem.DefaultCaller}, ServicePrincipal: []string{inmem.DefaultCaller}})
	if _, err := job.Pins.SavePin(context.Background(), domain.PinnedApp{AppID: app.AppID, ObjectID: app.ObjectID,
		ServicePrincipalID: app.ServicePrincipalID, Origin: domain.PinCreated}, ""); err != nil {
		t.Fatal(err)
	}
	return app
}

const attacker = "6b1d2c3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e"

// lookAlike registers an app someone else owns that copies our tag, name
// and identifier URI.
func lookAlike(dir *inmem.AppDirectory) domain.App {
	app := dir.Put(domain.App{DisplayName: "acme-saml@aircall", Tags: []string{domain.ManagedTag},
		ServicePrincipalTags: []string{domain.ManagedTag}, IdentifierURIs: []string{domain.AircallEntityID}, SSOMode: "saml"})
	dir.SetOwners(app.ObjectID, domain.AppOwners{Application: []string{attacker}, ServicePrincipal: []string{attacker}})
	return app
}

// TestFirstProvisionNeverAdoptsALookAlike: before the first provision, an
// app that carries our tag, name and identifier URI is reported and
// provision refuses to create or adopt anything. Before pinning, provision
// adopted it (found by the tag).
func TestFirstProvisionNeverAdoptsALookAlike(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	fake := lookAlike(dir)
	plan, err := job.Plan(ctx, provision.Request{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.App != nil || len(plan.LookAlikes) != 1 || plan.LookAlikes[0].AppID != strings.ToLower(fake.AppID) || !strings.Contains(plan.NextStep, "--adopt") {
		t.Fatalf("plan must report the look-alike and not use it: app %+v, look-alikes %+v, next %q", plan.App, plan.LookAlikes, plan.NextStep)
	}
	_, err = job.Apply(ctx, provision.Request{})
	if !domain.IsCode(err, domain.ECONFLICT) || !strings.Contains(err.Error(), fake.AppID) || !strings.Contains(err.Error(), "Nothing was changed") {
		t.Fatalf("apply with a look-alike: got %v, want ECONFLICT naming it", err)
	}
	if len(dir.Apps()) != 1 || dir.Calls("PatchApplication")+dir.Calls("PatchServicePrincipal")+dir.Calls("Instantiate") != 0 {
		t.Fatalf("the look-alike was touched or an app created: %+v", dir.Apps())
	}
	if _, _, err := job.Pins.LoadPin(ctx); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("nothing may be pinned: %v", err)
	}
	findings, err := job.Drift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kindsSeen []string
	for _, f := range findings {
		kindsSeen = append(kindsSeen, string(f.Kind))
	}
	if strings.Join(kindsSeen, ",") != "app.look-alike,app.drift" {
		t.Fatalf("findings %v, want the look-alike and the missing app", kindsSeen)
	}
}

// TestPinnedAppIsTheOnlyOne: once pinned, provision, the archive's locator
// and the drift check use the pinned app; a look-alike added later is a
// finding and never changed.
func TestPinnedAppIsTheOnlyOne(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	pin, _, err := job.Pins.LoadPin(ctx)
	if err != nil || pin.AppID != strings.ToLower(res.App.AppID) || pin.ServicePrincipalID != res.App.ServicePrincipalID || pin.Origin != domain.PinCreated || pin.ClaimsPolicyID == "" {
		t.Fatalf("pin after the first provision: %+v, %v", pin, err)
	}
	fake := lookAlike(dir)
	again, err := job.Apply(ctx, provision.Request{})
	if err != nil || again.Status != provision.StatusUpToDate || len(again.LookAlikes) != 1 {
		t.Fatalf("second apply: %+v, %v", again, err)
	}
	ref, err := job.LocateApp(ctx)
	if err != nil || !strings.EqualFold(ref.AppID, pin.AppID) {
		t.Fatalf("the archive's locator found %+v, %v; want the pinned app", ref, err)
	}
	findings, _ := job.Drift(ctx)
	if len(findings) != 1 || findings[0].Kind != domain.FindingAppLookAlike || !strings.Contains(findings[0].Key, strings.ToLower(fake.AppID)) {
		t.Fatalf("drift findings %+v, want one app.look-alike", findings)
	}
	job.AppID = fake.AppID
	if _, err := job.Apply(ctx, provision.Request{}); !domain.IsCode(err, domain.EINVALID) || !strings.Contains(err.Error(), "APP_ID") {
		t.Fatalf("APP_ID naming the look-alike: got %v, want EINVALID naming APP_ID", err)
	}
}

// TestUnownedPinnedAppIsRefused: every job refuses the pinned app once the
// deployment's identity is no longer an owner, naming the setting; an
// operator's --adopt restores ownership.
func TestUnownedPinnedAppIsRefused(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	dir.SetOwners(res.App.ObjectID, domain.AppOwners{Application: []string{inmem.DefaultCaller}, ServicePrincipal: []string{attacker}})
	for name, run := range map[string]func() error{
		"apply":  func() error { _, err := job.Apply(ctx, provision.Request{}); return err },
		"plan":   func() error { _, err := job.Plan(ctx, provision.Request{DryRun: true}); return err },
		"locate": func() error { _, err := job.LocateApp(ctx); return err },
		"drift":  func() error { _, err := job.Drift(ctx); return err },
	} {
		if err := run(); !domain.IsCode(err, domain.EFORBIDDEN) || !strings.Contains(err.Error(), domain.SettingAppOwner) {
			t.Errorf("%s on an unowned app: got %v, want EFORBIDDEN naming %s", name, err, domain.SettingAppOwner)
		}
	}
	adopted, err := job.Apply(ctx, provision.Request{Adopt: res.App.AppID, Operator: true})
	if err != nil || kinds(adopted.Steps) != "pin,owner" {
		t.Fatalf("adopt: %v, steps %s", err, kinds(adopted.Steps))
	}
	if _, err := job.LocateApp(ctx); err != nil {
		t.Fatalf("after adopt: %v", err)
	}
}

// TestAdoptIsExplicit: an existing app is used only when an operator names
// it with --adopt; APP_ID alone does not adopt.
func TestAdoptIsExplicit(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	job.Desired.Assign = nil
	mine := lookAlike(dir)
	job.AppID = mine.AppID
	if _, err := job.Apply(ctx, provision.Request{}); !domain.IsCode(err, domain.ENOTFOUND) || !strings.Contains(err.Error(), "--adopt "+mine.AppID) {
		t.Fatalf("APP_ID without a pin: got %v, want ENOTFOUND advising --adopt", err)
	}
	if _, err := job.Apply(ctx, provision.Request{Adopt: "not-a-guid", Operator: true}); !domain.IsCode(err, domain.EINVALID) {
		t.Fatalf("--adopt with a bad appId: %v", err)
	}
	res, err := job.Apply(ctx, provision.Request{Adopt: mine.AppID, Operator: true})
	if err != nil || !strings.HasPrefix(kinds(res.Steps), "pin,owner,") {
		t.Fatalf("adopt: %v, steps %s", err, kinds(res.Steps))
	}
	pin, _, _ := job.Pins.LoadPin(ctx)
	if pin.Origin != domain.PinAdopted || pin.AppID != strings.ToLower(mine.AppID) {
		t.Fatalf("pin after adopt: %+v", pin)
	}
	if len(dir.Apps()) != 1 {
		t.Fatal("adopting must not create an app")
	}
}

// TestHTTPProvisionPlansOperatorSteps: without GRAPH_PRIVILEGED the HTTP
// provision applies what Application.ReadWrite.OwnedBy allows and answers
// the claims policy and assignment steps as operator steps.
func TestHTTPProvisionPlansOperatorSteps(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	job.Privileged = false
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if kinds(res.OperatorSteps) != "email-claim,assign" || !strings.Contains(res.NextStep, "handler provision") {
		t.Fatalf("operator steps %s, next %q", kinds(res.OperatorSteps), res.NextStep)
	}
	if dir.Calls("SetEmailClaim")+dir.Calls("Assign") != 0 {
		t.Fatal("HTTP provision applied an operator step")
	}
	op, err := job.Apply(ctx, provision.Request{Operator: true})
	if err != nil || kinds(op.Steps) != "email-claim,assign" {
		t.Fatalf("operator run: %v, steps %s", err, kinds(op.Steps))
	}
}

// TestMyAppsTile: hidden by default (HideApp); with a sign-on URL the tile
// opens it instead.
func TestMyAppsTile(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	if _, err := job.Apply(ctx, provision.Request{}); err != nil {
		t.Fatal(err)
	}
	app := dir.Apps()[0]
	if !strings.Contains(strings.Join(app.ServicePrincipalTags, ","), provision.HideAppTag) {
		t.Fatalf("tile not hidden: %v", app.ServicePrincipalTags)
	}
	job.Desired.SignOnURL = "https://auth.aircall.io/sso"
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil || kinds(res.Steps) != "my-apps-tile" {
		t.Fatalf("sign-on URL: %v, %s", err, kinds(res.Steps))
	}
	app = dir.Apps()[0]
	if app.LoginURL != job.Desired.SignOnURL || strings.Contains(strings.Join(app.ServicePrincipalTags, ","), provision.HideAppTag) {
		t.Fatalf("tile: loginUrl %q tags %v", app.LoginURL, app.ServicePrincipalTags)
	}
}

// TestLeaseBrokenMidApplyStopsBeforeTheNextWrite: the lease is broken just
// before a write (sso-mode); the next renewal fails, the apply context is
// cancelled, that write and every later one are not made.
func TestLeaseBrokenMidApplyStopsBeforeTheNextWrite(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	lock := inmem.NewLock()
	job.Lock, job.LockTTL = lock, 30*time.Millisecond
	dir.OnCall("PatchServicePrincipal", func(ctx context.Context) {
		lock.Break(provision.LockName)
		<-ctx.Done() // the renewal fails and cancels the apply
	})
	_, err := job.Apply(ctx, provision.Request{})
	if !domain.IsCode(err, domain.ECONFLICT) || !strings.Contains(err.Error(), "Not done yet: sso-mode") {
		t.Fatalf("apply after the lease was broken: got %v, want ECONFLICT stopping at sso-mode", err)
	}
	app := dir.Apps()[0]
	if app.SSOMode != "" || dir.Calls("PatchApplication") != 0 || dir.Calls("AddSigningCertificate") != 0 {
		t.Fatalf("writes after the lease was broken: %+v, %d application patches", app, dir.Calls("PatchApplication"))
	}
}
