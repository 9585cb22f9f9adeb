package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AircallIndex finds the users of an Aircall company by email, compared the
// way Aircall matches the emailaddress claim (domain.SameAddress: trimmed,
// without regard to letter case). It holds the company in memory: a few
// dozen bytes a user, independent of the size of the Entra tenant
// (docs/audit.md, "Aircall's side"). Safe for concurrent reads.
type AircallIndex struct {
	users   []domain.AircallUser
	byEmail map[string]int32
}

// NewAircallIndex indexes users (the slice is kept, not copied). When two
// users share an email the first one wins.
func NewAircallIndex(users []domain.AircallUser) *AircallIndex {
	x := &AircallIndex{users: users, byEmail: make(map[string]int32, len(users))}
	for i := range users {
		k := addrKey(users[i].Email)
		if _, dup := x.byEmail[k]; !dup && k != "" {
			x.byEmail[k] = int32(i)
		}
	}
	return x
}

func addrKey(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// Len is the number of users indexed; users are numbered 0..Len-1.
func (x *AircallIndex) Len() int { return len(x.users) }

// User returns user i.
func (x *AircallIndex) User(i int) *domain.AircallUser { return &x.users[i] }

// Find returns the number of the user whose email is addr.
func (x *AircallIndex) Find(addr string) (int, bool) {
	k := addrKey(addr)
	if k == "" {
		return 0, false
	}
	i, ok := x.byEmail[k]
	return int(i), ok
}

// AircallMatch is what Aircall holds for one Entra user.
type AircallMatch struct {
	// Claim is the number of the Aircall user whose email is the claim
	// value, -1 when none.
	Claim int
	// Other is the number of an Aircall user whose email is another of the
	// person's addresses (mail, an SMTP proxy address, the UPN), -1 when
	// none; Address is that address and Via names the attribute.
	Other   int
	Address string
	Via     string
}

// MatchAircall looks the person's addresses up in x: the claim value first,
// then the mail, the SMTP proxy addresses and the UPN.
func MatchAircall(u domain.User, claim string, x *AircallIndex) AircallMatch {
	m := AircallMatch{Claim: -1, Other: -1}
	if i, ok := x.Find(claim); ok {
		m.Claim = i
		return m
	}
	try := func(addr, via string) bool {
		if addr == "" || domain.SameAddress(addr, claim) {
			return false
		}
		if i, ok := x.Find(addr); ok {
			m.Other, m.Address, m.Via = i, strings.TrimSpace(addr), via
			return true
		}
		return false
	}
	if try(u.Mail, "mail") {
		return m
	}
	for _, a := range u.SMTPAddresses() {
		if try(a, "proxyAddresses") {
			return m
		}
	}
	try(u.UserPrincipalName, "userPrincipalName")
	return m
}

// AircallApplies reports whether the Aircall checks concern the user: an
// enabled account that may sign in (assigned directly or through a direct
// group), with a claim value to send. Everyone else — and everyone when the
// app was not found (assignment unknown) — is refused by Entra ID before
// Aircall is reached, which the other rules report.
func AircallApplies(u domain.User, a domain.AssignmentKind, claim string) bool {
	return !u.Removed && u.AccountEnabled && (a == domain.AssignmentDirect || a == domain.AssignmentGroup) && strings.TrimSpace(claim) != ""
}

// Aircall returns the person's Aircall finding given m (MatchAircall): none
// when an Aircall user has the claim value; aircall.email-differs when one
// has another of the person's addresses (the seed's "Authentication has
// failed"); aircall.user-missing otherwise. Call it only when
// AircallApplies.
func Aircall(u domain.User, src domain.ClaimSource, claim string, m AircallMatch, x *AircallIndex, now time.Time) []domain.Finding {
	if m.Claim >= 0 {
		return nil
	}
	upn := strings.TrimSpace(u.UserPrincipalName)
	user := u
	f := domain.Finding{Key: u.ID, Subject: upn, User: &user, EmailClaim: claim, ObservedAt: now}
	if f.Key == "" {
		f.Key = "upn:" + strings.ToLower(upn)
	}
	if m.Other < 0 {
		f.Kind, f.Severity = domain.FindingAircallUserMissing, domain.SeverityWarning
		f.State = "claim=" + addrKey(claim)
		f.Summary = fmt.Sprintf("No Aircall user has the email %q that Entra ID sends for %s in the emailaddress claim, nor any other address of theirs: Aircall refuses the sign-in with SSO.", claim, upn)
		f.Remedy = fmt.Sprintf("If the person needs Aircall, create their Aircall user with the email %s (Aircall Dashboard → Users); if not, remove their assignment to the Aircall app in Entra ID.", claim)
		return []domain.Finding{f}
	}
	au := x.User(m.Other)
	f.Kind, f.Severity = domain.FindingAircallEmailDiffers, domain.SeverityError
	f.State = "claim=" + addrKey(claim) + ";aircall=" + addrKey(au.Email) + ";id=" + strconv.FormatInt(au.ID, 10)
	f.Details = map[string]any{"aircallUserId": au.ID, "aircallEmail": au.Email, "matchedBy": m.Via}
	f.Summary = fmt.Sprintf("Aircall user %d has the email %s (%s's %s), but Entra ID sends %q in the emailaddress claim: Aircall answers \"Authentication has failed\".", au.ID, au.Email, upn, m.Via, claim)
	f.Remedy = fmt.Sprintf("Either change the Aircall user's email to %s (Aircall Dashboard → Users → the user), or make Entra ID send %s: %s", claim, m.Address, claimFix(src, m))
	return []domain.Finding{f}
}

// claimFix says how Entra ID could send the address the Aircall user has.
func claimFix(src domain.ClaimSource, m AircallMatch) string {
	switch {
	case m.Via == "mail" && src != domain.ClaimFromMail:
		return "source the emailaddress claim from user.mail (CLAIM_SOURCE=mail, then handler provision) — for every user of the app."
	case m.Via == "userPrincipalName" && src == domain.ClaimFromMail:
		return "source the emailaddress claim from user.userprincipalname (CLAIM_SOURCE=userprincipalname, then handler provision) — for every user of the app."
	case src == domain.ClaimFromMail:
		return "set the person's mail to " + m.Address + " in Entra ID."
	default:
		return "change the person's userPrincipalName to " + m.Address + " in Entra ID."
	}
}

// AircallNoEntraAccess is the finding for an Aircall user whose email maps
// to no enabled, assigned Entra user: they cannot sign in with SSO. Its Key
// is "aircall-user/" + the Aircall id.
func AircallNoEntraAccess(au domain.AircallUser, now time.Time) domain.Finding {
	id := strconv.FormatInt(au.ID, 10)
	return domain.Finding{
		Kind: domain.FindingAircallNoEntraAccess, Severity: domain.SeverityWarning,
		Key: "aircall-user/" + id, State: "email=" + addrKey(au.Email), Subject: strings.TrimSpace(au.Email),
		Summary: fmt.Sprintf("Aircall user %s (%s) has an email that no enabled Entra ID user assigned to the Aircall app has as claim value, mail or alias: they cannot sign in with SSO.", id, au.Email),
		Remedy:  "If the person works here, assign their Entra ID account to the Aircall app and make the Aircall email equal the claim value; if they left, remove the Aircall user (it still holds a seat).",
		Details: map[string]any{"aircallUserId": au.ID, "aircallEmail": au.Email, "aircallName": au.Name}, ObservedAt: now,
	}
}
