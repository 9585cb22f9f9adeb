package infra_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// TestBicepCloudFromEnvironment: main.bicep derives AZURE_CLOUD from
// environment().name, defaults GRAPH_BASE_URL and LOGIN_AUTHORITY from the
// cloud (docs/deploy.md, "Clouds"), and its table of Graph roots agrees
// with handler/domain.Clouds.
func TestBicepCloudFromEnvironment(t *testing.T) {
	src := readFile(t, filepath.Join("bicep", "main.bicep"))
	settings := bicepAppSettings(t)
	for name, want := range map[string]string{
		"AZURE_CLOUD":     "azureCloud",
		"GRAPH_BASE_URL":  "empty(graphBaseUrl) ? cloudGraphRoots[azureCloud] : graphBaseUrl",
		"LOGIN_AUTHORITY": "empty(loginAuthority) ? cloudLoginAuthority : loginAuthority",
	} {
		if settings[name] != want {
			t.Errorf("main.bicep sets %s = %q, want %q", name, settings[name], want)
		}
	}
	for _, want := range []string{"}[environment().name]", "environment().authentication.loginEndpoint",
		"AzureCloud: 'AzurePublic'", "AzureUSGovernment: 'AzureUSGovernment'", "AzureChinaCloud: 'AzureChina'"} {
		if !strings.Contains(src, want) {
			t.Errorf("main.bicep lacks %q", want)
		}
	}
	m := regexp.MustCompile(`(?s)var cloudGraphRoots = \{(.*?)\n\}`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("main.bicep has no cloudGraphRoots table")
	}
	roots := map[string]string{}
	for _, kv := range regexp.MustCompile(`(\w+): '([^']+)'`).FindAllStringSubmatch(m[1], -1) {
		roots[kv[1]] = kv[2]
	}
	if len(roots) != len(domain.Clouds()) {
		t.Errorf("cloudGraphRoots has %d clouds, handler/domain %d", len(roots), len(domain.Clouds()))
	}
	for _, c := range domain.Clouds() {
		if roots[c.Name] != c.GraphBaseURL {
			t.Errorf("cloudGraphRoots[%s] = %q, handler/domain says %q", c.Name, roots[c.Name], c.GraphBaseURL)
		}
	}
	for _, p := range []string{"param graphBaseUrl string = ''", "param loginAuthority string = ''"} {
		if !strings.Contains(src, p) {
			t.Errorf("main.bicep lacks %q (empty = the cloud's own)", p)
		}
	}
}
