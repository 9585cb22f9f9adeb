// Package graphsim is a local stand-in for Microsoft Graph (v1.0, plus the
// beta claimsPolicy path) and for the Entra login authority's federation
// metadata and an App Service managed-identity token endpoint, so the real
// msgraph-sdk-go, azcore and azidentity clients can be exercised over the
// wire without a tenant.
//
// It serves one Tenant: applications and service principals (instantiated
// from the non-gallery template), signing certificates (real self-signed
// X.509), claims policies, app role assignments, groups and users. Users
// are generated deterministically from a seed and an index (see
// GenerateTenant and Mix), so a 1,000,000-user tenant costs only what tests
// change. On demand from a test it simulates replication delay, the
// identifier-URI policy, throttling by resource units, injected 429/503
// answers, connection resets and latency. Each endpoint follows the
// Microsoft Learn page named beside it below; where Microsoft's behaviour is
// not documented the choice is marked *unverified* in the doc comments. Why
// the project tests against simulators is in docs/architecture.md.
//
// Graph errors use {"error":{"code","message","innerError":{…}}}. Every
// list pages with "@odata.nextLink" and an opaque $skiptoken (paging.go);
// /users takes $filter, $select, $top, $count and $expand=memberOf[($select=…)]
// with Graph's limits (20 expanded objects, no nextLink for them, pages of
// at most 100 users).
//
// Endpoints (the route table; TestDocListsEveryRoute checks this list, and
// `go test ./devenv/graphsim -run TestDocListsEveryRoute -update` rewrites it):
//
//	POST   /v1.0/applicationTemplates/{id}/instantiate (1 RU, write)
//	       learn.microsoft.com/graph/api/applicationtemplate-instantiate
//	GET    /v1.0/applications (2 RU)
//	       learn.microsoft.com/graph/api/application-list
//	GET    /v1.0/applications/{id} (1 RU)
//	       learn.microsoft.com/graph/api/application-get
//	PATCH  /v1.0/applications/{id} (1 RU, write)
//	       learn.microsoft.com/graph/api/application-update
//	GET    /v1.0/applications(appId='{appId}') (1 RU)
//	       learn.microsoft.com/graph/api/application-get
//	PATCH  /v1.0/applications(appId='{appId}') (1 RU, write)
//	       learn.microsoft.com/graph/api/application-update
//	GET    /v1.0/servicePrincipals (1 RU)
//	       learn.microsoft.com/graph/api/serviceprincipal-list
//	GET    /v1.0/servicePrincipals/{id} (1 RU)
//	       learn.microsoft.com/graph/api/serviceprincipal-get
//	PATCH  /v1.0/servicePrincipals/{id} (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-update
//	GET    /v1.0/servicePrincipals(appId='{appId}') (1 RU)
//	       learn.microsoft.com/graph/api/serviceprincipal-get
//	PATCH  /v1.0/servicePrincipals(appId='{appId}') (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-update
//	POST   /v1.0/servicePrincipals/{id}/addTokenSigningCertificate (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate
//	GET    /v1.0/servicePrincipals/{id}/claimsMappingPolicies (1 RU)
//	       learn.microsoft.com/graph/api/serviceprincipal-list-claimsmappingpolicies
//	POST   /v1.0/servicePrincipals/{id}/claimsMappingPolicies/$ref (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-post-claimsmappingpolicies
//	DELETE /v1.0/servicePrincipals/{id}/claimsMappingPolicies/{pid}/$ref (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-delete-claimsmappingpolicies
//	GET    /beta/servicePrincipals/{id}/claimsPolicy (1 RU)
//	       learn.microsoft.com/graph/api/customclaimspolicy-get?view=graph-rest-beta
//	PUT    /beta/servicePrincipals/{id}/claimsPolicy (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-put-claimspolicy?view=graph-rest-beta
//	PATCH  /beta/servicePrincipals/{id}/claimsPolicy (1 RU, write)
//	       learn.microsoft.com/graph/api/customclaimspolicy-update?view=graph-rest-beta
//	GET    /v1.0/applications/{id}/owners (1 RU)
//	       learn.microsoft.com/graph/api/application-list-owners
//	POST   /v1.0/applications/{id}/owners/$ref (1 RU, write)
//	       learn.microsoft.com/graph/api/application-post-owners
//	GET    /v1.0/servicePrincipals/{id}/owners (1 RU)
//	       learn.microsoft.com/graph/api/serviceprincipal-list-owners
//	POST   /v1.0/servicePrincipals/{id}/owners/$ref (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-post-owners
//	GET    /v1.0/servicePrincipals/{id}/appRoleAssignedTo (1 RU)
//	       learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto
//	POST   /v1.0/servicePrincipals/{id}/appRoleAssignedTo (1 RU, write)
//	       learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
//	GET    /v1.0/policies/claimsMappingPolicies (1 RU)
//	       learn.microsoft.com/graph/api/claimsmappingpolicy-list
//	POST   /v1.0/policies/claimsMappingPolicies (1 RU, write)
//	       learn.microsoft.com/graph/api/claimsmappingpolicy-post-claimsmappingpolicies
//	GET    /v1.0/policies/claimsMappingPolicies/{id} (1 RU)
//	       learn.microsoft.com/graph/api/claimsmappingpolicy-get
//	DELETE /v1.0/policies/claimsMappingPolicies/{id} (1 RU, write)
//	       learn.microsoft.com/graph/api/claimsmappingpolicy-delete
//	GET    /v1.0/policies/defaultAppManagementPolicy (1 RU)
//	       learn.microsoft.com/graph/api/tenantappmanagementpolicy-get
//	GET    /v1.0/users (2 RU)
//	       learn.microsoft.com/graph/api/user-list
//	GET    /v1.0/users/{id} (1 RU)
//	       learn.microsoft.com/graph/api/user-get
//	GET    /v1.0/users/{id}/memberOf (2 RU)
//	       learn.microsoft.com/graph/api/user-list-memberof
//	GET    /v1.0/users/delta (1 RU)
//	       learn.microsoft.com/graph/api/user-delta
//	GET    /v1.0/groups/{id} (1 RU)
//	       learn.microsoft.com/graph/api/group-get
//	GET    /v1.0/groups/{id}/members (3 RU)
//	       learn.microsoft.com/graph/api/group-list-members
//	GET    /v1.0/groups/{id}/members/microsoft.graph.user (3 RU)
//	       learn.microsoft.com/graph/api/group-list-members
//	GET    /v1.0/groups/delta (1 RU)
//	       learn.microsoft.com/graph/api/group-delta
//	GET    /msi/token
//	       learn.microsoft.com/azure/app-service/overview-managed-identity
//	GET    /{tenant}/federationmetadata/2007-06/federationmetadata.xml
//	       learn.microsoft.com/entra/identity-platform/federation-metadata
//
// Costs are the base costs of Microsoft's throttling table for identity and
// access; every read is adjusted by the table's other factors ($select −1,
// $expand +1, $top under 20 −1, never below 1). Those factors, the query
// shapes Graph refuses and the identifier-URI exemptions are one row each
// in rules.go, with the page each follows.
//
// Knobs on Tenant: SetPolicyMode, SetReplicationDelay, SetLatency,
// SetBudget (resource units per window), InjectFaults (random 429/503/reset
// from a seed), FailNext (the next n matching requests), FailApplicationPatch,
// ExpireDeltaTokens, SetDeltaExpiry, RotateSigningCertificate, and Stats;
// AddMember and RemoveMember change memberships (seen by groups/delta).
//
// Adding an endpoint: add a row to the resource's route list (method,
// pattern, handler, RU cost, Learn page), then run the -update command
// above.
//
// Test and demo code only: the production binary under handler/ must never
// import this package, and nothing here is a security boundary (its token
// signing key is a constant).
//
// Use from a Go test (Start closes the simulator when the test ends; a
// program uses New, Server.Start and Server.Close):
//
//	srv := graphsim.Start(t, graphsim.Options{Seed: 1, Users: 1000, Mix: graphsim.Mix{UPNMismatch: 0.05}})
//	// Graph root (no version): srv.URL() (http, 127.0.0.1) or srv.TLSURL() with srv.TLSClient().
//	// Credentials: srv.Credential(), or azidentity's ManagedIdentityCredential with
//	// IDENTITY_ENDPOINT=srv.IdentityEndpoint() and IDENTITY_HEADER=srv.IdentityHeader().
//	srv.Tenant().SetPolicyMode(graphsim.PolicyDefault)
package graphsim
