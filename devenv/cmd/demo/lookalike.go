package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

func init() { registerStep("look-alike", demoLookAlike) }

// someoneElse owns the look-alike app.
const someoneElse = "6b1d2c3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e"

// demoLookAlike: before the first provision, someone registers an app with
// our tag and display name. Provision reports it and refuses to create or
// adopt anything (docs/security.md, "Which app is ours"); then an
// administrator deletes it.
func demoLookAlike(d *demo) error {
	ten := d.sim.Tenant()
	fake := ten.CreateApp("acme-saml@aircall")
	if err := ten.PatchApplication(fake.ObjectID, map[string]any{"tags": []any{domain.ManagedTag}}); err != nil {
		return err
	}
	if err := ten.PatchServicePrincipal(fake.SPID, map[string]any{"tags": []any{domain.ManagedTag}}); err != nil {
		return err
	}
	if err := ten.SetOwners(fake.AppID, someoneElse); err != nil {
		return err
	}
	title(d.out, "A tenant user registers a look-alike app (our tag and display name), before the first provision")
	fmt.Fprintf(d.out, "look-alike appId %s, owned by %s\n", fake.AppID, someoneElse)
	title(d.out, "POST /api/provision {\"dryRun\":false} (refused: provision never adopts an app by its tag or name)")
	st, b, err := d.call(http.MethodPost, "/api/provision", []byte(`{"dryRun":false,"displayName":"acme-saml@aircall"}`), nil)
	if err != nil {
		return err
	}
	var ans struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(b, &ans)
	fmt.Fprintf(d.out, "%d %s: %s\n", st, ans.Error.Code, ans.Error.Message)
	if st != http.StatusConflict || !strings.Contains(ans.Error.Message, fake.AppID) || !strings.Contains(ans.Error.Message, "Nothing was changed") {
		return fmt.Errorf("provision with a look-alike: got %d %s, want 409 naming %s", st, b, fake.AppID)
	}
	if n := len(ten.Apps()); n != 1 {
		return fmt.Errorf("%d apps after the refusal, want only the look-alike", n)
	}
	if app, sp := ten.Owners(fake.AppID); len(app) != 1 || app[0] != someoneElse || len(sp) != 1 {
		return fmt.Errorf("the look-alike's owners changed: %v %v", app, sp)
	}
	title(d.out, "An administrator deletes the look-alike")
	return ten.DeleteApp(fake.AppID)
}

// runOperator runs `handler <args>` as an operator would (the same
// settings; in Azure, with their own az login): the operator steps the HTTP
// provision only planned (docs/security.md).
func runOperator(d *demo, args ...string) (string, error) {
	dist, err := filepath.Abs(flag.Lookup("dist").Value.String())
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(dist, "handler"), args...)
	cmd.Env = os.Environ()
	for k, v := range d.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("handler %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
