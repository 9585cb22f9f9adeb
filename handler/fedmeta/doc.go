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
// What the signature proves: the document is verified against the signing
// certificate it carries, so the check detects a document altered or
// truncated after Entra signed it, not an impostor. Authenticity comes from
// fetching it over TLS from the configured authority (LOGIN_AUTHORITY).
package fedmeta
