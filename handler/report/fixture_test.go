package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// fixtureNow is when the realistic page is rendered.
var fixtureNow = time.Date(2026, 11, 30, 2, 14, 0, 0, time.UTC)

// The realistic page's open findings per kind in its latest run.
var fixtureCounts = map[domain.FindingKind]int{
	domain.FindingUPNMismatch:     176,
	domain.FindingMailMissing:     63,
	domain.FindingUserNotAssigned: 37,
	domain.FindingUserDisabled:    12,
	domain.FindingGuestUPN:        9,
}

var fixtureRemedies = map[domain.FindingKind]string{
	domain.FindingUPNMismatch:     "Do what Aircall's help article says: in the app's Attributes & Claims, edit the emailaddress claim and set its source attribute to user.userprincipalname.",
	domain.FindingMailMissing:     "Give the user a mail address (a mailbox, or the mail property), or source the emailaddress claim from user.userprincipalname.",
	domain.FindingUserNotAssigned: "Assign the user to the Aircall enterprise app (Users and groups → Add user/group), or add them directly to an assigned group.",
	domain.FindingUserDisabled:    "If the person should use Aircall, re-enable the account in Entra ID (Users → the user → Edit properties → Account enabled).",
	domain.FindingGuestUPN:        "Send guests their mail instead: give the emailaddress claim a condition for Guests with source user.mail, or invite the person as a member.",
}

var (
	firstNames = strings.Fields("Ada Bruno Chloé Dmitri Elif Farah Gustavo Hana Imre Jonas Kaito Lena Mateo Nadia Olu Priya Quentin Rosa Sven Tomás Uma Viktor Wen Xavier Yara Zoë")
	lastNames  = strings.Fields("Andersen Barros Castillo Dubois Eriksen Fischer García Haddad Ivanova Jansen Kowalski Lindqvist Moreau Nakamura Okafor Petrov Rossi Schmidt Tanaka Urban Vargas Weber Yilmaz Zimmermann")
)

// fixturePerson is the n-th person of the simulated tenant.
func fixturePerson(n int) domain.User {
	f, l := firstNames[n%len(firstNames)], lastNames[(n/len(firstNames)+n)%len(lastNames)]
	local := strings.ToLower(f + "." + l)
	local = strings.NewReplacer("é", "e", "á", "a", "ë", "e", "í", "i").Replace(local)
	return domain.User{
		ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), DisplayName: f + " " + l,
		UserPrincipalName: fmt.Sprintf("%s%d@contoso.com", local, n), Mail: fmt.Sprintf("%s@contoso.co.uk", local),
		AccountEnabled: true, UserType: "Member",
	}
}

// fixtureFindings are the realistic run's findings: 297 over 5 kinds, some
// people with two of them.
func fixtureFindings() []domain.Finding {
	var out []domain.Finding
	n := 0
	for _, k := range []domain.FindingKind{domain.FindingUPNMismatch, domain.FindingMailMissing, domain.FindingUserNotAssigned, domain.FindingUserDisabled, domain.FindingGuestUPN} {
		for i := 0; i < fixtureCounts[k]; i++ {
			who := n
			if k == domain.FindingUserDisabled && i < 5 {
				who = 180 + i // also not assigned
			}
			u := fixturePerson(who)
			claim := u.Mail
			switch k {
			case domain.FindingMailMissing:
				u.Mail, claim = "", ""
			case domain.FindingGuestUPN:
				u.UserType = "Guest"
				u.UserPrincipalName = strings.ReplaceAll(u.Mail, "@", "_") + "#EXT#@contoso.onmicrosoft.com"
				claim = u.UserPrincipalName
			case domain.FindingUserDisabled:
				u.AccountEnabled = false
			}
			out = append(out, domain.Finding{Kind: k, Severity: domain.SeverityError, Key: u.ID, Subject: u.UserPrincipalName,
				Summary: "…", Remedy: fixtureRemedies[k], User: &u, EmailClaim: claim, ObservedAt: fixtureNow})
			if who == n {
				n++
			}
		}
	}
	return out
}

// fixtureHistory is 29 nightly runs before the latest one: the UPN ≠ mail
// count falls as the claim fix rolls out, the others wander.
func fixtureHistory() []RunSummary {
	var out []RunSummary
	for i := 0; i < MaxRuns-1; i++ {
		at := fixtureNow.AddDate(0, 0, i-(MaxRuns-1)).Add(-10 * time.Minute)
		wave := func(base, amp, period float64) int {
			return int(base + amp*math.Sin(float64(i)*2*math.Pi/period))
		}
		open := map[domain.FindingKind]int{
			domain.FindingUPNMismatch:     412 - i*8 + wave(0, 9, 5),
			domain.FindingMailMissing:     wave(70, 8, 11),
			domain.FindingUserNotAssigned: wave(30, 10, 9) + i/3,
			domain.FindingUserDisabled:    wave(14, 3, 7),
			domain.FindingGuestUPN:        wave(11, 2, 13),
		}
		out = append(out, RunSummary{RunID: at.Format("20060102T150405Z") + "-full", EndedAt: at, Complete: true, People: sum(open) - 5, Open: open})
	}
	return out
}

// fixtureInput is the realistic page: a few hundred findings over 5 kinds,
// 30 runs of history, certificates, metadata versions and an Aircall pass.
func fixtureInput() Input {
	started := fixtureNow.Add(-14 * time.Minute)
	return Input{
		Audit: Audit{Run: Run{RunID: "20261130T020000Z-full", Mode: "full", Scope: domain.ScopeAssigned, Complete: true,
			StartedAt: started, EndedAt: fixtureNow.Add(-10 * time.Minute), UsersChecked: 4812},
			Counts: fixtureCounts, Findings: fixtureFindings()},
		History: fixtureHistory(),
		Now:     fixtureNow,
		Health: Health{
			DriftCheckedAt: fixtureNow.Add(-11 * time.Minute), RotateBeforeDays: 60,
			Drift: []DriftCheck{
				{Name: "SAML single sign-on mode", State: CheckOK, Detail: "saml"},
				{Name: "Identifier (Entity ID)", State: CheckOK, Detail: domain.AircallEntityID},
				{Name: "Reply URL", State: CheckOK, Detail: domain.AircallReplyURL},
				{Name: "emailaddress claim source", State: CheckOK, Detail: "user.userprincipalname"},
				{Name: "Assignment of group Sales EMEA", State: CheckDrift, Severity: domain.SeverityWarning, Detail: "Principal 5f1c… is not assigned to the Aircall app."},
			},
			Certificates: []Certificate{
				{CertificateFacts: domain.CertificateFacts{Thumbprint: "8C2F5A1E94B07D33A6F1C0E2B5D4978A1F3E6C20", Subject: "CN=Microsoft Azure Federated SSO Certificate",
					NotBefore: fixtureNow.AddDate(-3, 0, 41), NotAfter: fixtureNow.AddDate(0, 0, 41), SignsDocument: true}},
				{CertificateFacts: domain.CertificateFacts{Thumbprint: "3B9E0D7C51A2F86E4D0C9B1A7E5F32D8C6A40B19", Subject: "CN=Microsoft Azure Federated SSO Certificate",
					NotBefore: fixtureNow.AddDate(0, 0, -6), NotAfter: fixtureNow.AddDate(3, 0, -6)}},
			},
			Metadata: []MetadataVersion{
				{Name: "20261124T021500Z-3b9e0d7c.xml", FetchedAt: fixtureNow.AddDate(0, 0, -6), Changes: "signing certificates: added 3B9E0D7C51A2F86E4D0C9B1A7E5F32D8C6A40B19"},
				{Name: "20250312T021500Z-8c2f5a1e.xml", FetchedAt: fixtureNow.AddDate(-1, -8, -18), Changes: "SingleLogoutService URL changed"},
				{Name: "20231001T021500Z-77aa01be.xml", FetchedAt: fixtureNow.AddDate(-3, 0, 41)},
			},
			Aircall: &AircallPass{RanAt: fixtureNow.Add(-9 * time.Minute), UsersChecked: 4390,
				Counts: map[domain.FindingKind]int{domain.FindingUserNotFound: 14}},
		},
	}
}

func sum(m map[domain.FindingKind]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
