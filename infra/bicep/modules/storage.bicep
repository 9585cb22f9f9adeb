// The storage account behind the app: host storage (AzureWebJobsStorage, through
// the managed identity), the Flex Consumption deployment container, and the
// archive container the app writes (BLOB_CONTAINER: metadata snapshots,
// checkpoints, reports, the outbox, locks).
// No shared keys, no anonymous access, TLS 1.2 minimum; blob versioning and
// soft delete keep every overwritten or deleted archive blob recoverable.

@description('Azure region.')
param location string

@description('Storage account name: 3-24 lowercase letters and digits, unique in Azure.')
@minLength(3)
@maxLength(24)
param name string

@description('Container the app stores its archive, checkpoints and outbox in (BLOB_CONTAINER).')
param archiveContainerName string

@description('Container Flex Consumption reads the deployment package from.')
param deploymentContainerName string

@description('Days a deleted or overwritten blob, or a deleted container, can be restored.')
@minValue(1)
@maxValue(365)
param softDeleteDays int = 30

@description('Days a previous blob version is kept. Checkpoints and pointers are rewritten often (a checkpoint per page of a scan), so old versions are deleted after this; current blobs, archived metadata documents included, are never touched.')
@minValue(1)
@maxValue(365)
param keepVersionsDays int = 30

@description('Enabled: reachable from the internet (Entra ID authentication only, no keys). Disabled: through private endpoints only (main.bicep networkAccess = private; docs/deploy.md, "Network").')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

param tags object = {}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Everything (host, deployment, app) authenticates with Entra ID.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
  }
}

resource archiveContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: archiveContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Versioning keeps every overwrite; this bounds what that costs.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-old-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
            }
            actions: {
              version: {
                delete: {
                  daysAfterCreationGreaterThan: keepVersionsDays
                }
              }
            }
          }
        }
        {
          // The webhook delivery log (docs/webhooks.md, "Replays and retries"):
          // the app needs a record for 2 days; this bounds what it keeps.
          name: 'expire-webhook-deliveries'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${archiveContainerName}/deliveries/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: 3
                }
              }
              version: {
                delete: {
                  daysAfterCreationGreaterThan: 1
                }
              }
            }
          }
        }
      ]
    }
  }
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
