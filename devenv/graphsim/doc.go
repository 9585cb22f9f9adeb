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
