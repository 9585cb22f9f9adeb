// The Function App: a Linux custom handler (one Go binary) on the Flex
// Consumption plan, with a system-assigned managed identity.
//
// On Flex Consumption the worker runtime is not an app setting:
// FUNCTIONS_WORKER_RUNTIME=custom is expressed as functionAppConfig.runtime
// { name: 'custom', version: '1.0' } (the Flex stacks API lists custom 1.0),
// and FUNCTIONS_EXTENSION_VERSION is set by the platform. The app settings
// themselves are applied by appsettings.bicep once the identity has its roles,
// so Key Vault references resolve on first start.

@description('Azure region.')
param location string

@description('Flex Consumption plan name.')
param planName string

@description('Function App name (also the host name: <name>.azurewebsites.net).')
@minLength(2)
@maxLength(60)
param name string

@description('Blob container URL Flex Consumption deploys the app package to (read with the app identity).')
param deploymentContainerUrl string

@description('Most instances the app scales out to (Flex Consumption allows 40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Instance memory in MB (2048 or 4096 with this API version).')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Subnet to integrate with (delegated to Microsoft.App/environments), from modules/network.bicep when networkAccess is private; empty: no virtual network.')
param subnetId string = ''

param tags object = {}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // With private networking every outbound call (host storage, Blob, Key
    // Vault, Service Bus, Graph) leaves through the integrated subnet.
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      // No FTP(S) endpoint at all: the package is deployed to the blob container.
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// Basic-auth publishing (user/password credentials for the SCM site and FTP)
// off: deployments authenticate with Entra ID (az CLI, OIDC in deploy.yml),
// so a leaked publish profile cannot replace the code that holds our Graph
// permissions.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
