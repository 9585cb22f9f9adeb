package provision_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

const (
	userID  = "0f1e2d3c-4b5a-4968-8776-655443322110"
	groupID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	tenant  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

func newJob(t *testing.T) (*provision.Job, *inmem.AppDirectory) {
	t.Helper()
	dir := inmem.NewAppDirectory()
	dir.AddPrincipal(userID, "User")
	dir.AddPrincipal(groupID, "Group")
	return &provision.Job{
		Directory: dir, Lock: inmem.NewLock(), Tenant: tenant, Pins: &inmem.Pins{}, Owner: inmem.DefaultOwner, Privileged: true,
		Desired:  provision.Desired{DisplayName: "acme-saml@aircall", Assign: []string{userID}},
		LockWait: 20 * time.Second,
	}, dir
}

func kinds(steps []provision.Step) string {
	var out []string
	for _, s := range steps {
		out = append(out, string(s.Kind))
	}
	return strings.Join(out, ",")
}

func TestFreshTenant(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	plan, err := job.Plan(ctx, provision.Request{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "create-app,pin,owner,sso-mode,identifier-uri,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim,assign"
	if got := kinds(plan.Steps); got != want {
		t.Fatalf("fresh plan = %s, want %s", got, want)
	}
	if plan.App != nil || len(dir.Apps()) != 0 {
		t.Fatal("a dry run must not create the app")
	}
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != provision.StatusApplied || kinds(res.Steps) != want {
		t.Fatalf("apply: status %s steps %s", res.Status, kinds(res.Steps))
	}
	apps := dir.Apps()
	if len(apps) != 1 {
		t.Fatalf("%d apps, want 1", len(apps))
	}
	app := apps[0]
	if app.SSOMode != "saml" || app.IdentifierURIs[0] != domain.AircallEntityID || app.RedirectURIs[0] != domain.AircallReplyURL {
		t.Fatalf("app not configured: %+v", app)
	}
	if len(app.Certificates) != 1 || app.PreferredThumbprint != app.Certificates[0].Thumbprint {
		t.Fatalf("certificate not active: %+v", app)
	}
	wantURL := "https://login.microsoftonline.com/" + tenant + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + app.AppID
	if res.FederationMetadataURL != wantURL {
		t.Fatalf("metadata URL %q, want %q", res.FederationMetadataURL, wantURL)
	}
	if res.App == nil || res.App.AppID != app.AppID || res.App.ServicePrincipalID != app.ServicePrincipalID {
		t.Fatalf("result app ids %+v", res.App)
	}
	if !strings.Contains(res.NextStep, "Aircall") {
		t.Fatalf("next step %q does not mention Aircall", res.NextStep)
	}
	again, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != provision.StatusUpToDate || len(again.Steps) != 0 {
		t.Fatalf("second apply: %s %s", again.Status, kinds(again.Steps))
	}
	plan, _ = job.Plan(ctx, provision.Request{DryRun: true})
	if len(plan.Steps) != 0 || plan.Status != provision.StatusUpToDate {
		t.Fatalf("plan after apply: %s", kinds(plan.Steps))
	}
}

func TestDriftedApp(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	job.Desired.Assign = nil
	app := pinPut(t, job, dir, domain.App{
		DisplayName: "acme-saml@aircall", Tags: []string{domain.ManagedTag}, ServicePrincipalTags: []string{domain.ManagedTag},
		IdentifierURIs: []string{domain.AircallEntityID}, RedirectURIs: []string{"https://sso.aircall.io/old"}, SSOMode: "password",
	})
	dir.AttachClaimPolicy(app.ServicePrincipalID, domain.ClaimFromMail, "portal export")
	plan, err := job.Plan(ctx, provision.Request{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "sso-mode,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim"
	if got := kinds(plan.Steps); got != want {
		t.Fatalf("drift plan = %s, want %s", got, want)
	}
	byKind := map[provision.StepKind]provision.Step{}
	for _, s := range plan.Steps {
		byKind[s.Kind] = s
	}
	for k, ba := range map[provision.StepKind][2]string{
		provision.StepSSOMode:    {"password", "saml"},
		provision.StepReplyURL:   {"https://sso.aircall.io/old", domain.AircallReplyURL},
		provision.StepEmailClaim: {"user.mail (claimsMappingPolicy)", "user.userprincipalname"},
	} {
		s := byKind[k]
		if s.Before != ba[0] || !strings.HasPrefix(s.After, ba[1]) {
			t.Errorf("%s: before %q after %q, want %q → %q…", k, s.Before, s.After, ba[0], ba[1])
		}
		if s.Permission == "" {
			t.Errorf("%s has no permission", k)
		}
	}
	findings, err := job.Drift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 6 {
		t.Fatalf("%d drift findings, want 6", len(findings))
	}
	for _, f := range findings {
		if f.Kind != domain.FindingAppDrift || !strings.Contains(f.Key, app.AppID) || f.Summary == "" || f.Remedy == "" {
			t.Errorf("bad finding %+v", f)
		}
	}
	if _, err := job.Apply(ctx, provision.Request{}); err != nil {
		t.Fatal(err)
	}
	if f, _ := job.Drift(ctx); len(f) != 0 {
		t.Fatalf("drift after apply: %+v", f)
	}
	if len(dir.Apps()) != 1 {
		t.Fatal("a drifted app must be fixed, not recreated")
	}
}

func TestIdentifierURIPolicy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		mode    string
		wantErr bool
	}{{inmem.URIPolicyOff, false}, {inmem.URIPolicyDefault, false}, {inmem.URIPolicyStrict, false}, {inmem.URIPolicyCustom, true}} {
		t.Run(tc.mode, func(t *testing.T) {
			job, dir := newJob(t)
			dir.URIPolicy(tc.mode)
			_, err := job.Apply(ctx, provision.Request{})
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("apply under %s policy: %v", tc.mode, err)
				}
				return
			}
			if !domain.IsCode(err, domain.EUNPROCESSABLE) {
				t.Fatalf("got %v, want EUNPROCESSABLE", err)
			}
			msg := domain.ErrorMessage(err)
			for _, want := range []string{"requestedAccessTokenVersion", "appManagementPolicy", "Already done: create-app, pin, owner, sso-mode.",
				"Not done yet: identifier-uri, reply-url", domain.AircallEntityID, "Run provision again"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			// The admin exempts the app; the rerun continues.
			dir.URIPolicy(inmem.URIPolicyOff)
			res, err := job.Apply(ctx, provision.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(res.Steps); got != "identifier-uri,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim,assign" {
				t.Fatalf("rerun steps %s", got)
			}
			if n := len(dir.Apps()); n != 1 {
				t.Fatalf("%d apps after the rerun, want 1", n)
			}
		})
	}
}

func TestFailureMidwayThenRerun(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		method   string
		failedAt string
		rerun    string
	}{
		{"PatchApplication", "identifier-uri", "identifier-uri,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim,assign"},
		{"PatchServicePrincipal", "sso-mode", "sso-mode,identifier-uri,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim,assign"},
		{"SetEmailClaim", "email-claim", "email-claim,assign"},
		{"Assign", "assign", "assign"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			job, dir := newJob(t)
			dir.FailOn(tc.method, domain.Errorf(domain.EUNAVAILABLE, "graph: Microsoft Graph is unavailable (503) after retries"))
			_, err := job.Apply(ctx, provision.Request{})
			if !domain.IsCode(err, domain.EUNAVAILABLE) || !strings.Contains(domain.ErrorMessage(err), "step "+tc.failedAt) {
				t.Fatalf("got %v, want EUNAVAILABLE naming step %s", err, tc.failedAt)
			}
			res, err := job.Apply(ctx, provision.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(res.Steps); got != tc.rerun {
				t.Fatalf("rerun steps %s, want %s", got, tc.rerun)
			}
			apps := dir.Apps()
			if len(apps) != 1 || len(apps[0].Certificates) != 1 || dir.PolicyCount() != 1 {
				t.Fatalf("duplicates after rerun: %d apps, certs %+v, %d policies", len(apps), apps[0].Certificates, dir.PolicyCount())
			}
		})
	}
}

func TestActivateFailsAfterAddThenRerunActivatesOnly(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	// create-app does not patch; sso-mode is the first service principal
	// patch, activate-certificate the second.
	dir.FailOn("PatchServicePrincipal", nil, domain.Errorf(domain.EUPSTREAM, "boom"))
	if _, err := job.Apply(ctx, provision.Request{}); err == nil {
		t.Fatal("want the injected failure")
	}
	plan, _ := job.Plan(ctx, provision.Request{DryRun: true})
	if got := kinds(plan.Steps); got != "activate-certificate,my-apps-tile,email-claim,assign" {
		t.Fatalf("plan after failed activation: %s", got)
	}
	if _, err := job.Apply(ctx, provision.Request{}); err != nil {
		t.Fatal(err)
	}
	if apps := dir.Apps(); len(apps[0].Certificates) != 1 {
		t.Fatalf("%d certificates, want 1", len(apps[0].Certificates))
	}
}

func TestCertificateRotation(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	old := domain.SigningCertificate{Thumbprint: "AAAA", NotAfter: now.Add(10 * 24 * time.Hour)}
	fresh := domain.SigningCertificate{Thumbprint: "BBBB", NotAfter: now.Add(400 * 24 * time.Hour)}
	expired := domain.SigningCertificate{Thumbprint: "CCCC", NotAfter: now.Add(-time.Hour)}
	base := domain.App{AppID: "x", Tags: []string{domain.ManagedTag}, ServicePrincipalTags: []string{domain.ManagedTag, provision.HideAppTag}, SSOMode: "saml",
		IdentifierURIs: []string{domain.AircallEntityID}, RedirectURIs: []string{domain.AircallReplyURL}}
	claim := domain.EmailClaimState{ClaimConfig: domain.ClaimConfig{Source: domain.ClaimFromUPN, Origin: domain.ClaimOriginMappingPolicy}}
	for _, tc := range []struct {
		name   string
		certs  []domain.SigningCertificate
		active string
		want   string
	}{
		{"valid active", []domain.SigningCertificate{fresh}, "BBBB", ""},
		{"expiring active, no other", []domain.SigningCertificate{old}, "AAAA", "add-certificate,activate-certificate"},
		{"expiring active, valid inactive", []domain.SigningCertificate{old, fresh}, "AAAA", "activate-certificate"},
		{"none active", []domain.SigningCertificate{fresh}, "", "activate-certificate"},
		{"only expired", []domain.SigningCertificate{expired}, "CCCC", "add-certificate,activate-certificate"},
		{"no certificate", nil, "", "add-certificate,activate-certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := base
			app.Certificates, app.PreferredThumbprint = tc.certs, tc.active
			steps := provision.MakePlan(provision.Desired{}, provision.State{App: &app, Claim: claim}, now)
			if got := kinds(steps); got != tc.want {
				t.Fatalf("plan %q, want %q", got, tc.want)
			}
			if tc.want == "activate-certificate" && steps[0].Thumbprint != "BBBB" {
				t.Fatalf("activates %q, want BBBB", steps[0].Thumbprint)
			}
		})
	}
}

func TestClaimPortalConfigIsRespected(t *testing.T) {
	app := domain.App{AppID: "x", Tags: []string{domain.ManagedTag}, ServicePrincipalTags: []string{domain.ManagedTag, provision.HideAppTag}, SSOMode: "saml",
		IdentifierURIs: []string{domain.AircallEntityID}, RedirectURIs: []string{domain.AircallReplyURL},
		Certificates: []domain.SigningCertificate{{Thumbprint: "B", NotAfter: time.Now().Add(400 * 24 * time.Hour)}}, PreferredThumbprint: "B"}
	for _, tc := range []struct {
		desired domain.ClaimSource
		have    domain.ClaimConfig
		want    string
	}{
		{domain.ClaimFromUPN, domain.ClaimConfig{Source: domain.ClaimFromUPN, Origin: domain.ClaimOriginClaimsPolicy}, ""},
		{domain.ClaimFromUPN, domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault}, "email-claim"},
		{domain.ClaimFromMail, domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault}, ""},
		{domain.ClaimFromMail, domain.ClaimConfig{Source: domain.ClaimFromUPN, Origin: domain.ClaimOriginMappingPolicy}, "email-claim"},
	} {
		steps := provision.MakePlan(provision.Desired{ClaimSource: tc.desired}, provision.State{App: &app, Claim: domain.EmailClaimState{ClaimConfig: tc.have}}, time.Now())
		if got := kinds(steps); got != tc.want {
			t.Errorf("desired %s, have %+v: plan %q, want %q", tc.desired, tc.have, got, tc.want)
		}
	}
}

// applyConcurrently runs n applies of job at once and returns how many of
// them created the app.
func applyConcurrently(t *testing.T, job *provision.Job, n int) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := job.Apply(context.Background(), provision.Request{})
			if err != nil {
				t.Errorf("concurrent apply: %v", err)
				return
			}
			for _, s := range res.Steps {
				if s.Kind == provision.StepCreateApp {
					mu.Lock()
					created++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return created
}

func TestConcurrentApplyCreatesOneApp(t *testing.T) {
	job, dir := newJob(t)
	created := applyConcurrently(t, job, 20)
	if n := len(dir.Apps()); n != 1 || created != 1 {
		t.Fatalf("%d apps, %d create steps; want exactly 1", n, created)
	}
	if n := dir.Calls("Instantiate"); n != 1 {
		t.Fatalf("Instantiate called %d times", n)
	}
}

func TestLockHeldElsewhere(t *testing.T) {
	ctx := context.Background()
	job, _ := newJob(t)
	lease, err := job.Lock.Acquire(ctx, provision.LockName, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(ctx)
	job.LockWait = 200 * time.Millisecond
	if _, err := job.Apply(ctx, provision.Request{}); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("got %v, want ECONFLICT", err)
	}
	if _, err := job.Plan(ctx, provision.Request{DryRun: true}); err != nil {
		t.Fatalf("a dry run needs no lock: %v", err)
	}
}

func TestRequestValidation(t *testing.T) {
	ctx := context.Background()
	job, dir := newJob(t)
	for _, req := range []provision.Request{
		{Assign: []string{"not-a-guid"}},
		{DisplayName: strings.Repeat("x", 121)},
		{DisplayName: "two\nlines"},
	} {
		if _, err := job.Apply(ctx, req); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("%+v: got %v, want EINVALID", req, err)
		}
	}
	if len(dir.Apps()) != 0 {
		t.Fatal("an invalid request changed the tenant")
	}
	// An unknown principal is refused by the directory, after the app exists.
	_, err := job.Apply(ctx, provision.Request{Assign: []string{"99999999-9999-4999-8999-999999999999"}})
	if !domain.IsCode(err, domain.EINVALID) || !strings.Contains(domain.ErrorMessage(err), "99999999-9999-4999-8999-999999999999") {
		t.Fatalf("unknown principal: %v", err)
	}
}

func TestDriftOfMissingApp(t *testing.T) {
	job, _ := newJob(t)
	fs, err := job.Drift(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Kind != domain.FindingAppDrift || fs[0].Severity != domain.SeverityError {
		t.Fatalf("findings %+v", fs)
	}
}
