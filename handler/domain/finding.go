package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// FindingKind is one reason SAML sign-in to Aircall fails or will fail.
// Each kind is one CloudEvents type on the remediation queue.
type FindingKind string

// The finding kinds. The string is the suffix of the CloudEvents type
// ("com.aircall-entra-sso." + kind + ".v1").
const (
	FindingUPNMismatch     FindingKind = "user.upn-mismatch" // UPN ≠ mail
	FindingMailMissing     FindingKind = "user.mail-missing" // no mail attribute
	FindingGuestUPN        FindingKind = "user.guest-upn"    // #EXT# UPN would be sent as email
	FindingUserDisabled    FindingKind = "user.disabled"     // account blocked
	FindingUserNotAssigned FindingKind = "user.not-assigned" // not assigned, directly or through a direct group
	FindingUserNotFound    FindingKind = "user.not-found"    // no such user in the tenant
	FindingAppDrift        FindingKind = "app.drift"         // app configuration differs from the desired state
	FindingCertExpiring    FindingKind = "cert.expiring"     // signing certificate expires soon
	FindingCertChanged     FindingKind = "cert.changed"      // signing certificate set changed
	FindingMetadataInvalid FindingKind = "metadata.invalid"  // federation metadata unreachable or invalid
	// The Aircall checks (docs/aircall.md): Aircall's side of a sign-in.
	FindingAircallEmailDiffers  FindingKind = "aircall.email-differs"   // the Aircall user has the mail or an alias, not the claim value
	FindingAircallUserMissing   FindingKind = "aircall.user-missing"    // no Aircall user has the claim value
	FindingAircallNoEntraAccess FindingKind = "aircall.no-entra-access" // an Aircall user no enabled, assigned Entra user maps to
)

// Severity says how urgent a finding is.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"   // sign-in fails now
	SeverityWarning Severity = "warning" // sign-in will fail, or may
	SeverityInfo    Severity = "info"    // worth knowing, nothing broken
)

// Finding is one problem found by a job, about one subject (a user, the app,
// a certificate). Key identifies the subject; State identifies the problem's
// current state, so the same problem found twice produces the same event id
// while a changed state produces a new one.
type Finding struct {
	Kind     FindingKind `json:"kind"`
	Severity Severity    `json:"severity"`
	// Key identifies the subject, e.g. a user's object id, an app id, a thumbprint.
	Key string `json:"key"`
	// State is the finding's state in a canonical form, e.g. "upn=a@x;mail=b@x".
	State string `json:"state"`
	// Subject is the CloudEvents subject: human-meaningful, e.g. the UPN, or
	// "ticket/ZD-123/user/ann@contoso.com" when a ticket asked.
	Subject string `json:"subject"`
	// Summary is one sentence for a person.
	Summary string `json:"summary"`
	// Remedy says what to do about it.
	Remedy string `json:"remedy,omitempty"`
	// Ticket is the ticketing system's reference when a webhook asked.
	Ticket string `json:"ticket,omitempty"`
	// User is set for user findings.
	User *User `json:"user,omitempty"`
	// EmailClaim is the value the email claim carries for this user.
	EmailClaim string `json:"emailClaim,omitempty"`
	// Details carries kind-specific facts (drift steps, certificate facts).
	Details map[string]any `json:"details,omitempty"`
	// ObservedAt is when the job saw it.
	ObservedAt time.Time `json:"observedAt"`
}

// ID returns the finding's identity-and-state digest: 32 hex characters of
// SHA-256 over kind, key, state and ticket. It is the event id and the Service
// Bus MessageID, so duplicate detection drops repeats.
func (f Finding) ID() string {
	h := sha256.New()
	for _, s := range []string{string(f.Kind), f.Key, f.State, f.Ticket} {
		h.Write([]byte(strings.TrimSpace(s)))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
