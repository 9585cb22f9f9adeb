package graph_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// These tests drive the real adapter (msgraph-sdk-go, its retry and gzip
// middleware, azidentity's managed identity credential) against the Graph
// simulator. simHarness (sim_harness_test.go) is the only place that knows
// the simulator's API.

func newClient(t *testing.T, s *simHarness) *graph.Client {
	t.Helper()
	c, err := graph.New(graph.Options{
		BaseURL: s.url, Credential: s.cred, RetryDelaySeconds: 1,
		Replication: graph.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSimJob(t *testing.T, s *simHarness) *provision.Job {
	t.Helper()
	return &provision.Job{
		Directory: newClient(t, s), Lock: inmem.NewLock(), Tenant: s.tenant, LockWait: time.Minute,
		Pins: &inmem.Pins{}, Owner: graphsim.Caller, Privileged: true,
		Desired: provision.Desired{DisplayName: "acme-saml@aircall", Assign: []string{s.user}},
	}
}

func stepKinds(steps []provision.Step) string {
	var out []string
	for _, s := range steps {
		out = append(out, string(s.Kind))
	}
	return strings.Join(out, ",")
}

const allSteps = "create-app,pin,owner,sso-mode,identifier-uri,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim,assign"

func TestAppDirectoryConformanceOverSimulator(t *testing.T) {
	porttest.AppDirectory(t, func(t *testing.T) porttest.AppDirectoryHarness {
		s := newSim(t)
		return porttest.AppDirectoryHarness{Dir: newClient(t, s), Principal: s.user, URIPolicy: s.setPolicy}
	})
}

// checkConverged asserts, through the adapter, that the one app in the
// tenant is configured as Aircall needs.
func checkConverged(t *testing.T, s *simHarness, c *graph.Client) domain.App {
	t.Helper()
	ctx := context.Background()
	if n := s.countApps(); n != 1 {
		t.Fatalf("%d applications in the tenant, want 1", n)
	}
	tagged, err := c.LookAlikes(ctx, "", "")
	if err != nil || len(tagged) != 1 {
		t.Fatalf("tagged apps %+v, %v; want 1", tagged, err)
	}
	app, err := c.FindApp(ctx, domain.AppLookup{AppID: tagged[0].AppID})
	if err != nil {
		t.Fatal(err)
	}
	if app.SSOMode != "saml" || strings.Join(app.IdentifierURIs, ",") != domain.AircallEntityID || strings.Join(app.RedirectURIs, ",") != domain.AircallReplyURL {
		t.Errorf("app not converged: %+v", app)
	}
	if len(app.Certificates) != 1 || app.PreferredThumbprint != app.Certificates[0].Thumbprint {
		t.Errorf("want exactly one, active, signing certificate: preferred %q, certificates %+v", app.PreferredThumbprint, app.Certificates)
	}
	claim, err := c.EmailClaim(ctx, app.ServicePrincipalID)
	if err != nil || claim.Source != domain.ClaimFromUPN || claim.Origin != domain.ClaimOriginMappingPolicy {
		t.Errorf("claim %+v, %v", claim, err)
	}
	as, err := c.Assignments(ctx, app.ServicePrincipalID)
	if err != nil || len(as) != 1 || !strings.EqualFold(as[0].PrincipalID, s.user) {
		t.Errorf("assignments %+v, %v", as, err)
	}
	return app
}

func TestProvisionFreshTenantOverSimulator(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	job := newSimJob(t, s)
	plan, err := job.Plan(ctx, provision.Request{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := stepKinds(plan.Steps); got != allSteps {
		t.Fatalf("fresh plan %s, want %s", got, allSteps)
	}
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got := stepKinds(res.Steps); got != allSteps {
		t.Fatalf("applied %s", got)
	}
	app := checkConverged(t, s, job.Directory.(*graph.Client))
	if !strings.HasSuffix(res.FederationMetadataURL, "/"+s.tenant+"/federationmetadata/2007-06/federationmetadata.xml?appid="+app.AppID) {
		t.Errorf("metadata URL %s", res.FederationMetadataURL)
	}
	again, err := job.Apply(ctx, provision.Request{})
	if err != nil || again.Status != provision.StatusUpToDate || len(again.Steps) != 0 {
		t.Fatalf("second apply: %+v, %v", again, err)
	}
	if plan, _ := job.Plan(ctx, provision.Request{DryRun: true}); len(plan.Steps) != 0 {
		t.Fatalf("plan after apply: %s", stepKinds(plan.Steps))
	}
}

func TestProvisionDriftedAppOverSimulator(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	c := newClient(t, s)
	job := newSimJob(t, s)
	job.Desired.Assign = nil
	// An app someone configured by hand and let drift: right Entity ID,
	// wrong Reply URL, not in SAML mode, no certificate, email from mail.
	app, err := c.Instantiate(ctx, "acme-saml@aircall")
	if err != nil {
		t.Fatal(err)
	}
	saml, password := "saml", "password"
	must(t, c.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{SSOMode: &saml}))
	must(t, c.PatchApplication(ctx, app.ObjectID, domain.ApplicationPatch{IdentifierURIs: []string{domain.AircallEntityID}, RedirectURIs: []string{"https://sso.aircall.io/old"}}))
	must(t, c.PatchServicePrincipal(ctx, app.ServicePrincipalID, domain.ServicePrincipalPatch{SSOMode: &password}))
	if _, err := c.SetEmailClaim(ctx, app.ServicePrincipalID, domain.ClaimFromMail, "hand-made mail claim", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := job.Pins.SavePin(ctx, domain.PinnedApp{AppID: app.AppID, ObjectID: app.ObjectID, ServicePrincipalID: app.ServicePrincipalID, Origin: domain.PinAdopted}, ""); err != nil {
		t.Fatal(err)
	}
	plan, err := job.Plan(ctx, provision.Request{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stepKinds(plan.Steps), "sso-mode,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim"; got != want {
		t.Fatalf("drift plan %s, want exactly %s", got, want)
	}
	before := map[provision.StepKind]string{}
	for _, st := range plan.Steps {
		before[st.Kind] = st.Before
	}
	if before[provision.StepSSOMode] != "password" || before[provision.StepReplyURL] != "https://sso.aircall.io/old" ||
		before[provision.StepAddCertificate] != "no signing certificate" || before[provision.StepEmailClaim] != "user.mail (claimsMappingPolicy)" {
		t.Errorf("befores %v", before)
	}
	if _, err := job.Apply(ctx, provision.Request{}); err != nil {
		t.Fatal(err)
	}
	if plan, _ := job.Plan(ctx, provision.Request{DryRun: true}); len(plan.Steps) != 0 {
		t.Fatalf("plan after apply: %s", stepKinds(plan.Steps))
	}
	if n := s.countApps(); n != 1 {
		t.Fatalf("%d apps, want 1", n)
	}
}

func TestReplicationDelayOverSimulator(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	s.setReplicationDelay(400 * time.Millisecond)
	job := newSimJob(t, s)
	start := time.Now()
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if stepKinds(res.Steps) != allSteps || time.Since(start) < 400*time.Millisecond {
		t.Fatalf("applied %s in %s; want every step, after waiting for replication", stepKinds(res.Steps), time.Since(start))
	}
	s.setReplicationDelay(0)
	checkConverged(t, s, job.Directory.(*graph.Client))
}

func TestIdentifierURIPolicyModesOverSimulator(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"off", "default", "strict", "custom"} {
		t.Run(mode, func(t *testing.T) {
			s := newSim(t)
			s.setPolicy(mode)
			job := newSimJob(t, s)
			_, err := job.Apply(ctx, provision.Request{})
			if mode != "custom" {
				if err != nil {
					t.Fatalf("%s policy: %v", mode, err)
				}
				checkConverged(t, s, job.Directory.(*graph.Client))
				return
			}
			var refused *domain.IdentifierURIRefusedError
			if !domain.IsCode(err, domain.EUNPROCESSABLE) || !errors.As(err, &refused) {
				t.Fatalf("custom policy: got %v, want EUNPROCESSABLE", err)
			}
			msg := domain.ErrorMessage(err)
			for _, want := range []string{"requestedAccessTokenVersion", "appManagementPolicy", "Already done: create-app, pin, owner, sso-mode.", "Not done yet: identifier-uri"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			s.setPolicy("off") // the admin's exemption
			res, err := job.Apply(ctx, provision.Request{})
			if err != nil || strings.HasPrefix(stepKinds(res.Steps), "create-app") {
				t.Fatalf("rerun: %v, steps %s", err, stepKinds(res.Steps))
			}
			checkConverged(t, s, job.Directory.(*graph.Client))
		})
	}
}

func TestThrottlingAndUnavailabilityOverSimulator(t *testing.T) {
	ctx := context.Background()
	for _, status := range []int{429, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			s := newSim(t)
			job := newSimJob(t, s)
			s.injectStatus(status, 2) // the SDK retries these
			if _, err := job.Apply(ctx, provision.Request{}); err != nil {
				t.Fatalf("apply with %d×2 injected: %v", status, err)
			}
			checkConverged(t, s, job.Directory.(*graph.Client))
			if s.injected() < 2 {
				t.Fatalf("the simulator answered %d only %d times", status, s.injected())
			}
		})
	}
	t.Run("persistent-503", func(t *testing.T) {
		s := newSim(t)
		job := newSimJob(t, s)
		s.injectStatus(503, 100)
		_, err := job.Apply(ctx, provision.Request{})
		if !domain.IsCode(err, domain.EUNAVAILABLE) {
			t.Fatalf("got %v, want EUNAVAILABLE", err)
		}
		s.injectStatus(503, 0)
		if _, err := job.Apply(ctx, provision.Request{}); err != nil {
			t.Fatal(err)
		}
		checkConverged(t, s, job.Directory.(*graph.Client))
	})
}

func TestFailureAfterStep2ThenRerunOverSimulator(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	job := newSimJob(t, s)
	// Step 3 (identifier-uri) is the first PATCH of the application after
	// create-app's tagging: fail it with a 400 the SDK does not retry.
	s.failApplicationPatch()
	_, err := job.Apply(ctx, provision.Request{})
	if err == nil || !strings.Contains(domain.ErrorMessage(err), "step identifier-uri") || !strings.Contains(domain.ErrorMessage(err), "Already done: create-app, pin, owner, sso-mode.") {
		t.Fatalf("got %v, want a failure at identifier-uri after create-app, sso-mode", err)
	}
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got := stepKinds(res.Steps); got != "identifier-uri,reply-url,add-certificate,activate-certificate,my-apps-tile,email-claim,assign" {
		t.Fatalf("rerun applied %s", got)
	}
	checkConverged(t, s, job.Directory.(*graph.Client))
}

func TestConcurrentProvisionOverSimulator(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	store, err := blob.New(blob.Options{ConnectionString: devtest.BlobConnectionString(t), Container: devtest.UniqueName("prov-")})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	creates := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job := newSimJob(t, s) // each caller its own adapter, as separate instances would
			job.Lock, job.Pins = store.Lock(), store.Pins()
			res, err := job.Apply(ctx, provision.Request{})
			if err != nil {
				t.Errorf("concurrent apply: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(stepKinds(res.Steps), "create-app") {
				creates++
			}
		}()
	}
	wg.Wait()
	if creates != 1 {
		t.Fatalf("%d runs created the app, want 1", creates)
	}
	checkConverged(t, s, newClient(t, s))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
