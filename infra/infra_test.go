// Package infra_test checks that the deployment (infra/bicep), the local
// settings sample, the README and handler/config agree on every app setting,
// and that the Bicep templates hang together structurally (the Bicep CLI is
// not available where these tests run, so they read the Bicep text).
// It deploys nothing and needs no Azure access.
package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/config"
)

// platformSettings are app settings that the Functions host, the platform or
// Core Tools read, not handler/config. Each says why it is allowed.
var platformSettings = map[string]string{
	"AzureWebJobsStorage__blobServiceUri":       "Functions host storage through the managed identity: the account's blob endpoint (any cloud)",
	"AzureWebJobsStorage__queueServiceUri":      "Functions host storage through the managed identity: the account's queue endpoint",
	"AzureWebJobsStorage__tableServiceUri":      "Functions host storage through the managed identity: the account's table endpoint (host diagnostic events)",
	"AzureWebJobsStorage__credential":           "selects the managed identity for host storage",
	"APPLICATIONINSIGHTS_CONNECTION_STRING":     "Functions host telemetry",
	"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Entra (managed identity) auth for telemetry; local auth is off",
	"AzureWebJobsStorage":                       "local only: Core Tools' host storage (Azurite)",
	"FUNCTIONS_WORKER_RUNTIME":                  "local only: Core Tools needs `custom`; on Flex Consumption it is functionAppConfig.runtime, not an app setting",
	"FUNCTIONS_EXTENSION_VERSION":               "set by the Flex Consumption platform, never by us",
}

// localOnlyPlatform are the platform settings that belong in the local sample
// and never in Bicep.
var localOnlyPlatform = map[string]bool{"AzureWebJobsStorage": true, "FUNCTIONS_WORKER_RUNTIME": true, "FUNCTIONS_EXTENSION_VERSION": true}

// bicepAppSettings reads the names and value expressions of the app settings
// object between `// BEGIN APP SETTINGS` and `// END APP SETTINGS` in
// main.bicep. Each line must be `NAME: value`, a comment, blank, or the
// object's own opening and closing lines.
func bicepAppSettings(t *testing.T) map[string]string {
	t.Helper()
	src := readFile(t, filepath.Join("bicep", "main.bicep"))
	begin := strings.Index(src, "// BEGIN APP SETTINGS")
	end := strings.Index(src, "// END APP SETTINGS")
	if begin < 0 || end < begin {
		t.Fatal("main.bicep has no `// BEGIN APP SETTINGS` … `// END APP SETTINGS` block")
	}
	lines := strings.Split(src[begin:end], "\n")[1:]
	settings := map[string]string{}
	entry := regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(\S.*)$`)
	opened := false
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || strings.HasPrefix(line, "//"):
		case !opened && regexp.MustCompile(`^var\s+appSettings\s*=\s*\{$`).MatchString(line):
			opened = true
		case opened && line == "}":
			opened = false
		case opened && entry.MatchString(line):
			m := entry.FindStringSubmatch(line)
			if _, dup := settings[m[1]]; dup {
				t.Errorf("main.bicep app settings set %s twice", m[1])
			}
			settings[m[1]] = m[2]
		default:
			t.Fatalf("main.bicep app settings block, line %d: %q is not `NAME: value` on one line (keep the block one setting per line so this test can read it)", i+1, line)
		}
	}
	if len(settings) == 0 {
		t.Fatal("main.bicep app settings block sets nothing")
	}
	return settings
}

func sampleSettings(t *testing.T) map[string]string {
	t.Helper()
	var sample struct {
		Values map[string]string `json:"Values"`
	}
	decodeJSON(t, filepath.Join("..", "local.settings.sample.json"), &sample)
	if len(sample.Values) == 0 {
		t.Fatal("local.settings.sample.json has no Values")
	}
	return sample.Values
}

// docRow is one row of the README's settings table.
type docRow struct {
	Default string
	SetBy   string
}

// docSettings reads the settings table of README.md (its "## Settings"
// section) or, when the README has none, docs/settings.md: rows of the form
// | `NAME` | default | set by | description |.
func docSettings(t *testing.T) (map[string]docRow, string) {
	t.Helper()
	for _, path := range []string{filepath.Join("..", "README.md"), filepath.Join("..", "docs", "settings.md")} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		text := string(b)
		if path == filepath.Join("..", "README.md") {
			i := strings.Index(text, "\n## Settings")
			if i < 0 {
				continue
			}
			text = text[i+1:]
			if j := strings.Index(text[3:], "\n## "); j >= 0 {
				text = text[:j+3]
			}
		}
		row := regexp.MustCompile("(?m)^\\|\\s*`([A-Za-z_][A-Za-z0-9_]*)`\\s*\\|([^|]*)\\|([^|]*)\\|")
		rows := map[string]docRow{}
		for _, m := range row.FindAllStringSubmatch(text, -1) {
			rows[m[1]] = docRow{Default: strings.TrimSpace(m[2]), SetBy: strings.TrimSpace(m[3])}
		}
		if len(rows) > 0 {
			return rows, path
		}
	}
	t.Fatal("neither README.md (## Settings) nor docs/settings.md has a settings table with rows like | `NAME` | default | set by | description |")
	return nil, ""
}

func decodeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestAppSettingsAgree(t *testing.T) {
	bicep := bicepAppSettings(t)
	sample := sampleSettings(t)
	docs, docPath := docSettings(t)

	for _, s := range config.Settings {
		_, inBicep := bicep[s.Name]
		_, inSample := sample[s.Name]
		doc, inDocs := docs[s.Name]
		if !inDocs {
			t.Errorf("%s is read by handler/config but not documented in %s", s.Name, docPath)
		}
		switch s.Origin {
		case config.OriginApp:
			if !inBicep {
				t.Errorf("%s (origin app) is not set by infra/bicep/main.bicep's APP SETTINGS block", s.Name)
			}
			if !inSample {
				t.Errorf("%s (origin app) is not listed in local.settings.sample.json", s.Name)
			}
			if inDocs && !strings.Contains(doc.SetBy, "Bicep") {
				t.Errorf("%s: %s says it is set by %q; Bicep sets it", s.Name, docPath, doc.SetBy)
			}
		case config.OriginLocal:
			if inBicep {
				t.Errorf("%s (origin local) must not be set in Azure: remove it from main.bicep", s.Name)
			}
			if !inSample {
				t.Errorf("%s (origin local) is not listed in local.settings.sample.json", s.Name)
			}
			if inDocs && strings.Contains(doc.SetBy, "Bicep") {
				t.Errorf("%s: %s says Bicep sets it; it is for local runs only", s.Name, docPath)
			}
		case config.OriginHost:
			if inBicep {
				t.Errorf("%s is set by the Functions host: remove it from main.bicep", s.Name)
			}
		default:
			t.Errorf("%s has unknown origin %q", s.Name, s.Origin)
		}
		if inDocs {
			want := "—"
			if s.Default != "" {
				want = "`" + s.Default + "`"
			}
			if doc.Default != want {
				t.Errorf("%s: %s shows default %s, handler/config has %s", s.Name, docPath, doc.Default, want)
			}
		}
		if s.Secret && inBicep && s.Origin == config.OriginApp && !strings.Contains(bicep[s.Name], "@Microsoft.KeyVault(SecretUri=") {
			t.Errorf("%s is a secret: main.bicep must set it as a Key Vault reference, got %s", s.Name, bicep[s.Name])
		}
	}

	for name := range bicep {
		s, known := config.Lookup(name)
		reason, platform := platformSettings[name]
		switch {
		case known && s.Origin == config.OriginApp:
		case platform && localOnlyPlatform[name]:
			t.Errorf("main.bicep sets %s, but %s", name, reason)
		case platform:
		case known:
			t.Errorf("main.bicep sets %s, whose origin is %q, not app", name, s.Origin)
		default:
			t.Errorf("main.bicep sets %s, which nothing reads: add it to handler/config.Settings, or to platformSettings here with the reason", name)
		}
	}
	for name := range sample {
		if _, known := config.Lookup(name); known {
			continue
		}
		if _, platform := platformSettings[name]; !platform {
			t.Errorf("local.settings.sample.json lists %s, which is neither in handler/config.Settings nor a platform setting", name)
		}
	}
	for name := range docs {
		if _, known := config.Lookup(name); !known {
			t.Errorf("%s documents %s, which handler/config does not read", docPath, name)
		}
	}
	if got := bicep["AZURE_TOKEN_CREDENTIALS"]; got != "'ManagedIdentityCredential'" {
		t.Errorf("main.bicep sets AZURE_TOKEN_CREDENTIALS to %s, want 'ManagedIdentityCredential'", got)
	}
	if got := sample["FUNCTIONS_WORKER_RUNTIME"]; got != "custom" {
		t.Errorf("local.settings.sample.json: FUNCTIONS_WORKER_RUNTIME = %q, want custom", got)
	}
}

// function is what the README must say about one functions/<name>/function.json.
type function struct {
	Name    string
	Trigger string
	Route   string
	Methods []string
}

func functions(t *testing.T) []function {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "functions", "*", "function.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no functions/*/function.json")
	}
	var out []function
	for _, p := range paths {
		var def struct {
			Bindings []struct {
				Type      string   `json:"type"`
				Direction string   `json:"direction"`
				Route     string   `json:"route"`
				Methods   []string `json:"methods"`
			} `json:"bindings"`
		}
		decodeJSON(t, p, &def)
		f := function{Name: filepath.Base(filepath.Dir(p))}
		for _, b := range def.Bindings {
			if b.Direction != "in" || !strings.HasSuffix(b.Type, "Trigger") {
				continue
			}
			f.Trigger = b.Type
			f.Route = b.Route
			f.Methods = b.Methods
			if b.Type == "httpTrigger" && f.Route == "" {
				f.Route = f.Name // the host's default route is the function name
			}
		}
		if f.Trigger == "" {
			t.Errorf("%s has no trigger binding", p)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TestFunctionsDocumented: every function is in the README's functions table
// by name, and every HTTP route with its methods.
func TestFunctionsDocumented(t *testing.T) {
	readme := readFile(t, filepath.Join("..", "README.md"))
	for _, f := range functions(t) {
		row := regexp.MustCompile("(?m)^\\|\\s*`" + regexp.QuoteMeta(f.Name) + "`\\s*\\|(.*)$").FindStringSubmatch(readme)
		if row == nil {
			t.Errorf("function %s (functions/%s/function.json) has no row in README.md's functions table", f.Name, f.Name)
			continue
		}
		if f.Trigger != "httpTrigger" {
			continue
		}
		if !strings.Contains(row[1], "/api/"+f.Route) {
			t.Errorf("README.md's row for %s does not show its route /api/%s", f.Name, f.Route)
		}
		for _, m := range f.Methods {
			if !strings.Contains(strings.ToUpper(row[1]), strings.ToUpper(m)) {
				t.Errorf("README.md's row for %s does not show method %s", f.Name, strings.ToUpper(m))
			}
		}
	}
}
