// Package rules decides, for one Entra ID user, whether SAML sign-in to
// Aircall works and, when it does not, why: the checks of the help article's
// Troubleshooting section (userPrincipalName ≠ mail) and the other reasons a
// user is refused (no mail, a guest's #EXT# UPN sent as the email, a disabled
// account, no assignment, no such user). Each problem is a domain.Finding
// carrying the exact value Aircall receives in the emailaddress claim.
//
// The audit job (every user) and the diagnose job (one user) share these
// rules, so both always agree. The package is pure: it must not do I/O, read
// the clock or the environment, or know where users come from.
package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Context is what the rules need to know besides the user.
type Context struct {
	// Assignment is the user's access to the app. AssignmentUnknown (the zero
	// value) skips the not-assigned rule: pass it only when assignment was not
	// looked up (e.g. an audit of scope "assigned" reads assigned users only).
	Assignment domain.AssignmentKind
	// ClaimSource is where the app's emailaddress claim comes from. Empty
	// means Entra's default for a new SAML app, user.mail.
	ClaimSource domain.ClaimSource
	// Now stamps Finding.ObservedAt.
	Now time.Time
}

func (c Context) source() domain.ClaimSource {
	if c.ClaimSource.Valid() {
		return c.ClaimSource
	}
	return domain.ClaimFromMail
}

// Evaluate returns the user's findings, most fundamental first: disabled,
// not assigned, guest UPN in the claim, mail missing, UPN ≠ mail. It returns
// nil for a user who can sign in, and for a user reported removed by a delta
// query. Every finding carries the user, the email claim value Aircall will
// receive (EmailClaim), Key = the user's object id and a canonical State, so
// the same problem found twice has the same Finding.ID.
//
// Severities: error means sign-in fails now; warning means it fails unless
// the person's Aircall account uses exactly the claim value; info means
// nothing is broken.
func Evaluate(u domain.User, c Context) []domain.Finding {
	if u.Removed {
		return nil
	}
	src := c.source()
	upn := strings.TrimSpace(u.UserPrincipalName)
	mail := strings.TrimSpace(u.Mail)
	claim := u.EmailClaim(src)
	user := u
	mk := func(kind domain.FindingKind, sev domain.Severity, state, summary, remedy string) domain.Finding {
		key := u.ID
		if key == "" {
			key = "upn:" + strings.ToLower(upn)
		}
		return domain.Finding{
			Kind: kind, Severity: sev, Key: key, State: state, Subject: upn,
			Summary: summary, Remedy: remedy, User: &user, EmailClaim: claim, ObservedAt: c.Now,
		}
	}
	var out []domain.Finding

	if !u.AccountEnabled {
		out = append(out, mk(domain.FindingUserDisabled, domain.SeverityError, "enabled=false",
			fmt.Sprintf("The Entra ID account %s is disabled (accountEnabled=false): Entra ID refuses the sign-in before Aircall is reached.", upn),
			"If the person should use Aircall, re-enable the account in Entra ID (Users → the user → Edit properties → Account enabled)."))
	}
	if c.Assignment == domain.AssignmentNone {
		out = append(out, mk(domain.FindingUserNotAssigned, domain.SeverityError, "assignment=none",
			fmt.Sprintf("%s is not assigned to the Aircall app, directly or through a group they are a direct member of: Entra ID refuses the sign-in (AADSTS50105).", upn),
			"Assign the user to the Aircall enterprise app (Users and groups → Add user/group), or add them directly to an assigned group: membership through a nested group does not grant access."))
	}

	guestClaim := strings.Contains(strings.ToUpper(claim), "#EXT#")
	// A guest's #EXT# UPN is never anyone's Aircall email, so a guest whose
	// claim carries their mail is fine even though UPN ≠ mail.
	extUPN := strings.Contains(strings.ToUpper(upn), "#EXT#")
	if guestClaim {
		out = append(out, mk(domain.FindingGuestUPN, domain.SeverityError,
			"claim="+strings.ToLower(claim)+";source="+string(src),
			fmt.Sprintf("%s is a guest: Aircall receives the email claim %q (the #EXT# UPN), which is no one's email address, so no Aircall user matches.", upn, claim),
			"Send guests their mail instead: in the app's Attributes & Claims, give the emailaddress claim a condition for Guests with source user.mail, or invite the person as a member."))
	}

	switch {
	case mail == "" && src == domain.ClaimFromMail:
		out = append(out, mk(domain.FindingMailMissing, domain.SeverityError, "mail=;source="+string(src),
			fmt.Sprintf("%s has no mail attribute and the emailaddress claim comes from user.mail: Entra ID sends no email claim and Aircall cannot match the user (\"Authentication has failed\").", upn),
			"Give the user a mail address (a mailbox, or the mail property), or, as Aircall's help article advises, source the emailaddress claim from user.userprincipalname."))
	case mail == "" && !guestClaim:
		out = append(out, mk(domain.FindingMailMissing, domain.SeverityInfo, "mail=;source="+string(src),
			fmt.Sprintf("%s has no mail attribute; Aircall receives the UPN %q as the email, which works when the person's Aircall user has exactly that email.", upn, claim),
			"Nothing to do unless the person's Aircall email differs from their UPN; then change the Aircall user's email to the UPN."))
	case mail != "" && !extUPN && !domain.SameAddress(upn, mail):
		state := "upn=" + strings.ToLower(upn) + ";mail=" + strings.ToLower(mail) + ";source=" + string(src)
		if src == domain.ClaimFromMail {
			out = append(out, mk(domain.FindingUPNMismatch, domain.SeverityError, state,
				fmt.Sprintf("The UPN %s differs from the mail %s and the emailaddress claim comes from user.mail, so Aircall receives %q: when the person's Aircall email is their UPN, Aircall answers \"Authentication has failed\".", upn, mail, claim),
				"Do what Aircall's help article says: in the app's Attributes & Claims, edit the emailaddress claim and set its source attribute to user.userprincipalname (if a claims mapping policy is attached to the app, change the policy instead: it overrides the portal)."))
		} else {
			out = append(out, mk(domain.FindingUPNMismatch, domain.SeverityWarning, state,
				fmt.Sprintf("%s has a different mail (%s); Aircall receives the UPN %q, so the person's Aircall user must have exactly that email.", upn, mail, claim),
				fmt.Sprintf("If the person's Aircall user was created with %s, change its email in Aircall to %s, or make the UPN and mail equal in Entra ID.", mail, upn)))
		}
	}
	return out
}

// NotFound returns the finding for a user that is not in the tenant: no user
// has key (a UPN or an email address) as userPrincipalName or mail. Its Key
// is "user:" + the lower-cased key.
func NotFound(key string, c Context) domain.Finding {
	key = strings.TrimSpace(key)
	return domain.Finding{
		Kind: domain.FindingUserNotFound, Severity: domain.SeverityError,
		Key: "user:" + strings.ToLower(key), State: "not-found", Subject: key,
		Summary:    fmt.Sprintf("No Entra ID user has userPrincipalName or mail %q, so Entra ID cannot sign this person in to Aircall.", key),
		Remedy:     "Check the address in the ticket. If the person is new, create their Entra ID account (or wait for directory sync) and assign them to the Aircall app.",
		ObservedAt: c.Now,
	}
}

// Blocking reports whether any finding means sign-in fails or will fail
// (severity error or warning).
func Blocking(fs []domain.Finding) bool {
	for _, f := range fs {
		if f.Severity == domain.SeverityError || f.Severity == domain.SeverityWarning {
			return true
		}
	}
	return false
}
