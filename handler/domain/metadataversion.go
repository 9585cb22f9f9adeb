package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// VersionDigest is the identity of a metadata version: the lower-case hex
// SHA-256 of a canonical form of what Aircall relies on — the entityID, the
// signing certificates (by their SHA-256, as a set), the certificate that
// signs the document and the SingleSignOn/SingleLogout endpoints. Entra may
// serve a fresh ID and signature on every download (docs/metadata.md,
// "Versions"); those are not part of it, so such downloads are one version.
// It is computed from the snapshot's facts, so snapshots archived before
// the Digest field existed get the same identity.
func (s MetadataSnapshot) VersionDigest() string {
	type endpoint struct{ Binding, Location string }
	endpoints := func(m map[string]string) []endpoint {
		out := make([]endpoint, 0, len(m))
		for b, l := range m {
			out = append(out, endpoint{b, l})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Binding < out[j].Binding })
		return out
	}
	canon := struct {
		EntityID string
		Certs    []string
		Signer   string
		SSO, SLO []endpoint
	}{EntityID: s.EntityID, Certs: []string{}, SSO: endpoints(s.SingleSignOnURLs), SLO: endpoints(s.SingleLogoutURLs)}
	for _, c := range s.Certificates {
		id := c.SHA256
		if id == "" {
			id = "sha1:" + c.Thumbprint
		}
		canon.Certs = append(canon.Certs, id)
		if c.SignsDocument {
			canon.Signer = id
		}
	}
	sort.Strings(canon.Certs)
	b, _ := json.Marshal(canon) // strings, slices and structs only: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
