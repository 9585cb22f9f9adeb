// Service Bus Standard namespace and the remediation queue (SERVICEBUS_QUEUE).
// Events carry a MessageID derived from the finding's identity and state, so
// duplicate detection drops the repeats of one nightly cycle (retries, resumed
// scans, an outbox drained after an outage). Local (SAS) auth is off: the app
// sends with its managed identity.

@description('Azure region.')
param location string

@description('Namespace name: 6-50 letters, digits and hyphens, unique in Azure.')
@minLength(6)
@maxLength(50)
param namespaceName string

@description('Queue that receives remediation events (SERVICEBUS_QUEUE).')
param queueName string

@description('Duplicate detection window (ISO 8601, 20 s to 7 days). P1D covers one nightly run with its retries; a finding still open the next night arrives again.')
param duplicateDetectionWindow string = 'P1D'

@description('Deliveries before a message goes to the dead-letter queue.')
@minValue(1)
@maxValue(2000)
param maxDeliveryCount int = 10

@description('Time an unconsumed event stays in the queue before it is dead-lettered (ISO 8601).')
param messageTimeToLive string = 'P14D'

@description('Enabled: reachable from the internet (Entra ID only, local SAS auth off). Disabled: through a private endpoint only, which needs the Premium tier (learn.microsoft.com/azure/service-bus-messaging/private-link-service); main.bicep networkAccess = private sets both (docs/deploy.md, "Network").')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

param tags object = {}

var tier = publicNetworkAccess == 'Enabled' ? 'Standard' : 'Premium'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: tier
    tier: tier
    capacity: tier == 'Premium' ? 1 : null
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: true
    publicNetworkAccess: publicNetworkAccess
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: messageTimeToLive
    lockDuration: 'PT1M'
    maxSizeInMegabytes: 1024
    requiresSession: false
    enablePartitioning: false
  }
}

output namespaceName string = namespace.name
output id string = namespace.id
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/ (or the sovereign-cloud suffix).
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
output queueName string = queue.name
