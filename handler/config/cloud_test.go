package config_test

import (
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// TestCloudDefaults: AZURE_CLOUD alone sets the Graph root, the sign-in
// authority and the template id of its cloud (docs/deploy.md, "Clouds").
func TestCloudDefaults(t *testing.T) {
	for name, want := range map[string][3]string{
		"":                  {"https://graph.microsoft.com", "https://login.microsoftonline.com", "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"},
		"AzurePublic":       {"https://graph.microsoft.com", "https://login.microsoftonline.com", "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"},
		"AzureUSGovernment": {"https://graph.microsoft.us", "https://login.microsoftonline.us", "4602d0b4-76bb-404b-bca9-2652e1a39c6d"},
		"azurechina":        {"https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn", "5a532e38-1581-4918-9658-008dc27c1d68"},
	} {
		m := valid()
		m["AZURE_CLOUD"] = name
		if name == "AzureUSGovernment" {
			m["BLOB_SERVICE_URL"], m["SERVICEBUS_NAMESPACE"] = "https://acme.blob.core.usgovcloudapi.net/", "acme.servicebus.usgovcloudapi.net"
		}
		c, err := load(m)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if c.GraphBaseURL != want[0] || c.LoginAuthority != want[1] || c.Cloud.TemplateID != want[2] {
			t.Errorf("%q: graph %s login %s template %s, want %v", name, c.GraphBaseURL, c.LoginAuthority, c.Cloud.TemplateID, want)
		}
	}
}

// TestCloudEndpointsOnlyRealClouds: GRAPH_BASE_URL and LOGIN_AUTHORITY
// accept only the configured cloud's hosts over https, loopback only
// outside Azure (WEBSITE_INSTANCE_ID unset); each refusal names its
// setting.
func TestCloudEndpointsOnlyRealClouds(t *testing.T) {
	for _, tc := range []struct {
		set                 map[string]string
		inAzure             bool
		wantSetting, reason string
	}{
		{map[string]string{"GRAPH_BASE_URL": "http://127.0.0.1:8080"}, false, "", ""},
		{map[string]string{"LOGIN_AUTHORITY": "https://localhost:9443"}, false, "", ""},
		{map[string]string{"GRAPH_BASE_URL": "http://127.0.0.1:8080"}, true, "GRAPH_BASE_URL", "loopback"},
		{map[string]string{"LOGIN_AUTHORITY": "http://localhost:1"}, true, "LOGIN_AUTHORITY", "loopback"},
		{map[string]string{"GRAPH_BASE_URL": "https://graph.microsoft.com"}, true, "", ""},
		{map[string]string{"GRAPH_BASE_URL": "https://graph.microsoft.com/"}, true, "", ""},
		{map[string]string{"GRAPH_BASE_URL": "http://graph.microsoft.com"}, false, "GRAPH_BASE_URL", "https"},
		{map[string]string{"GRAPH_BASE_URL": "https://graph.example.com"}, false, "GRAPH_BASE_URL", "AzurePublic"},
		{map[string]string{"GRAPH_BASE_URL": "https://graph.example.com"}, true, "GRAPH_BASE_URL", "AzurePublic"},
		{map[string]string{"GRAPH_BASE_URL": "https://graph.microsoft.com.evil.example"}, true, "GRAPH_BASE_URL", "AzurePublic"},
		{map[string]string{"GRAPH_BASE_URL": "https://graph.microsoft.com:8443"}, true, "GRAPH_BASE_URL", "AzurePublic"},
		{map[string]string{"GRAPH_BASE_URL": "https://user@graph.microsoft.com"}, true, "GRAPH_BASE_URL", "scheme and a host"},
		{map[string]string{"LOGIN_AUTHORITY": "https://login.microsoftonline.com/common"}, true, "LOGIN_AUTHORITY", "scheme and a host"},
		{map[string]string{"GRAPH_BASE_URL": "https://graph.microsoft.us"}, true, "GRAPH_BASE_URL", "AzureUSGovernment"},
		{map[string]string{"AZURE_CLOUD": "AzureUSGovernment", "GRAPH_BASE_URL": "https://dod-graph.microsoft.us",
			"BLOB_SERVICE_URL": "https://a.blob.core.usgovcloudapi.net", "SERVICEBUS_NAMESPACE": "a.servicebus.usgovcloudapi.net"}, true, "", ""},
		{map[string]string{"AZURE_CLOUD": "AzureChina", "LOGIN_AUTHORITY": "https://login.partner.microsoftonline.cn"}, false, "", ""},
		{map[string]string{"AZURE_CLOUD": "AzureChina"}, true, "BLOB_SERVICE_URL", "core.chinacloudapi.cn"},
		{map[string]string{"AZURE_CLOUD": "AzureChina", "BLOB_SERVICE_URL": "https://a.blob.core.chinacloudapi.cn"}, true, "SERVICEBUS_NAMESPACE", "servicebus.chinacloudapi.cn"},
		{map[string]string{"AZURE_CLOUD": "AzureGermany"}, false, "AZURE_CLOUD", "AzureChina"},
	} {
		m := valid()
		for k, v := range tc.set {
			m[k] = v
		}
		if tc.inAzure {
			m["WEBSITE_INSTANCE_ID"] = "5d4ee0e2f9b1"
		}
		_, err := load(m)
		if tc.wantSetting == "" {
			if err != nil {
				t.Errorf("%v (in Azure %v): %v", tc.set, tc.inAzure, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "setting "+tc.wantSetting+" ") || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%v (in Azure %v): got %v, want an error naming %s (%s)", tc.set, tc.inAzure, err, tc.wantSetting, tc.reason)
		}
	}
}

// TestCloudTable: every cloud's defaults are among its own accepted hosts,
// and no host belongs to two clouds.
func TestCloudTable(t *testing.T) {
	seen := map[string]string{}
	for _, c := range domain.Clouds() {
		for _, h := range append(append([]string(nil), c.GraphHosts...), c.LoginHosts...) {
			if other, dup := seen[h]; dup {
				t.Errorf("%s is a host of %s and %s", h, other, c.Name)
			}
			seen[h] = c.Name
		}
		if got, ok := domain.CloudOfHost(strings.TrimPrefix(c.GraphBaseURL, "https://")); !ok || got.Name != c.Name {
			t.Errorf("%s: default Graph host not its own", c.Name)
		}
		if got, ok := domain.CloudOfHost(strings.TrimPrefix(c.LoginAuthority, "https://")); !ok || got.Name != c.Name {
			t.Errorf("%s: default sign-in host not its own", c.Name)
		}
	}
}
