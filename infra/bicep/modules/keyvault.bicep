// Key Vault (RBAC mode) for the webhook signing secrets. The app reads them
// through Key Vault references in its app settings; an operator creates the
// secrets (docs/deploy.md). Soft delete and purge protection are on.

@description('Azure region.')
param location string

@description('Vault name: 3-24 letters, digits and hyphens, starting with a letter, unique in Azure.')
@minLength(3)
@maxLength(24)
param name string

@description('Object id of a user or group that may write the webhook secrets (Key Vault Secrets Officer); empty: none.')
param secretsOfficerPrincipalId string = ''

@description('Principal type of secretsOfficerPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

@description('Enabled: reachable from the internet (Entra ID RBAC only). Disabled: through a private endpoint only (main.bicep networkAccess = private; docs/deploy.md, "Network").')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

param tags object = {}

var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

resource officer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, secretsOfficerPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: secretsOfficerPrincipalId
    principalType: secretsOfficerPrincipalType
  }
}

output name string = vault.name
output id string = vault.id
// vaultUri ends with a slash: https://<name>.vault.azure.net/
output vaultUri string = vault.properties.vaultUri
