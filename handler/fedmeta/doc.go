// Package fedmeta reads Entra ID federation metadata: the document Aircall
// asks for in step 3 of its SAML set-up ("Federation Metadata XML"). It
// parses a document with no DTD or entity processing, validates what Aircall
// relies on (the tenant's entityID, a SAML 2.0 IDPSSODescriptor with a
// SingleSignOnService URL, at least one signing certificate, an XML signature
// that verifies), extracts the facts of each signing certificate and compares
// two versions.
//
// Apart from the HTTP fetcher in fetch.go (size limit, timeouts, retries) it
// does no I/O: it never stores documents or sends events — that is the
// archive job's business — and it never trusts a document it has not fully
// validated.
//
// What the signature proves: a document is accepted only when its signature
// verifies with a certificate Microsoft Graph lists for the app's service
// principal (its active preferredTokenSigningKeyThumbprint or a signing
// keyCredential, Options.Keys) and every signing certificate it lists is
// one of those keyCredentials (trust.go). The certificates the document
// carries are never trusted by themselves, so whoever answers the fetch
// (a wrong LOGIN_AUTHORITY, an intercepting proxy) cannot publish a
// self-consistent forgery; the fetcher also refuses redirects that change
// scheme or host (docs/metadata.md, "Trust").
package fedmeta
