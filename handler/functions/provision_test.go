package functions_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

func provisionCall(t *testing.T, fn funchost.Func, ct, body string) (int, map[string]any) {
	t.Helper()
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	inv := &funchost.Invocation{ID: "t", Function: "provision", HTTP: &funchost.HTTPRequest{Method: "POST", Headers: h, Body: []byte(body)}}
	res, err := fn(context.Background(), inv)
	if err != nil {
		res = funchost.ErrorResponse(err)
	}
	var out map[string]any
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, res.Body)
	}
	return res.Status, out
}

func TestProvisionFunction(t *testing.T) {
	dir := inmem.NewAppDirectory()
	dir.AddPrincipal("0f1e2d3c-4b5a-4968-8776-655443322110", "User")
	job := &provision.Job{Directory: dir, Lock: inmem.NewLock(), Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", Pins: &inmem.Pins{}, Owner: inmem.DefaultOwner, Privileged: true}
	fn := functions.Provision(job)
	const js = "application/json"
	for _, tc := range []struct {
		name, ct, body string
		status         int
		want           string // substring of the answer
	}{
		{"unknown field", js, `{"dryRun":true,"dryrun":false}`, 400, `unknown field \"dryrun\"`},
		{"duplicate field", js, `{"dryRun":true,"dryRun":false}`, 400, "appears twice"},
		{"null assign entry", js, `{"dryRun":true,"assign":[null]}`, 400, `"field": "assign"`},
		{"truncated", js, `{"dryRun":true`, 400, "not valid JSON"},
		{"trailing data", js, `{"dryRun":true} {"dryRun":false}`, 400, "data after the JSON object"},
		{"not an object", js, `[true]`, 400, "must be a JSON object"},
		{"wrong type", js, `{"dryRun":"yes"}`, 400, `"field": "dryRun"`},
		{"bad principal", js, `{"dryRun":true,"assign":["bob"]}`, 400, `"field": "assign"`},
		{"wrong media type", "text/plain", `{"dryRun":true}`, 415, "application/json"},
		{"too large", js, `{"displayName":"` + strings.Repeat("a", 70000) + `"}`, 413, "65536"},
		{"dry run", js + "; charset=utf-8", `{"dryRun":true,"displayName":"acme-saml@aircall"}`, 200, `"step": "create-app"`},
		{"empty object plans", js, `{}`, 200, `"dryRun": true`},
		{"empty body plans", "", ``, 200, `"dryRun": true`},
		{"no dryRun plans", js, `{"displayName":"acme-saml@aircall"}`, 200, `"dryRun": true`},
		{"apply", js, `{"dryRun":false,"displayName":"acme-saml@aircall","assign":["0f1e2d3c-4b5a-4968-8776-655443322110"]}`, 201, `"federationMetadataUrl": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/federationmetadata/2007-06/federationmetadata.xml?appid=`},
		{"second apply", js, `{"dryRun":false}`, 200, `"status": "up-to-date"`},
		{"unknown principal", js, `{"dryRun":false,"assign":["99999999-9999-4999-8999-999999999999"]}`, 400, "no user or group has the object id 99999999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := provisionCall(t, fn, tc.ct, tc.body)
			b, _ := json.MarshalIndent(out, "", "  ")
			if status != tc.status || !strings.Contains(string(b), tc.want) {
				t.Fatalf("status %d, want %d; answer lacks %q:\n%s", status, tc.status, tc.want, b)
			}
		})
	}
	if n := len(dir.Apps()); n != 1 {
		t.Fatalf("%d apps, want 1", n)
	}
}

func TestProvisionFunctionPolicyRefusal(t *testing.T) {
	dir := inmem.NewAppDirectory()
	dir.URIPolicy(inmem.URIPolicyCustom)
	fn := functions.Provision(&provision.Job{Directory: dir, Lock: inmem.NewLock(), Tenant: "t", Pins: &inmem.Pins{}, Owner: inmem.DefaultOwner, Privileged: true})
	status, out := provisionCall(t, fn, "application/json", `{"dryRun":false}`)
	e, _ := out["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if status != 422 || e["code"] != string(domain.EUNPROCESSABLE) || !strings.Contains(msg, "requestedAccessTokenVersion") || !strings.Contains(msg, "Already done: create-app, pin, owner, sso-mode") {
		t.Fatalf("status %d answer %v", status, out)
	}
}

func FuzzDecodeProvisionRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"dryRun":true}`, `{"dryRun":false,"displayName":"acme","assign":["0f1e2d3c-4b5a-4968-8776-655443322110"]}`,
		`{"dryrun":true}`, `{"dryRun":true} x`, `[]`, `{"assign":[null]}`, `{"dryRun":true,"dryRun":true}`, "\ufeff{}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r, err := functions.DecodeProvisionRequest("application/json", []byte(body))
		if err != nil {
			if c := domain.ErrorCode(err); c != domain.EINVALID && c != domain.ETOOLARGE {
				t.Fatalf("code %s for a bad body: %v", c, err)
			}
			return
		}
		// What was accepted re-encodes to a body that decodes to the same request.
		b, _ := json.Marshal(r)
		again, err := functions.DecodeProvisionRequest("application/json", b)
		if err != nil || again.DryRun != r.DryRun || again.DisplayName != r.DisplayName || len(again.Assign) != len(r.Assign) {
			t.Fatalf("round trip of %q: %+v, %v", b, again, err)
		}
	})
}
