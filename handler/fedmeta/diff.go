package fedmeta

import (
	"fmt"
	"sort"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// EndpointChange is one binding whose URL changed, appeared or disappeared.
type EndpointChange struct {
	// Kind is "SingleSignOnService" or "SingleLogoutService".
	Kind    string `json:"kind"`
	Binding string `json:"binding"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
}

// Diff is what changed between two versions of the metadata.
type Diff struct {
	// DocumentChanged is set when the documents' digests differ.
	DocumentChanged bool `json:"documentChanged"`
	// EntityIDBefore and EntityIDAfter are set when the entityID changed.
	EntityIDBefore string `json:"entityIdBefore,omitempty"`
	EntityIDAfter  string `json:"entityIdAfter,omitempty"`
	// Added and Removed list signing certificates by thumbprint.
	Added   []domain.CertificateFacts `json:"added,omitempty"`
	Removed []domain.CertificateFacts `json:"removed,omitempty"`
	// SignerBefore and SignerAfter are set when a different certificate signs
	// the document: in Entra, the app's active certificate changed.
	SignerBefore string           `json:"signerBefore,omitempty"`
	SignerAfter  string           `json:"signerAfter,omitempty"`
	Endpoints    []EndpointChange `json:"endpoints,omitempty"`
}

// Compare returns the differences from before to after.
func Compare(before, after domain.MetadataSnapshot) Diff {
	d := Diff{DocumentChanged: before.SHA256 != after.SHA256}
	if before.EntityID != after.EntityID {
		d.EntityIDBefore, d.EntityIDAfter = before.EntityID, after.EntityID
	}
	in := func(list []domain.CertificateFacts, tp string) bool {
		for _, c := range list {
			if c.Thumbprint == tp {
				return true
			}
		}
		return false
	}
	for _, c := range after.Certificates {
		if !in(before.Certificates, c.Thumbprint) {
			d.Added = append(d.Added, c)
		}
	}
	for _, c := range before.Certificates {
		if !in(after.Certificates, c.Thumbprint) {
			d.Removed = append(d.Removed, c)
		}
	}
	if sb, sa := signerOf(before), signerOf(after); sb != sa {
		d.SignerBefore, d.SignerAfter = sb, sa
	}
	d.Endpoints = append(endpointChanges("SingleSignOnService", before.SingleSignOnURLs, after.SingleSignOnURLs),
		endpointChanges("SingleLogoutService", before.SingleLogoutURLs, after.SingleLogoutURLs)...)
	return d
}

// CertificatesChanged reports whether the set of signing certificates or the
// certificate that signs the document changed.
func (d Diff) CertificatesChanged() bool {
	return len(d.Added) > 0 || len(d.Removed) > 0 || d.SignerBefore != d.SignerAfter
}

// Empty reports whether nothing Aircall relies on changed.
func (d Diff) Empty() bool {
	return !d.CertificatesChanged() && len(d.Endpoints) == 0 && d.EntityIDBefore == d.EntityIDAfter
}

// String renders the diff for a person, one change per line.
func (d Diff) String() string {
	if d.Empty() {
		if d.DocumentChanged {
			return "the document changed, but not its entityID, endpoints or signing certificates"
		}
		return "no change"
	}
	var lines []string
	if d.EntityIDBefore != d.EntityIDAfter {
		lines = append(lines, fmt.Sprintf("entityID: %s → %s", d.EntityIDBefore, d.EntityIDAfter))
	}
	for _, c := range d.Added {
		lines = append(lines, fmt.Sprintf("+ certificate %s (%s, valid %s to %s)", c.Thumbprint, c.Subject,
			c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02")))
	}
	for _, c := range d.Removed {
		lines = append(lines, fmt.Sprintf("- certificate %s (%s, valid until %s)", c.Thumbprint, c.Subject, c.NotAfter.Format("2006-01-02")))
	}
	if d.SignerBefore != d.SignerAfter {
		lines = append(lines, fmt.Sprintf("signing certificate in use: %s → %s", orNone(d.SignerBefore), orNone(d.SignerAfter)))
	}
	for _, e := range d.Endpoints {
		lines = append(lines, fmt.Sprintf("%s %s: %s → %s", e.Kind, e.Binding, orNone(e.Before), orNone(e.After)))
	}
	return strings.Join(lines, "\n")
}

func signerOf(s domain.MetadataSnapshot) string {
	for _, c := range s.Certificates {
		if c.SignsDocument {
			return c.Thumbprint
		}
	}
	return ""
}

func endpointChanges(kind string, before, after map[string]string) []EndpointChange {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []EndpointChange
	for k := range keys {
		if before[k] != after[k] {
			out = append(out, EndpointChange{Kind: kind, Binding: k, Before: before[k], After: after[k]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Binding < out[j].Binding })
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
