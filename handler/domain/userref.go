package domain

import "strings"

// Limits on a user reference (a userPrincipalName or an email address) that
// outside input may name.
const (
	// MaxUPNLen is Entra's limit on a userPrincipalName: "the total length
	// must not exceed 113 characters", at most 64 before the "@" and 48
	// after it (learn.microsoft.com/entra/identity/authentication/concept-sspr-policy,
	// "UserPrincipalName policies that apply to all user accounts"). A longer
	// value can only be a mail address.
	MaxUPNLen = 113
	// MaxUserRefLen is the longest user reference accepted: 256, what the
	// Graph lookup accepts (graph/lookup: a value over Graph's 120-character
	// limit on an eq value is looked up with an advanced query,
	// learn.microsoft.com/graph/known-issues), and RFC 5321's 256-octet
	// limit on a mail path. So no value a webhook passes on makes Graph
	// refuse a query for its length.
	MaxUserRefLen = 256
	// MaxUserRefLocal is the most characters before the "@": 64, the UPN
	// limit above and RFC 5321's for a mailbox's local part.
	MaxUserRefLocal = 64
)

// UserRefProblem returns "" when v (trimmed) is a valid UPN or email address
// as Entra stores them, else what is wrong with it, fit to follow a field
// name: at most MaxUserRefLen characters (a UPN at most MaxUPNLen, so a
// longer value is matched as a mail only), ASCII only, exactly one "@", a
// local part of 1–MaxUserRefLocal characters of RFC 5322 atext and dots (no
// leading, trailing or double dot — Entra allows no "." just before the "@"),
// and a domain of two or more DNS labels. Markup (< > " ( ) , ; : [ ] \),
// spaces and control characters are therefore refused.
func UserRefProblem(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "is empty: name the user who cannot sign in (UPN or email)"
	case len(v) > MaxUserRefLen:
		return "is longer than 256 characters: it must be a UPN (at most 113) or an email address"
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f {
			return "contains spaces, control or non-ASCII characters: it must be a UPN or an email address"
		}
	}
	at := strings.IndexByte(v, '@')
	if at < 0 || strings.Count(v, "@") != 1 {
		return "must be a UPN or an email address with exactly one @ (name@domain)"
	}
	local, host := v[:at], v[at+1:]
	if p := localProblem(local); p != "" {
		return p
	}
	return hostProblem(host)
}

func localProblem(local string) string {
	switch {
	case local == "" || len(local) > MaxUserRefLocal:
		return "must have 1 to 64 characters before the @"
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return "must not start or end with a dot or hold two dots in a row before the @"
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return "may hold only letters, digits and . ! # $ % & ' * + - / = ? ^ _ ` { | } ~ before the @"
		}
	}
	return ""
}

func hostProblem(host string) string {
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return "must name a domain after the @ (like contoso.com)"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "must name a domain after the @: labels of 1 to 63 letters, digits or inner hyphens"
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return "must name a domain after the @: letters, digits, hyphens and dots only"
			}
		}
	}
	return ""
}
