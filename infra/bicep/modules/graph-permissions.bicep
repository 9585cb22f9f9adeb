// Grants Microsoft Graph application permissions (app roles) to the Function
// App's managed identity with the Microsoft Graph Bicep extension. Granting an
// application permission IS the admin consent for it: the identity that runs
// the deployment needs a Microsoft Entra role that may grant it (Privileged
// Role Administrator, or Global Administrator), or an app with
// AppRoleAssignment.ReadWrite.All and Application.Read.All. When the deploying
// identity cannot (a CI identity usually should not), deploy with
// grantGraphPermissions=false and have an administrator run
// infra/grant-graph-permissions.sh once (docs/deploy.md).
//
// Public cloud only: the Microsoft Graph Bicep extension is not available in
// sovereign clouds.

extension microsoftGraphV1

@description('Object id of the service principal (the managed identity) to grant the permissions to.')
param principalId string

@description('Microsoft Graph application permission names, such as User.Read.All.')
param appRoles array

// Microsoft Graph's well-known appId; its service principal exists in every tenant.
resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

var graphAppRoles = graph.appRoles

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in appRoles: {
    principalId: principalId
    resourceId: graph.id
    appRoleId: filter(graphAppRoles, r => r.value == role)[0].id
  }
]

output granted array = [for (role, i) in appRoles: {
  permission: role
  appRoleId: grants[i].appRoleId
}]
