// Private networking, deployed when main.bicep's networkAccess is 'private'
// (docs/deploy.md, "Network"): a virtual network with a subnet the Function
// App integrates with (delegated to Microsoft.App/environments, which Flex
// Consumption requires: learn.microsoft.com/azure/azure-functions/flex-consumption-plan,
// "Virtual network integration") and a subnet of private endpoints for the
// storage account (blob, queue, table: the host and the app), Key Vault and
// Service Bus, each resolved through its privatelink DNS zone linked to the
// network (learn.microsoft.com/azure/private-link/private-endpoint-dns). The
// services themselves then refuse public network access.

@description('Azure region.')
param location string

@description('Virtual network name.')
param name string

@description('Address space of the virtual network; the first two /24 ranges become the app and endpoint subnets.')
param addressPrefix string

@description('Resource id of the storage account.')
param storageAccountId string

@description('Resource id of the Key Vault.')
param keyVaultId string

@description('Resource id of the Service Bus namespace (Premium: private endpoints need it).')
param serviceBusNamespaceId string

@description('Fully qualified Service Bus namespace, e.g. acme.servicebus.windows.net (its DNS suffix names the private zone).')
param serviceBusFqdn string

param tags object = {}

var storageSuffix = environment().suffixes.storage
var endpoints = [
  {
    name: 'blob'
    target: storageAccountId
    zone: 'privatelink.blob.${storageSuffix}'
  }
  {
    name: 'queue'
    target: storageAccountId
    zone: 'privatelink.queue.${storageSuffix}'
  }
  {
    name: 'table'
    target: storageAccountId
    zone: 'privatelink.table.${storageSuffix}'
  }
  {
    name: 'vault'
    target: keyVaultId
    zone: 'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'
  }
  {
    name: 'namespace'
    target: serviceBusNamespaceId
    zone: 'privatelink.${join(skip(split(serviceBusFqdn, '.'), 1), '.')}'
  }
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for e in endpoints: {
    name: e.zone
    location: 'global'
    tags: tags
  }
]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (e, i) in endpoints: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for e in endpoints: {
    name: '${name}-pe-${e.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'endpoints')
      }
      privateLinkServiceConnections: [
        {
          name: e.name
          properties: {
            privateLinkServiceId: e.target
            groupIds: [
              e.name
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (e, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: e.name
          properties: {
            privateDnsZoneId: zones[i].id
          }
        }
      ]
    }
  }
]

@description('Subnet the Function App integrates with.')
output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'app')
