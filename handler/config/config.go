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

// Config is the validated configuration.
type Config struct {
	Port     string
	TenantID string
	// Cloud is AZURE_CLOUD's cloud; GraphBaseURL and LoginAuthority default
	// from it (cloud.go).
	Cloud          domain.Cloud
	GraphBaseURL   string
	LoginAuthority string
	// InAzure: WEBSITE_INSTANCE_ID is set (loopback endpoints are refused).
	InAzure bool

	AppDisplayName string
	// AppID is APP_ID: the Aircall app's appId when set explicitly.
	AppID string
	// AppOwnerID is APP_OWNER_OBJECT_ID: the object id that must own the
	// app ("" : the oid of the running identity's Graph token).
	AppOwnerID string
	// SignOnURL is AIRCALL_SIGN_ON_URL: the My Apps tile's sign-on URL
	// ("": the tile is hidden).
	SignOnURL string
	// GraphPrivileged is GRAPH_PRIVILEGED: the opt-in permissions were
	// granted to the app's identity (docs/security.md).
	GraphPrivileged  bool
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
	// WebhookDetail is WEBHOOK_DETAIL: "summary" (default) or "full".
	WebhookDetail string

	// AircallBaseURL, AircallAPIID and AircallAPIToken reach Aircall's
	// Public API; without the credentials the Aircall checks are off.
	AircallBaseURL  string
	AircallAPIID    string
	AircallAPIToken string

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
		AppDisplayName:             l.str("APP_DISPLAY_NAME"),
		AppID:                      l.guid("APP_ID"),
		AppOwnerID:                 strings.ToLower(l.guid("APP_OWNER_OBJECT_ID")),
		SignOnURL:                  l.url("AIRCALL_SIGN_ON_URL"),
		GraphPrivileged:            l.oneOf("GRAPH_PRIVILEGED", "false", "true") == "true",
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
		WebhookDetail:              l.oneOf("WEBHOOK_DETAIL", "summary", "full"),
		AircallBaseURL:             l.url("AIRCALL_API_BASE_URL"),
		LogLevel:                   l.oneOf("LOG_LEVEL", "debug", "info", "warn", "error"),
		TokenCredentials:           l.tokenCredentials("AZURE_TOKEN_CREDENTIALS"),
		WebhookSecrets:             map[string][]byte{},
	}
	for _, src := range webhookSources() {
		name := "WEBHOOK_SECRET_" + strings.ToUpper(src)
		if v, ok := l.secret(name); ok && v != "" {
			if len(v) < 16 {
				l.fail(name, "is too short to be a signing secret (at least 16 characters)", "")
				continue
			}
			c.WebhookSecrets[src] = []byte(v)
		}
	}
	l.loadCloud(c)
	l.distinctSecrets(c.WebhookSecrets)
	l.loadAircall(c)
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

// secret reads a secret setting; an unresolved Key Vault reference (the
// platform could not read the secret) fails it and reads as "".
func (l *loader) secret(name string) (string, bool) {
	v := l.str(name)
	if strings.HasPrefix(v, "@Microsoft.KeyVault(") {
		l.fail(name, "is an unresolved Key Vault reference: grant the app's identity Key Vault Secrets User and check the SecretUri", "")
		return "", false
	}
	return v, true
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

// webhookSources are the sources with a WEBHOOK_SECRET_* setting, in the
// settings table's order.
func webhookSources() []string { return []string{"zendesk", "jira", "servicenow", "generic"} }

// distinctSecrets refuses two webhook sources sharing one secret: generic and
// ServiceNow sign the same way, so a body signed for one would pass at the
// other and a signature would no longer say which sender made it
// (docs/webhooks.md, "One secret per source"). The error names both settings,
// never the secret.
func (l *loader) distinctSecrets(secrets map[string][]byte) {
	names := webhookSources()
	for i, a := range names {
		for _, b := range names[i+1:] {
			if len(secrets[a]) > 0 && string(secrets[a]) == string(secrets[b]) {
				l.fail("WEBHOOK_SECRET_"+strings.ToUpper(b), "must differ from WEBHOOK_SECRET_"+strings.ToUpper(a)+
					": each webhook source needs its own secret, so a signature made for one source never passes at another", "")
			}
		}
	}
}
