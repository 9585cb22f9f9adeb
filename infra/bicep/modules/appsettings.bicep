// Applies the Function App's app settings: the whole set, as one object built
// in main.bicep (its APP SETTINGS block is what infra/infra_test.go checks
// against handler/config). Deployed after roles.bicep so that Key Vault
// references and the identity-based host storage work on first start.

@description('Function App name.')
param functionAppName string

@description('Every app setting, name to value. Replaces the current set.')
param settings object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appsettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: settings
}
