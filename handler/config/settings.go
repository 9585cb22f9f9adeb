package config

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
	{Name: "AZURE_CLOUD", Origin: OriginApp, Default: "AzurePublic", Example: "AzurePublic", Help: "The tenant's cloud: `AzurePublic`, `AzureUSGovernment` or `AzureChina`. Sets the Graph and sign-in hosts GRAPH_BASE_URL and LOGIN_AUTHORITY default to (and the only non-loopback hosts they accept), the non-gallery template id and the storage and Service Bus suffixes checked in Azure (docs/deploy.md, \"Clouds\")."},
	{Name: "GRAPH_BASE_URL", Origin: OriginApp, Default: "", Example: "https://graph.microsoft.com", Help: "Microsoft Graph root; empty: AZURE_CLOUD's (https://graph.microsoft.com, https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn). Only that cloud's hosts over https; outside Azure also http://127.0.0.1:PORT for the local simulator."},
	{Name: "LOGIN_AUTHORITY", Origin: OriginApp, Default: "", Example: "https://login.microsoftonline.com", Help: "Entra sign-in authority that serves federation metadata; empty: AZURE_CLOUD's (https://login.microsoftonline.com, https://login.microsoftonline.us, https://login.chinacloudapi.cn). Same host rules as GRAPH_BASE_URL."},
	{Name: "AZURE_TOKEN_CREDENTIALS", Origin: OriginApp, Default: "", Example: "ManagedIdentityCredential", Help: "Read by azidentity's DefaultAzureCredential: `ManagedIdentityCredential` in Azure, `dev` or unset locally (Azure CLI, azd). Listed here so deployments pin it."},
	{Name: "APP_DISPLAY_NAME", Origin: OriginApp, Default: "Aircall SAML SSO", Example: "acme-saml@aircall", Help: "Display name of the enterprise app to create (the help article suggests e.g. acme-saml@aircall)."},
	{Name: "APP_ID", Origin: OriginApp, Default: "", Example: "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d", Help: "appId of the Aircall app; when set it must agree with the app provision pinned (Blob state/pinned-app.json). The app is never found by tag or name: an existing one is adopted with `handler provision --adopt <appId>` (docs/security.md)."},
	{Name: "APP_OWNER_OBJECT_ID", Origin: OriginApp, Default: "", Example: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", Help: "Object id of the identity that must own the Aircall app (the Function App's managed identity); every job refuses an app it does not own. Empty: the oid of the running identity's Graph token — set it when an operator runs `handler provision` with their own login."},
	{Name: "AIRCALL_SIGN_ON_URL", Origin: OriginApp, Default: "", Example: "https://auth.aircall.io/sso", Help: "Sign-on URL (the service principal's loginUrl) the My Apps tile opens, so it starts Aircall's SP-initiated sign-in. Empty: provision hides the tile (HideApp tag), since Aircall refuses IdP-initiated sign-in."},
	{Name: "GRAPH_PRIVILEGED", Origin: OriginApp, Default: "false", Example: "false", Help: "true only when the opt-in Graph permissions were granted to the app's identity (Bicep grantPrivilegedGraphRoles, grant script --privileged): HTTP provision then applies the claims policy, owner and assignment steps itself. Risks: docs/security.md."},
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
	{Name: "AUDIT_SHARDS", Origin: OriginApp, Default: "32", Example: "32", Help: "Parallel shards for a full scan of a large tenant (1–64)."},
	{Name: "WEBHOOK_SECRET_ZENDESK", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-zendesk/)", Help: "Zendesk webhook signing secret (a Key Vault reference in Azure). Empty: the source is refused."},
	{Name: "WEBHOOK_SECRET_JIRA", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-jira/)", Help: "Jira webhook secret. Empty: the source is refused."},
	{Name: "WEBHOOK_SECRET_SERVICENOW", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-servicenow/)", Help: "ServiceNow webhook secret. Empty: the source is refused."},
	{Name: "WEBHOOK_SECRET_GENERIC", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/webhook-generic/)", Help: "Secret for any other JSON sender. Empty: the source is refused."},
	{Name: "WEBHOOK_DETAIL", Origin: OriginApp, Default: "summary", Example: "summary", Help: "What a webhook answer tells its sender: `summary` (verdict, text, enqueued event ids) or `full` (also the user's object id, groups and raw attributes). docs/webhooks.md, \"What the answer says\"."},
	{Name: "JIRA_USER_FIELD", Origin: OriginApp, Default: "", Example: "customfield_10042", Help: "Jira field holding the affected user's email; empty: the reporter's email."},
	{Name: "WEBSITE_INSTANCE_ID", Origin: OriginHost, Example: "5d4e…", Help: "Set by App Service on every instance: when present the handler is in Azure and refuses loopback GRAPH_BASE_URL and LOGIN_AUTHORITY."},
	{Name: "AIRCALL_API_BASE_URL", Origin: OriginApp, Default: "https://api.aircall.io", Example: "https://api.aircall.io", Help: "Aircall Public API root (https; http only for 127.0.0.1/localhost, the simulator)."},
	{Name: "AIRCALL_API_ID", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/aircall-api-id/)", Help: "Aircall API ID (Basic auth user; Aircall Dashboard → Integrations & API → API Keys), a Key Vault reference in Azure. Empty with AIRCALL_API_TOKEN: the Aircall checks are off."},
	{Name: "AIRCALL_API_TOKEN", Origin: OriginApp, Secret: true, Example: "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/aircall-api-token/)", Help: "Aircall API token (Basic auth password), a Key Vault reference in Azure. Set both or neither."},
	{Name: "LOG_LEVEL", Origin: OriginApp, Default: "info", Example: "info", Help: "debug, info, warn or error."},
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
