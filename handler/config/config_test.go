package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/config"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
)

func valid() map[string]string {
	return map[string]string{
		"ENTRA_TENANT_ID":      "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"BLOB_SERVICE_URL":     "https://acme.blob.core.windows.net/",
		"SERVICEBUS_NAMESPACE": "acme.servicebus.windows.net",
	}
}

func load(m map[string]string) (*config.Config, error) {
	return config.Load(func(k string) string { return m[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(valid())
	if err != nil {
		t.Fatal(err)
	}
	if c.GraphBaseURL != "https://graph.microsoft.com" || c.ClaimSource != domain.ClaimFromUPN || c.AuditScope != "assigned" ||
		c.AuditTimeBudget != 8*time.Minute || c.BlobContainer != "aircall-sso" || len(c.CertExpiryWarn) != 3 ||
		c.CertExpiryWarn[2] != 7*24*time.Hour || c.AuditShards != 32 || c.BlobServiceURL != "https://acme.blob.core.windows.net" {
		t.Fatalf("defaults: %+v", c)
	}
	if got := fedmeta.MetadataURL(c.LoginAuthority, domain.AppRef{Tenant: c.TenantID, AppID: "17ca0000-0000-0000-0000-000000000000"}); got !=
		"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/federationmetadata/2007-06/federationmetadata.xml?appid=17ca0000-0000-0000-0000-000000000000" {
		t.Fatalf("metadata URL %s", got)
	}
}

// TestEachBadSettingIsNamed sets one setting wrong at a time and expects an
// error naming exactly that setting, with an example of a valid value.
func TestEachBadSettingIsNamed(t *testing.T) {
	cases := []struct{ name, value string }{
		{"ENTRA_TENANT_ID", "contoso"},
		{"ENTRA_TENANT_ID", ""},
		{"GRAPH_BASE_URL", "http://graph.example.com"},
		{"GRAPH_BASE_URL", "not a url"},
		{"LOGIN_AUTHORITY", "ftp://x"},
		{"APP_ASSIGN", "bob"},
		{"CLAIM_SOURCE", "email"},
		{"CERT_LIFETIME_DAYS", "2000"},
		{"CERT_ROTATE_BEFORE_DAYS", "x"},
		{"CERT_EXPIRY_WARN_DAYS", "60,,7"},
		{"BLOB_CONTAINER", "Bad_Name"},
		{"SERVICEBUS_NAMESPACE", "sb://acme.servicebus.windows.net"},
		{"SERVICEBUS_QUEUE", "bad queue"},
		{"AUDIT_SCOPE", "everyone"},
		{"AUDIT_TIME_BUDGET", "8"},
		{"AUDIT_SHARDS", "0"},
		{"LOG_LEVEL", "loud"},
		{"WEBHOOK_SECRET_ZENDESK", "short"},
		{"WEBHOOK_SECRET_JIRA", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)"},
		{"AZURE_TOKEN_CREDENTIALS", "magic"},
	}
	for _, c := range cases {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			m := valid()
			m[c.name] = c.value
			if c.value == "" {
				delete(m, c.name)
			}
			_, err := load(m)
			if err == nil {
				t.Fatalf("%s=%q accepted", c.name, c.value)
			}
			var se *config.SettingError
			if !errors.As(err, &se) || se.Name != c.name {
				t.Fatalf("error %v does not name %s", err, c.name)
			}
			if !strings.Contains(err.Error(), "example:") && !strings.Contains(err.Error(), "Key Vault") {
				t.Fatalf("error gives no example of a valid value: %v", err)
			}
		})
	}
}

func TestSecretsAreNotEchoed(t *testing.T) {
	m := valid()
	m["WEBHOOK_SECRET_GENERIC"] = "tiny-secret"
	_, err := load(m)
	if err == nil || strings.Contains(err.Error(), "tiny-secret") {
		t.Fatalf("error must name the setting without its value: %v", err)
	}
}

func TestEitherOr(t *testing.T) {
	m := valid()
	delete(m, "BLOB_SERVICE_URL")
	if _, err := load(m); err == nil || !strings.Contains(err.Error(), "BLOB_SERVICE_URL is required (or, for local runs, BLOB_CONNECTION_STRING)") {
		t.Fatalf("missing blob settings: %v", err)
	}
	m = valid()
	m["SERVICEBUS_CONNECTION_STRING"] = "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=a;SharedAccessKey=b;UseDevelopmentEmulator=true"
	if _, err := load(m); err == nil || !strings.Contains(err.Error(), "SERVICEBUS_CONNECTION_STRING must not be set together with SERVICEBUS_NAMESPACE") {
		t.Fatalf("both service bus settings: %v", err)
	}
	m = valid()
	delete(m, "BLOB_SERVICE_URL")
	m["BLOB_CONNECTION_STRING"] = "UseDevelopmentStorage=true"
	if _, err := load(m); err == nil || !strings.Contains(err.Error(), "UseDevelopmentStorage") {
		t.Fatalf("UseDevelopmentStorage: %v", err)
	}
}

func TestAllErrorsReportedTogether(t *testing.T) {
	_, err := load(map[string]string{"AUDIT_SHARDS": "999", "LOG_LEVEL": "x"})
	for _, name := range []string{"ENTRA_TENANT_ID", "BLOB_SERVICE_URL", "SERVICEBUS_NAMESPACE", "AUDIT_SHARDS", "LOG_LEVEL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s: %v", name, err)
		}
	}
}

func TestWebhookSecrets(t *testing.T) {
	m := valid()
	m["WEBHOOK_SECRET_ZENDESK"] = "0123456789abcdef0123"
	c, err := load(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.WebhookSecrets["zendesk"]) != "0123456789abcdef0123" || c.WebhookSecrets["jira"] != nil {
		t.Fatalf("secrets %v", c.WebhookSecrets)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("ENTRA_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47", "AUDIT_SHARDS", "8")
	f.Add("GRAPH_BASE_URL", "http://127.0.0.1:1", "CERT_EXPIRY_WARN_DAYS", "60,30,7")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := valid()
		m[k1], m[k2] = v1, v2
		c, err := load(m)
		if err == nil && (c.TenantID == "" || c.BlobContainer == "" || c.AuditShards < 1) {
			t.Fatalf("accepted an incomplete configuration: %+v", c)
		}
	})
}

// TestSharedWebhookSecretRefused: generic and ServiceNow sign alike, so one
// secret on both would let a body signed for one pass at the other.
func TestSharedWebhookSecretRefused(t *testing.T) {
	m := valid()
	m["WEBHOOK_SECRET_GENERIC"] = "0123456789abcdef0123"
	m["WEBHOOK_SECRET_SERVICENOW"] = "0123456789abcdef0123"
	_, err := load(m)
	if err == nil || !strings.Contains(err.Error(), "WEBHOOK_SECRET_GENERIC") || !strings.Contains(err.Error(), "WEBHOOK_SECRET_SERVICENOW") {
		t.Fatalf("want an error naming both settings, got %v", err)
	}
	if strings.Contains(err.Error(), "0123456789abcdef0123") {
		t.Fatalf("the error shows the secret: %v", err)
	}
	m["WEBHOOK_SECRET_SERVICENOW"] = "another-secret-0123456789"
	if _, err := load(m); err != nil {
		t.Fatalf("distinct secrets refused: %v", err)
	}
}

func TestWebhookDetail(t *testing.T) {
	m := valid()
	c, err := load(m)
	if err != nil || c.WebhookDetail != "summary" {
		t.Fatalf("default WEBHOOK_DETAIL: %v %v", c, err)
	}
	m["WEBHOOK_DETAIL"] = "everything"
	if _, err := load(m); err == nil || !strings.Contains(err.Error(), "WEBHOOK_DETAIL") {
		t.Fatalf("bad WEBHOOK_DETAIL accepted: %v", err)
	}
}
