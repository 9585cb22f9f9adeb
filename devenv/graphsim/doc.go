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
// answers, connection resets and latency. Response and error shapes follow
// /work/shared/notes/graph-shapes.md; where Microsoft's behaviour is not
// documented the choice is marked *unverified* in the doc comments.
//
// Endpoints (Graph errors use {"error":{"code","message","innerError":{…}}}):
//
//	POST   /v1.0/applicationTemplates/{id}/instantiate
//	GET    /v1.0/applications, /v1.0/servicePrincipals        ($filter, $select, $top, nextLink)
//	GET    PATCH /v1.0/applications/{id}, /applications(appId='…'), same for servicePrincipals
//	POST   /v1.0/servicePrincipals/{id}/addTokenSigningCertificate
//	GET    POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo
//	GET    /v1.0/servicePrincipals/{id}/claimsMappingPolicies
//	POST   /v1.0/servicePrincipals/{id}/claimsMappingPolicies/$ref, DELETE …/{pid}/$ref
//	GET    POST /v1.0/policies/claimsMappingPolicies, GET DELETE …/{id}
//	GET    /v1.0/policies/defaultAppManagementPolicy
//	GET    PUT PATCH /beta/servicePrincipals/{id}/claimsPolicy
//	GET    /v1.0/users, /v1.0/users/delta, /v1.0/users/{id|upn}, /v1.0/users/{id}/memberOf
//	       (/users takes $expand=memberOf[($select=…)], with Graph's limits: 20 expanded
//	       objects, no nextLink for them, pages of at most 100 users)
//	GET    /v1.0/groups/{id}, /v1.0/groups/{id}/members
//	GET    /msi/token                                          (App Service managed identity)
//	GET    /{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid=…
//
// Knobs on Tenant: SetPolicyMode, SetReplicationDelay, SetLatency,
// SetBudget (resource units per window), InjectFaults (random 429/503/reset
// from a seed), FailNext (the next n matching requests), FailApplicationPatch,
// ExpireDeltaTokens, RotateSigningCertificate, and Stats.
//
// Test and demo code only: the production binary under handler/ must never
// import this package, and nothing here is a security boundary (its token
// signing key is a constant).
//
// Use from a Go test:
//
//	srv := graphsim.New(graphsim.Options{Seed: 1, Users: 1000, Mix: graphsim.Mix{UPNMismatch: 0.05}})
//	if err := srv.Start(); err != nil { t.Fatal(err) }
//	defer srv.Close()
//	// Graph root (no version): srv.URL() (http, 127.0.0.1) or srv.TLSURL() with srv.TLSClient().
//	// Credentials: srv.Credential(), or azidentity's ManagedIdentityCredential with
//	// IDENTITY_ENDPOINT=srv.IdentityEndpoint() and IDENTITY_HEADER=srv.IdentityHeader().
//	srv.Tenant().SetPolicyMode(graphsim.PolicyDefault)
package graphsim
