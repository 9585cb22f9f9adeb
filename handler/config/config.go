// Package config reads every app setting of aircall-entra-sso once, at start,
// and validates it. An invalid or missing setting yields an error that names
// the setting and shows what a valid value looks like; all such errors are
// reported together.
//
// Settings is the single table of settings: the README's table,
// local.settings.sample.json and the Bicep app settings are checked against
// it by tests. No other package reads the environment for app settings.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Origin says who sets a setting in Azure.
type Origin string

const (
	// OriginApp settings are set by infra/bicep and listed in local.settings.sample.json.
	OriginApp Origin = "app"
	// OriginHost settings are set by the Functions host or platform itself.
	OriginHost Origin = "host"
	// OriginLocal settings exist for local runs only (connection strings for
	// Azurite and the Service Bus peer); in Azure the identity-based setting is used.
	OriginLocal Origin = "local"
)

// Setting documents one app setting.
type Setting struct {
	Name    string
	Default string
	// Example is a valid value, shown in errors and in the sample settings.
	Example string
	Help    string
	Origin  Origin
	// Secret settings are never logged or echoed.
	Secret bool
}

// Settings lists every setting the code reads, in README order.
var Settings = []Setting{
	{Name: "FUNCTIONS_CUSTOMHANDLER_PORT", Origin: OriginHost, Example: "7071", Help: "Port the Functions host tells the handler to listen on (127.0.0.1). Set by the host; `handler serve` defaults to 8080 without it."},
	{Name: "ENTRA_TENANT_ID", Origin: OriginApp, Example: "72f988bf-86f1-41af-91ab-2d7cd011db47", Help: "Directory (tenant) id of the Entra ID tenant that holds the Aircall app (a GUID)."},
	{Name: "GRAPH_BASE_URL", Origin: OriginApp, Default: "https://graph.microsoft.com", Example: "https://graph.microsoft.com", Help: "Microsoft Graph root for the tenant's cloud (https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn); http://127.0.0.1:PORT for the local simulator."},
	{Name: "LOGIN_AUTHORITY", Origin: OriginApp, Default: "https://login.microsoftonline.com", Example: "https://login.microsoftonline.com", Help: "Entra sign-in authority that serves federation metadata (https://login.microsoftonline.us for US Gov)."},
	{Name: "AZURE_TOKEN_CREDENTIALS", Origin: OriginApp, Default: "", Example: "ManagedIdentityCredential", Help: "Read by azidentity's DefaultAzureCredential: `ManagedIdentityCredential` in Azure, `dev` or unset locally (Azure CLI, azd). Listed here so deployments pin it."},
	{Name: "APP_DISPLAY_NAME", Origin: OriginApp, Default: "Aircall SAML SSO", Example: "acme-saml@aircall", Help: "Display name of the enterprise app to create (the help article suggests e.g. acme-saml@aircall)."},
	{Name: "APP_ID", Origin: OriginApp, Default: "", Example: "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d", Help: "appId (client id) of the Aircall enterprise app whose federation metadata is archived; empty: the app provision manages (found by its tag)."},
	{Name: "APP_ASSIGN", Origin: OriginApp, Default: "", Example: "0d3f…-user-or-group-object-id,…", Help: "Comma-separated object ids of users or security groups to assign to the app (empty: assign nobody)."},
	{Name: "CLAIM_SOURCE", Origin: OriginApp, Default: "userprincipalname", Example: "userprincipalname", Help: "Source of the emailaddress claim: `userprincipalname` (the help article's fix, default) or `mail`."},
	{Name: "CERT_LIFETIME_DAYS", Origin: OriginApp, Default: "1095", Example: "1095", Help: "Lifetime of a new SAML signing certificate in days (1–1095, Entra's maximum is 3 years)."},
	{Name: "CERT_ROTATE_BEFORE_DAYS", Origin: OriginApp, Default: "30", Example: "30", Help: "Provision adds a new signing certificate when the active one expires within this many days."},
	{Name: "CERT_EXPIRY_WARN_DAYS", Origin: OriginApp, Default: "60,30,7", Example: "60,30,7", Help: "Days before a signing certificate expires at which an expiry event is sent, comma-separated."},
	{Name: "BLOB_SERVICE_URL", Origin: OriginApp, Example: "https://acmeaircallsso.blob.core.windows.net/", Help: "Blob service URL of the storage account for metadata archives, checkpoints, reports, the outbox and locks (managed identity). Either this or BLOB_CONNECTION_STRING."},
	{Name: "BLOB_CONNECTION_STRING", Origin: OriginLocal, Secret: true, Example: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=…;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", Help: "Local alternative to BLOB_SERVICE_URL (Azurite). `UseDevelopmentStorage=true` is not understood by the Go SDK: give the explicit form."},
	{Name: "BLOB_CONTAINER", Origin: OriginApp, Default: "aircall-sso", Example: "aircall-sso", Help: "Container for everything the app stores (created when missing)."},
	{Name: "SERVICEBUS_NAMESPACE", Origin: OriginApp, Example: "acme-aircall-sso.servicebus.windows.net", Help: "Fully qualified Service Bus namespace for remediation events (managed identity). Either this or SERVICEBUS_CONNECTION_STRING."},
	{Name: "SERVICEBUS_CONNECTION_STRING", Origin: OriginLocal, Secret: true, Example: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=devenv;SharedAccessKey=…;UseDevelopmentEmulator=true", Help: "Local alternative to SERVICEBUS_NAMESPACE (the Service Bus peer or emulator)."},
	{Name: "SERVICEBUS_QUEUE", Origin: OriginApp, Default: "aircall-sso-remediation", Example: "aircall-sso-remediation", Help: "Queue that receives remediation events (CloudEvents JSON)."},
	{Name: "AUDIT_SCOPE", Origin: OriginApp, Default: "assigned", Example: "assigned", Help: "Users the nightly audit checks: `assigned` (direct assignments and direct members of assigned groups) or `all`."},
	{Name: "AUDIT_TIME_BUDGET", Origin: OriginApp, Default: "8m", Example: "8m", Help: "How long one audit invocation may scan before it checkpoints and stops (Go duration, below functionTimeout)."},
	{Name: "AUDIT_SHARDS", Origin: OriginApp, Default: "16", Example: "16", Help: "Parallel shards for a full scan of a large tenant (1–64)."},
	{Name: "WEBHOOK_SECRET_ZENDESK", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-zendesk/)", Help: "Zendesk webhook signing secret (a Key Vault reference in Azure). Empty: the source is refused."},
	{Name: "WEBHOOK_SECRET_JIRA", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-jira/)", Help: "Jira webhook secret. Empty: the source is refused."},
	{Name: "WEBHOOK_SECRET_SERVICENOW", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-servicenow/)", Help: "ServiceNow webhook secret. Empty: the source is refused."},
	{Name: "WEBHOOK_SECRET_GENERIC", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-generic/)", Help: "Secret for any other JSON sender. Empty: the source is refused."},
	{Name: "JIRA_USER_FIELD", Origin: OriginApp, Default: "", Example: "customfield_10042", Help: "Jira field holding the affected user's email; empty: the reporter's email."},
	{Name: "LOG_LEVEL", Origin: OriginApp, Default: "info", Example: "info", Help: "debug, info, warn or error."},
}

// Config is the validated configuration.
type Config struct {
	Port           string
	TenantID       string
	GraphBaseURL   string
	LoginAuthority string

	AppDisplayName string
	// AppID is APP_ID: the Aircall app's appId when set explicitly.
	AppID            string
	Assign           []string
	ClaimSource      domain.ClaimSource
	CertLifetime     time.Duration
	CertRotateBefore time.Duration
	CertExpiryWarn   []time.Duration

	BlobServiceURL       string
	BlobConnectionString string
	BlobContainer        string

	ServiceBusNamespace        string
	ServiceBusConnectionString string
	ServiceBusQueue            string

	AuditScope      string
	AuditTimeBudget time.Duration
	AuditShards     int

	// WebhookSecrets maps a source name (zendesk, jira, servicenow, generic) to its secret.
	WebhookSecrets map[string][]byte
	JiraUserField  string

	// TokenCredentials is AZURE_TOKEN_CREDENTIALS, which azidentity reads itself.
	TokenCredentials string

	LogLevel string
}

// Load reads and validates every setting with getenv (os.Getenv when nil).
// The error lists every invalid setting, each by name.
func Load(getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	l := loader{getenv: getenv}
	c := &Config{
		Port:                       l.str("FUNCTIONS_CUSTOMHANDLER_PORT"),
		TenantID:                   l.guid("ENTRA_TENANT_ID"),
		GraphBaseURL:               l.url("GRAPH_BASE_URL"),
		LoginAuthority:             l.url("LOGIN_AUTHORITY"),
		AppDisplayName:             l.str("APP_DISPLAY_NAME"),
		AppID:                      l.guid("APP_ID"),
		Assign:                     l.guidList("APP_ASSIGN"),
		ClaimSource:                domain.ClaimSource(l.oneOf("CLAIM_SOURCE", string(domain.ClaimFromUPN), string(domain.ClaimFromMail))),
		CertLifetime:               l.days("CERT_LIFETIME_DAYS", 1, 1095),
		CertRotateBefore:           l.days("CERT_ROTATE_BEFORE_DAYS", 1, 365),
		CertExpiryWarn:             l.daysList("CERT_EXPIRY_WARN_DAYS"),
		BlobServiceURL:             l.url("BLOB_SERVICE_URL"),
		BlobConnectionString:       l.str("BLOB_CONNECTION_STRING"),
		BlobContainer:              l.containerName("BLOB_CONTAINER"),
		ServiceBusNamespace:        l.hostname("SERVICEBUS_NAMESPACE"),
		ServiceBusConnectionString: l.str("SERVICEBUS_CONNECTION_STRING"),
		ServiceBusQueue:            l.entityName("SERVICEBUS_QUEUE"),
		AuditScope:                 l.oneOf("AUDIT_SCOPE", "assigned", "all"),
		AuditTimeBudget:            l.duration("AUDIT_TIME_BUDGET", 10*time.Second, 9*time.Hour),
		AuditShards:                l.intRange("AUDIT_SHARDS", 1, 64),
		JiraUserField:              l.str("JIRA_USER_FIELD"),
		LogLevel:                   l.oneOf("LOG_LEVEL", "debug", "info", "warn", "error"),
		TokenCredentials:           l.tokenCredentials("AZURE_TOKEN_CREDENTIALS"),
		WebhookSecrets:             map[string][]byte{},
	}
	for _, src := range []string{"zendesk", "jira", "servicenow", "generic"} {
		name := "WEBHOOK_SECRET_" + strings.ToUpper(src)
		if v := l.str(name); v != "" {
			if strings.HasPrefix(v, "@Microsoft.KeyVault(") {
				l.fail(name, "is an unresolved Key Vault reference: grant the app's identity Key Vault Secrets User and check the SecretUri", "")
				continue
			}
			if len(v) < 16 {
				l.fail(name, "is too short to be a signing secret (at least 16 characters)", "")
				continue
			}
			c.WebhookSecrets[src] = []byte(v)
		}
	}
	if strings.TrimSpace(getenv("ENTRA_TENANT_ID")) == "" {
		l.missing("ENTRA_TENANT_ID")
	}
	l.exactlyOne("BLOB_SERVICE_URL", "BLOB_CONNECTION_STRING")
	l.exactlyOne("SERVICEBUS_NAMESPACE", "SERVICEBUS_CONNECTION_STRING")
	if c.BlobConnectionString != "" && strings.Contains(strings.ToLower(c.BlobConnectionString), "usedevelopmentstorage=true") {
		l.fail("BLOB_CONNECTION_STRING", "UseDevelopmentStorage=true is not understood by the Go SDK", "")
	}
	if c.CertLifetime > 0 && c.CertRotateBefore >= c.CertLifetime {
		l.fail("CERT_ROTATE_BEFORE_DAYS", "must be shorter than CERT_LIFETIME_DAYS", "")
	}
	if err := errors.Join(l.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// FederationMetadataURL is where Entra serves the app's federation metadata:
// the link Aircall asks for.
func (c *Config) FederationMetadataURL(appID string) string {
	return strings.TrimRight(c.LoginAuthority, "/") + "/" + url.PathEscape(c.TenantID) +
		"/federationmetadata/2007-06/federationmetadata.xml?appid=" + url.QueryEscape(appID)
}

// Lookup returns the Setting named name.
func Lookup(name string) (Setting, bool) {
	for _, s := range Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

// SettingError is one invalid setting.
type SettingError struct {
	Name    string
	Problem string
	Example string
}

func (e *SettingError) Error() string {
	msg := "setting " + e.Name + " " + e.Problem
	if e.Example != "" {
		msg += " (example: " + e.Example + ")"
	}
	return msg
}

type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) fail(name, problem, value string) {
	s, _ := Lookup(name)
	if value != "" && !s.Secret {
		problem = fmt.Sprintf("%s, got %q", problem, value)
	}
	l.errs = append(l.errs, &SettingError{Name: name, Problem: problem, Example: s.Example})
}

func (l *loader) missing(name string) { l.fail(name, "is required", "") }

// str returns the trimmed value or the setting's default.
func (l *loader) str(name string) string {
	s, ok := Lookup(name)
	if !ok {
		panic("config: setting " + name + " is not in the Settings table")
	}
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return s.Default
	}
	return v
}

func (l *loader) exactlyOne(a, b string) {
	va, vb := l.str(a), l.str(b)
	switch {
	case va == "" && vb == "":
		l.fail(a, "is required (or, for local runs, "+b+")", "")
	case va != "" && vb != "":
		l.fail(b, "must not be set together with "+a+": choose one", "")
	}
}

func (l *loader) url(name string) string {
	v := l.str(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		l.fail(name, "must be an absolute https URL (http only for 127.0.0.1/localhost)", v)
		return ""
	}
	return strings.TrimRight(v, "/")
}

func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

func (l *loader) guid(name string) string {
	v := l.str(name)
	if v != "" && !domain.IsGUID(v) {
		l.fail(name, "must be a GUID like 00000000-0000-0000-0000-000000000000", v)
		return ""
	}
	return strings.ToLower(v)
}

func (l *loader) guidList(name string) []string {
	v := l.str(name)
	if v == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !domain.IsGUID(p) {
			l.fail(name, "must be comma-separated object ids (GUIDs)", p)
			return nil
		}
		out = append(out, strings.ToLower(p))
	}
	return out
}

func (l *loader) oneOf(name string, allowed ...string) string {
	v := strings.ToLower(l.str(name))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	l.fail(name, "must be one of "+strings.Join(allowed, ", "), v)
	return ""
}

func (l *loader) intRange(name string, lo, hi int) int {
	v := l.str(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		l.fail(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi), v)
		return 0
	}
	return n
}

func (l *loader) days(name string, lo, hi int) time.Duration {
	return time.Duration(l.intRange(name, lo, hi)) * 24 * time.Hour
}

func (l *loader) daysList(name string) []time.Duration {
	v := l.str(name)
	var out []time.Duration
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 365 {
			l.fail(name, "must be comma-separated day counts from 1 to 365", v)
			return nil
		}
		out = append(out, time.Duration(n)*24*time.Hour)
	}
	return out
}

func (l *loader) duration(name string, lo, hi time.Duration) time.Duration {
	v := l.str(name)
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		l.fail(name, fmt.Sprintf("must be a Go duration from %s to %s, like 8m or 90s", lo, hi), v)
		return 0
	}
	return d
}

func (l *loader) hostname(name string) string {
	v := l.str(name)
	if v == "" {
		return ""
	}
	if strings.Contains(v, "://") || strings.ContainsAny(v, "/ ;") || !strings.Contains(v, ".") {
		l.fail(name, "must be a fully qualified host name without scheme, like acme.servicebus.windows.net", v)
		return ""
	}
	return v
}

// containerName validates an Azure Blob container name.
func (l *loader) containerName(name string) string {
	v := l.str(name)
	ok := len(v) >= 3 && len(v) <= 63 && !strings.Contains(v, "--") && v[0] != '-' && v[len(v)-1] != '-'
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			ok = false
		}
	}
	if !ok {
		l.fail(name, "must be 3–63 lowercase letters, digits and single hyphens", v)
		return ""
	}
	return v
}

// entityName validates a Service Bus queue name.
func (l *loader) entityName(name string) string {
	v := l.str(name)
	ok := len(v) >= 1 && len(v) <= 260
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._/", r)) {
			ok = false
		}
	}
	if !ok {
		l.fail(name, "must be 1–260 letters, digits, '-', '.', '_' or '/'", v)
		return ""
	}
	return v
}

// tokenCredentials validates AZURE_TOKEN_CREDENTIALS against the values
// azidentity's DefaultAzureCredential accepts.
func (l *loader) tokenCredentials(name string) string {
	v := l.str(name)
	switch strings.ToLower(v) {
	case "", "dev", "prod", "managedidentitycredential", "azureclicredential", "azuredeveloperclicredential",
		"environmentcredential", "workloadidentitycredential", "azurepowershellcredential":
		return v
	}
	l.fail(name, "must be dev, prod or one credential name such as ManagedIdentityCredential", v)
	return ""
}
