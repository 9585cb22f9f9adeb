// aircall-entra-sso: everything the Function App needs, in one resource group.
//
//   az deployment group create -g <rg> -f infra/bicep/main.bicep -p @infra/bicep/main.parameters.json
//   (or `make deploy`, which runs infra/deploy.sh: this deployment, then the zip deploy)
//
// Hosting: Flex Consumption, Linux, custom handler (docs/deploy.md says why).
// Identity: the app's system-assigned managed identity for Storage, Service Bus,
// Key Vault, Application Insights and Microsoft Graph; no keys or connection
// strings in app settings.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------- naming ----

@description('Prefix of every resource name: lowercase letters, digits and hyphens.')
@minLength(3)
@maxLength(20)
param namePrefix string = 'aircall-sso'

@description('Azure region of every resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Tags applied to every resource.')
param tags object = {}

// ---------------------------------------------------------- app settings ----
// Each parameter below feeds one app setting read by handler/config; the
// README's settings table documents them.

@description('ENTRA_TENANT_ID: tenant that holds the Aircall app. Default: the tenant of this deployment.')
param entraTenantId string = tenant().tenantId

@description('GRAPH_BASE_URL: Microsoft Graph root. Empty (default): the Graph root of the cloud this template is deployed to.')
param graphBaseUrl string = ''

@description('LOGIN_AUTHORITY: Entra sign-in authority that serves federation metadata. Empty (default): the cloud\'s own (environment().authentication.loginEndpoint).')
param loginAuthority string = ''

// ------------------------------------------------------------------ cloud ----
// AZURE_CLOUD follows the cloud this template is deployed to: environment().name is AzureCloud,
// AzureUSGovernment or AzureChinaCloud (Bicep deployment functions, "environment",
// learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-deployment). The sign-in
// authority is environment().authentication.loginEndpoint; storage and Service Bus endpoints are the
// resources' own (primaryEndpoints, serviceBusEndpoint), so they carry the cloud's suffixes. The Graph
// root is not in environment() (its `graph` is the retired Azure AD Graph, graph.windows.net), so it
// comes from cloudGraphRoots (learn.microsoft.com/graph/deployments); infra/cloud_test.go checks this
// table against handler/domain.Clouds. docs/deploy.md, "Clouds".
var azureCloud = {
  AzureCloud: 'AzurePublic'
  AzureUSGovernment: 'AzureUSGovernment'
  AzureChinaCloud: 'AzureChina'
}[environment().name]
var cloudGraphRoots = {
  AzurePublic: 'https://graph.microsoft.com'
  AzureUSGovernment: 'https://graph.microsoft.us'
  AzureChina: 'https://microsoftgraph.chinacloudapi.cn'
}
var cloudLoginEndpoint = environment().authentication.loginEndpoint
var cloudLoginAuthority = endsWith(cloudLoginEndpoint, '/') ? substring(cloudLoginEndpoint, 0, length(cloudLoginEndpoint) - 1) : cloudLoginEndpoint

@description('APP_DISPLAY_NAME: display name of the enterprise app provision creates.')
param appDisplayName string = 'Aircall SAML SSO'

@description('APP_ID: when set, must agree with the app provision pinned (an existing app is adopted with `handler provision --adopt`); empty: the pinned app.')
param appId string = ''

@description('APP_ASSIGN: object ids of the users or security groups to assign to the app.')
param appAssign array = []

@description('CLAIM_SOURCE: source of the emailaddress claim.')
@allowed([
  'userprincipalname'
  'mail'
])
param claimSource string = 'userprincipalname'

@description('CERT_LIFETIME_DAYS: lifetime of a new SAML signing certificate.')
@minValue(1)
@maxValue(1095)
param certLifetimeDays int = 1095

@description('CERT_ROTATE_BEFORE_DAYS: add a new signing certificate this many days before the active one expires.')
@minValue(1)
@maxValue(365)
param certRotateBeforeDays int = 30

@description('CERT_EXPIRY_WARN_DAYS: days before expiry at which an expiry event is sent, comma-separated.')
param certExpiryWarnDays string = '60,30,7'

@description('BLOB_CONTAINER: container for metadata archives, checkpoints, reports, the outbox and locks.')
param blobContainer string = 'aircall-sso'

@description('SERVICEBUS_QUEUE: queue that receives remediation events.')
param serviceBusQueue string = 'aircall-sso-remediation'

@description('Duplicate detection window of the queue (ISO 8601, at most P7D).')
param duplicateDetectionWindow string = 'P1D'

@description('AUDIT_SCOPE: users the nightly audit checks.')
@allowed([
  'assigned'
  'all'
])
param auditScope string = 'assigned'

@description('AUDIT_TIME_BUDGET: scan time per invocation before it checkpoints (Go duration, below host.json functionTimeout of 10 minutes).')
param auditTimeBudget string = '8m'

@description('AUDIT_SHARDS: parallel shards of a full scan.')
@minValue(1)
@maxValue(64)
param auditShards int = 32

@description('Webhook sources to accept. Each needs a Key Vault secret named webhook-<source> (docs/deploy.md); the others stay empty and are refused.')
@allowed([
  'zendesk'
  'jira'
  'servicenow'
  'generic'
])
param webhookSources array = []

@description('WEBHOOK_DETAIL: what a webhook answer tells its sender: summary (verdict, text, enqueued ids) or full (also object ids, groups and raw attributes); docs/webhooks.md.')
@allowed([
  'summary'
  'full'
])
param webhookDetail string = 'summary'

@description('JIRA_USER_FIELD: Jira field holding the affected user\'s email; empty: the reporter\'s email.')
param jiraUserField string = ''

@description('AIRCALL_API_BASE_URL: Aircall Public API root.')
param aircallApiBaseUrl string = 'https://api.aircall.io'

@description('Turn the Aircall checks on: AIRCALL_API_ID and AIRCALL_API_TOKEN become Key Vault references to the secrets aircall-api-id and aircall-api-token (docs/deploy.md); off, both stay empty.')
param aircallChecks bool = false

@description('LOG_LEVEL of the handler.')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

// ------------------------------------------------------------- platform ----

@description('Network access to Storage, Key Vault and Service Bus (docs/deploy.md, "Network"). public (default): each is reachable from the internet, with Entra ID authentication only (no shared keys, no SAS). private: public network access is disabled on all three, they are reached through private endpoints in a new virtual network the Function App is integrated with, and Service Bus becomes Premium (private endpoints need it).')
@allowed([
  'public'
  'private'
])
param networkAccess string = 'public'

@description('Address space of the virtual network created when networkAccess is private (two /24 subnets are cut from it).')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Most instances the Function App scales out to: Flex Consumption accepts 40 to 1000 (learn.microsoft.com/azure/azure-functions/flex-consumption-how-to, "Set instance limits").')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Flex Consumption instance memory in MB: 2048 or 4096, the values Microsoft.Web/sites@2024-04-01 functionAppConfig.scaleAndConcurrency.instanceMemoryMB accepts (learn.microsoft.com/azure/templates/microsoft.web/sites).')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Grant the Microsoft Graph application permissions to the app identity in this deployment (the deploying identity must be allowed to grant admin consent). false: run infra/grant-graph-permissions.sh as an administrator instead.')
param grantGraphPermissions bool = false

@description('Microsoft Graph application permissions of the app identity by default: reads plus writes on the app it owns, no tier-0 permission (docs/security.md lists each Graph call and its least-privileged permission).')
param graphAppRoles array = [
  'Application.ReadWrite.OwnedBy'
  'Application.Read.All'
  'Policy.Read.All'
  'User.Read.All'
  'GroupMember.Read.All'
]

@description('OPT-IN, default off: also grant graphPrivilegedAppRoles, so HTTP provision applies the claims mapping policy, owner and assignment steps itself instead of an operator. Risk: AppRoleAssignment.ReadWrite.All and Application.ReadWrite.All let whoever runs code as the app grant itself any permission (README, "Permissions"; docs/security.md).')
param grantPrivilegedGraphRoles bool = false

@description('The opt-in permissions grantPrivilegedGraphRoles adds (the operator steps of docs/security.md).')
param graphPrivilegedAppRoles array = [
  'Policy.ReadWrite.ApplicationConfiguration'
  'AppRoleAssignment.ReadWrite.All'
  'Application.ReadWrite.All'
  'Directory.Read.All'
]

@description('APP_OWNER_OBJECT_ID: object id of the identity that must own the Aircall app; empty: the app identity itself (its token oid).')
param appOwnerObjectId string = ''

@description('AIRCALL_SIGN_ON_URL: sign-on URL the My Apps tile opens (SP-initiated sign-in); empty: the tile is hidden.')
param aircallSignOnUrl string = 

@description('Object id of the user or group that creates the webhook secrets (Key Vault Secrets Officer on the vault); empty: none. infra/deploy.sh passes the signed-in user.')
param secretsOfficerPrincipalId string = ''

@description('Principal type of secretsOfficerPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

// ---------------------------------------------------------------- names ----

var suffix = uniqueString(resourceGroup().id, namePrefix)
var compactPrefix = toLower(replace(namePrefix, '-', ''))
var names = {
  functionApp: '${namePrefix}-${suffix}'
  plan: '${namePrefix}-plan-${suffix}'
  storage: '${take(compactPrefix, 11)}${suffix}'
  keyVault: 'kv${take(compactPrefix, 9)}${suffix}'
  serviceBus: '${namePrefix}-sb-${suffix}'
  logAnalytics: '${namePrefix}-logs-${suffix}'
  appInsights: '${namePrefix}-ai-${suffix}'
  vnet: '${namePrefix}-vnet-${suffix}'
  deploymentContainer: 'app-package'
}

// ------------------------------------------------------------ resources ----

var publicNetworkAccess = networkAccess == 'private' ? 'Disabled' : 'Enabled'

module monitoring './modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    tags: tags
  }
}

module storage './modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: names.storage
    archiveContainerName: blobContainer
    deploymentContainerName: names.deploymentContainer
    publicNetworkAccess: publicNetworkAccess
    tags: tags
  }
}

module serviceBus './modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    namespaceName: names.serviceBus
    queueName: serviceBusQueue
    duplicateDetectionWindow: duplicateDetectionWindow
    publicNetworkAccess: publicNetworkAccess
    tags: tags
  }
}

module keyVault './modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: names.keyVault
    secretsOfficerPrincipalId: secretsOfficerPrincipalId
    secretsOfficerPrincipalType: secretsOfficerPrincipalType
    publicNetworkAccess: publicNetworkAccess
    tags: tags
  }
}

module network './modules/network.bicep' = if (networkAccess == 'private') {
  name: 'network'
  params: {
    location: location
    name: names.vnet
    addressPrefix: vnetAddressPrefix
    storageAccountId: storage.outputs.id
    keyVaultId: keyVault.outputs.id
    serviceBusNamespaceId: serviceBus.outputs.id
    serviceBusFqdn: serviceBus.outputs.fullyQualifiedNamespace
    tags: tags
  }
}

module functionApp './modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    planName: names.plan
    name: names.functionApp
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    subnetId: networkAccess == 'private' ? network!.outputs.appSubnetId : ''
    tags: tags
  }
}

module roles './modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    serviceBusQueueName: serviceBus.outputs.queueName
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module graphPermissions './modules/graph-permissions.bicep' = if (grantGraphPermissions) {
  name: 'graph-permissions'
  params: {
    principalId: functionApp.outputs.principalId
    appRoles: grantPrivilegedGraphRoles ? concat(graphAppRoles, graphPrivilegedAppRoles) : graphAppRoles
  }
}

// Key Vault reference of the webhook secret of one source, or '' (source refused).
var secretUriBase = '${keyVault.outputs.vaultUri}secrets/webhook-'
var kvSecretBase = '${keyVault.outputs.vaultUri}secrets/'

// BEGIN APP SETTINGS
// Every app setting of the Function App, one `NAME: value` per line: this
// object is the whole set (appsettings.bicep replaces the app's settings with
// it) and infra/infra_test.go checks its names against handler/config.Settings,
// local.settings.sample.json and the README. FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION are not app settings on Flex Consumption (see
// modules/functionapp.bicep: functionAppConfig.runtime is custom 1.0).
var appSettings = {
  // Functions host: identity-based host storage (service URIs, not __accountName, which builds
  // public-cloud host names and so fails in sovereign clouds) and Application Insights with Entra auth.
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  // handler/config settings with Origin "app".
  ENTRA_TENANT_ID: entraTenantId
  AZURE_CLOUD: azureCloud
  GRAPH_BASE_URL: empty(graphBaseUrl) ? cloudGraphRoots[azureCloud] : graphBaseUrl
  LOGIN_AUTHORITY: empty(loginAuthority) ? cloudLoginAuthority : loginAuthority
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'
  APP_DISPLAY_NAME: appDisplayName
  APP_ID: appId
  APP_OWNER_OBJECT_ID: appOwnerObjectId
  AIRCALL_SIGN_ON_URL: aircallSignOnUrl
  GRAPH_PRIVILEGED: grantPrivilegedGraphRoles ? 'true' : 'false'
  APP_ASSIGN: join(appAssign, ',')
  CLAIM_SOURCE: claimSource
  CERT_LIFETIME_DAYS: string(certLifetimeDays)
  CERT_ROTATE_BEFORE_DAYS: string(certRotateBeforeDays)
  CERT_EXPIRY_WARN_DAYS: certExpiryWarnDays
  BLOB_SERVICE_URL: storage.outputs.blobEndpoint
  BLOB_CONTAINER: blobContainer
  SERVICEBUS_NAMESPACE: serviceBus.outputs.fullyQualifiedNamespace
  SERVICEBUS_QUEUE: serviceBusQueue
  AUDIT_SCOPE: auditScope
  AUDIT_TIME_BUDGET: auditTimeBudget
  AUDIT_SHARDS: string(auditShards)
  WEBHOOK_SECRET_ZENDESK: contains(webhookSources, 'zendesk') ? '@Microsoft.KeyVault(SecretUri=${secretUriBase}zendesk/)' : ''
  WEBHOOK_SECRET_JIRA: contains(webhookSources, 'jira') ? '@Microsoft.KeyVault(SecretUri=${secretUriBase}jira/)' : ''
  WEBHOOK_SECRET_SERVICENOW: contains(webhookSources, 'servicenow') ? '@Microsoft.KeyVault(SecretUri=${secretUriBase}servicenow/)' : ''
  WEBHOOK_SECRET_GENERIC: contains(webhookSources, 'generic') ? '@Microsoft.KeyVault(SecretUri=${secretUriBase}generic/)' : ''
  WEBHOOK_DETAIL: webhookDetail
  JIRA_USER_FIELD: jiraUserField
  AIRCALL_API_BASE_URL: aircallApiBaseUrl
  AIRCALL_API_ID: aircallChecks ? '@Microsoft.KeyVault(SecretUri=${kvSecretBase}aircall-api-id/)' : ''
  AIRCALL_API_TOKEN: aircallChecks ? '@Microsoft.KeyVault(SecretUri=${kvSecretBase}aircall-api-token/)' : ''
  LOG_LEVEL: logLevel
}
// END APP SETTINGS

module settings './modules/appsettings.bicep' = {
  name: 'appsettings'
  params: {
    functionAppName: functionApp.outputs.name
    settings: appSettings
  }
  dependsOn: [
    roles
  ]
}

// -------------------------------------------------------------- outputs ----

@description('Function App name (deploy.yml and infra/deploy.sh read it).')
output functionAppName string = functionApp.outputs.name

@description('Default host name of the Function App.')
output defaultHostName string = functionApp.outputs.defaultHostName

@description('Link for Aircall: the archived federation metadata summary (append the metadata function key as code=...).')
output metadataUrl string = 'https://${functionApp.outputs.defaultHostName}/api/metadata'

@description('The Federation Metadata XML Aircall asks for, served by the app (append the metadata function key as code=...).')
output metadataXmlUrl string = 'https://${functionApp.outputs.defaultHostName}/api/metadata?format=xml'

@description('Where Entra serves the Aircall app\'s federation metadata; {appId} is the app\'s appId.')
output federationMetadataUrlPattern string = '${loginAuthority}/${entraTenantId}/federationmetadata/2007-06/federationmetadata.xml?appid={appId}'

@description('Object id of the app\'s managed identity (infra/grant-graph-permissions.sh takes it).')
output principalId string = functionApp.outputs.principalId

@description('Key Vault that holds the webhook secrets (webhook-<source>).')
output keyVaultName string = keyVault.outputs.name

@description('Storage account of the archive.')
output storageAccountName string = storage.outputs.name

@description('Service Bus namespace of the remediation queue.')
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace

@description('Whether this deployment granted the Microsoft Graph permissions.')
output graphPermissionsGranted bool = grantGraphPermissions
