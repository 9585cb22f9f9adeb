package domain

import (
	"context"
	"strings"
	"time"
)

// AppRef names the Aircall enterprise application whose federation metadata
// is archived: the tenant that holds it and its appId (client id).
type AppRef struct {
	// Tenant is the directory (tenant) id, a GUID in lower case.
	Tenant string `json:"tenant"`
	// AppID is the application's appId (client id), a GUID.
	AppID string `json:"appId"`
}

// Validate reports whether both parts are present and safe to use in a
// storage key (letters, digits, '-' and '.').
func (r AppRef) Validate() error {
	for _, p := range []struct{ field, v string }{{"tenant", r.Tenant}, {"appId", r.AppID}} {
		if p.v == "" {
			return FieldError(p.field, "is required")
		}
		if strings.Trim(p.v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != "" || strings.Contains(p.v, "..") {
			return FieldError(p.field, "must be a GUID or a domain name, got %q", p.v)
		}
	}
	return nil
}

func (r AppRef) String() string { return r.Tenant + "/" + r.AppID }

// CertificateFacts are the facts of one signing certificate listed in the
// federation metadata, as the Entra portal shows them.
type CertificateFacts struct {
	// Thumbprint is the SHA-1 of the DER certificate in upper-case hex, the
	// form of the portal's "Thumbprint" field.
	Thumbprint string `json:"thumbprint"`
	// SHA256 is the SHA-256 of the DER certificate in upper-case hex.
	SHA256 string `json:"sha256"`
	// Subject is the certificate's subject, e.g. "CN=Microsoft Azure Federated SSO Certificate".
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	// SignsDocument is set on the certificate whose key signed the metadata
	// document itself: in Entra, the app's active signing certificate.
	SignsDocument bool `json:"signsDocument,omitempty"`
}

// MetadataSnapshot is one archived version of the app's federation metadata
// document: where it is stored and the facts validated from it. The document
// bytes themselves are read with SnapshotStore.Document.
type MetadataSnapshot struct {
	App AppRef `json:"app"`
	// Name identifies the stored document within the app's archive, e.g.
	// "20260101T020000Z-3f2a9c01d4e5b6a7.xml"; set by the store.
	Name string `json:"name,omitempty"`
	// Digest identifies the version: the lower-case hex SHA-256 of what
	// matters (VersionDigest: entityID, signing certificates, endpoints).
	// Two downloads that differ only in their ID or signature have the same
	// Digest and are one version.
	Digest string `json:"digest,omitempty"`
	// SHA256 is the lower-case hex SHA-256 of the document bytes as fetched
	// (the first download of this version).
	SHA256 string `json:"sha256"`
	// Size is the document's length in bytes.
	Size int64 `json:"size"`
	// FetchedAt is when the document was first fetched in this form.
	FetchedAt time.Time `json:"fetchedAt"`
	// SourceURL is the URL the document was fetched from (no secret in it).
	SourceURL string `json:"sourceUrl,omitempty"`
	// EntityID is the IdP's entityID, https://sts.windows.net/{tenant}/.
	EntityID string `json:"entityId"`
	// SingleSignOnURLs maps each SingleSignOnService binding to its Location.
	SingleSignOnURLs map[string]string `json:"singleSignOnUrls"`
	// SingleLogoutURLs maps each SingleLogoutService binding to its Location.
	SingleLogoutURLs map[string]string `json:"singleLogoutUrls,omitempty"`
	// Certificates are the distinct signing certificates of the
	// IDPSSODescriptor, in document order.
	Certificates []CertificateFacts `json:"certificates"`
}

// Thumbprints returns the certificates' thumbprints in document order.
func (s MetadataSnapshot) Thumbprints() []string {
	out := make([]string, len(s.Certificates))
	for i, c := range s.Certificates {
		out[i] = c.Thumbprint
	}
	return out
}

// LatestMetadata is the app's "latest" pointer: the snapshot now in effect
// and the expiry alerts already sent for its certificates.
type LatestMetadata struct {
	Snapshot MetadataSnapshot `json:"snapshot"`
	// ExpiryAlerts maps a certificate thumbprint to the smallest expiry
	// threshold, in days, already alerted for it (0: the expiry itself), so
	// each threshold alerts once.
	ExpiryAlerts map[string]int `json:"expiryAlerts,omitempty"`
}

// SnapshotStore archives federation metadata documents, each distinct
// version (VersionDigest) once, and keeps a "latest" pointer per app with optimistic
// concurrency. Only the archive job writes; the metadata function reads.
// Adapters return EUNAVAILABLE when storage is unreachable and EINVALID for
// an AppRef that cannot be a storage key.
type SnapshotStore interface {
	// Latest returns the app's latest pointer and its version (ETag), or
	// ENOTFOUND when nothing was archived yet.
	Latest(ctx context.Context, app AppRef) (LatestMetadata, string, error)
	// SetLatest replaces the pointer only if it is still at version etag
	// ("" : only if there is none yet) and returns the new version; a lost
	// race is ECONFLICT.
	SetLatest(ctx context.Context, app AppRef, latest LatestMetadata, etag string) (string, error)
	// Put stores doc unless a version with the same VersionDigest is
	// already archived for snap.App; it returns the stored snapshot (with
	// Name and Digest set; the earlier one when it existed) and whether it
	// wrote. It never overwrites a stored document. snap.SHA256 must be the
	// SHA-256 of doc.
	Put(ctx context.Context, snap MetadataSnapshot, doc []byte) (MetadataSnapshot, bool, error)
	// History lists the app's archived snapshots, newest fetch first (by
	// FetchedAt, never by name).
	History(ctx context.Context, app AppRef) ([]MetadataSnapshot, error)
	// Document returns the bytes of the snapshot called name, or ENOTFOUND.
	Document(ctx context.Context, app AppRef, name string) ([]byte, error)
}

// FindingMetadataChanged reports a federation metadata change Aircall relies
// on other than the signing certificates: the entityID or the SingleSignOn /
// SingleLogout URLs. Declared here, beside the other metadata types.
const FindingMetadataChanged FindingKind = "metadata.changed"
