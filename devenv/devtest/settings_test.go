package devtest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDevUpSettingsMatchTheServices: the settings `make dev-up` / `make sim`
// write (devenv/scripts/settings.js) carry the running services' connection
// strings and the simulator's URLs, in a handler.env that survives being
// sourced by a shell (connection strings hold `;`) and a local.settings.json
// with the same values.
func TestDevUpSettingsMatchTheServices(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "scripts", "settings.js")
	run := t.TempDir()
	blob := "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a+b/c==;BlobEndpoint=http://127.0.0.1:41234/devstoreaccount1;"
	sb := "Endpoint=sb://127.0.0.1:41235;SharedAccessKeyName=devenv;SharedAccessKey=it's+a/key=;UseDevelopmentEmulator=true"
	env := "DEVENV_RUNDIR=" + run + "\nDEVENV_BLOB_CONNECTION_STRING=" + blob + "\nDEVENV_SERVICEBUS_CONNECTION_STRING=" + sb + "\n"
	if err := os.WriteFile(filepath.Join(run, "env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := `{"url":"http://127.0.0.1:41236","tenantId":"11111111-2222-3333-4444-555555555555","identityEndpoint":"http://127.0.0.1:41236/msi/token","identityHeader":"hdr","apps":[]}`
	if err := os.WriteFile(filepath.Join(run, "graphsim.json"), []byte(sim+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(node, script, run).CombinedOutput(); err != nil {
		t.Fatalf("settings.js: %v\n%s", err, out)
	}
	out, err := exec.Command("bash", "-c", `set -a; . "$1"; set +a; env`, "bash", filepath.Join(run, "handler.env")).Output()
	if err != nil {
		t.Fatalf("sourcing handler.env: %v", err)
	}
	sourced := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			sourced[k] = v
		}
	}
	var local struct {
		Values map[string]string `json:"Values"`
	}
	b, err := os.ReadFile(filepath.Join(run, "local.settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &local); err != nil {
		t.Fatalf("local.settings.json: %v", err)
	}
	want := map[string]string{
		"BLOB_CONNECTION_STRING":       blob,
		"SERVICEBUS_CONNECTION_STRING": sb,
		"GRAPH_BASE_URL":               "http://127.0.0.1:41236",
		"LOGIN_AUTHORITY":              "http://127.0.0.1:41236",
		"ENTRA_TENANT_ID":              "11111111-2222-3333-4444-555555555555",
		"IDENTITY_ENDPOINT":            "http://127.0.0.1:41236/msi/token",
		"IDENTITY_HEADER":              "hdr",
		"AZURE_TOKEN_CREDENTIALS":      "ManagedIdentityCredential",
	}
	for k, v := range want {
		if sourced[k] != v {
			t.Errorf("handler.env sourced: %s = %q, want %q", k, sourced[k], v)
		}
		if local.Values[k] != v {
			t.Errorf("local.settings.json: %s = %q, want %q", k, local.Values[k], v)
		}
	}
	if local.Values["AzureWebJobsStorage"] != blob {
		t.Errorf("local.settings.json: AzureWebJobsStorage = %q, want Azurite's explicit connection string", local.Values["AzureWebJobsStorage"])
	}
}
