package domain

import "strings"

// User is the part of an Entra ID user that decides whether SAML sign-in to
// Aircall works.
type User struct {
	// ID is the directory object id.
	ID string `json:"id"`
	// UserPrincipalName is the sign-in name; guests carry "#EXT#".
	UserPrincipalName string `json:"userPrincipalName"`
	// Mail is the primary SMTP address; empty when unset.
	Mail string `json:"mail,omitempty"`
	// DisplayName is the person's name.
	DisplayName string `json:"displayName,omitempty"`
	// AccountEnabled is false for blocked accounts.
	AccountEnabled bool `json:"accountEnabled"`
	// UserType is "Member" or "Guest".
	UserType string `json:"userType,omitempty"`
	// Removed is set on a delta item that reports the user deleted.
	Removed bool `json:"removed,omitempty"`
	// ProxyAddresses are the user's proxy addresses as Graph lists them
	// ("SMTP:primary@x", "smtp:alias@x", other types), one per line (a
	// string keeps User comparable); read for the Aircall checks and kept
	// out of events and answers (docs/aircall.md).
	ProxyAddresses string `json:"-"`
}

// IsGuest reports whether the user is a B2B guest (UPN carries #EXT#).
func (u User) IsGuest() bool {
	return strings.Contains(strings.ToUpper(u.UserPrincipalName), "#EXT#") || strings.EqualFold(u.UserType, "Guest")
}

// EmailClaim returns the value Aircall receives in the emailaddress claim for
// this user when the claim is sourced from src (empty when the source
// attribute is empty: Entra then omits the claim).
func (u User) EmailClaim(src ClaimSource) string {
	if src == ClaimFromMail {
		return strings.TrimSpace(u.Mail)
	}
	return strings.TrimSpace(u.UserPrincipalName)
}

// SMTPAddresses returns the user's SMTP proxy addresses without their
// "SMTP:"/"smtp:" prefix (the prefix's case marks the primary address;
// other address types are skipped), as the user resource's proxyAddresses
// property documents them (Microsoft Graph, "user resource type").
func (u User) SMTPAddresses() []string {
	var out []string
	for p := range strings.SplitSeq(u.ProxyAddresses, "\n") {
		if len(p) > 5 && strings.EqualFold(p[:5], "smtp:") {
			if a := strings.TrimSpace(p[5:]); a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// SameAddress compares two addresses the way Aircall matches them:
// case-insensitively, ignoring surrounding spaces.
func SameAddress(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// IsGUID reports whether s is a GUID in the 8-4-4-4-12 hex form (object
// ids, app ids, tenant ids).
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
