package webhook_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name       string
		src        webhook.Source
		jiraField  string
		body       string
		wantUser   string
		wantTicket string
		wantField  string // when the body must be refused
	}{
		// Zendesk: the trigger template of docs/webhooks.md.
		{"zendesk requester", webhook.Zendesk, "", `{"ticket":{"id":"123","requester":{"email":"ann@contoso.com"}}}`, "ann@contoso.com", "ZD-123", ""},
		{"zendesk numeric id", webhook.Zendesk, "", `{"ticket":{"id":123,"requester":{"email":" ann@contoso.com "}}}`, "ann@contoso.com", "ZD-123", ""},
		{"zendesk affected user wins", webhook.Zendesk, "", `{"ticket":{"id":"9","requester":{"email":"agent@contoso.com"}},"affected_user":"ann@contoso.com"}`, "ann@contoso.com", "ZD-9", ""},
		{"zendesk empty affected user falls back", webhook.Zendesk, "", `{"ticket":{"id":"9","requester":{"email":"agent@contoso.com"}},"affected_user":""}`, "agent@contoso.com", "ZD-9", ""},
		{"zendesk no ticket", webhook.Zendesk, "", `{"requester":{"email":"ann@contoso.com"}}`, "", "", "ticket"},
		{"zendesk no id", webhook.Zendesk, "", `{"ticket":{"requester":{"email":"ann@contoso.com"}}}`, "", "", "ticket.id"},
		{"zendesk placeholder left", webhook.Zendesk, "", `{"ticket":{"id":"1","requester":{"email":"{{ticket.requester.email}}"}}}`, "", "", "ticket.requester.email"},
		{"zendesk no requester", webhook.Zendesk, "", `{"ticket":{"id":"1"}}`, "", "", "ticket.requester.email"},
		{"zendesk id is an object", webhook.Zendesk, "", `{"ticket":{"id":{"x":1},"requester":{"email":"a@b.c"}}}`, "", "", "ticket.id"},
		// Jira issue events.
		{"jira reporter", webhook.Jira, "", `{"webhookEvent":"jira:issue_created","issue":{"key":"HELP-42","fields":{"summary":"Aircall login","reporter":{"accountId":"5b10","emailAddress":"ann@contoso.com"}}}}`, "ann@contoso.com", "HELP-42", ""},
		{"jira reporter email hidden", webhook.Jira, "", `{"issue":{"key":"HELP-42","fields":{"reporter":{"accountId":"5b10"}}}}`, "", "", "issue.fields.reporter.emailAddress"},
		{"jira no reporter", webhook.Jira, "", `{"issue":{"key":"HELP-42","fields":{}}}`, "", "", "issue.fields.reporter.emailAddress"},
		{"jira text field", webhook.Jira, "customfield_10042", `{"issue":{"key":"HELP-7","fields":{"reporter":{"emailAddress":"agent@contoso.com"},"customfield_10042":"ann@contoso.com"}}}`, "ann@contoso.com", "HELP-7", ""},
		{"jira user-picker field", webhook.Jira, "customfield_10042", `{"issue":{"key":"HELP-7","fields":{"customfield_10042":{"emailAddress":"ann@contoso.com"}}}}`, "ann@contoso.com", "HELP-7", ""},
		{"jira multi-user field", webhook.Jira, "customfield_10042", `{"issue":{"key":"HELP-7","fields":{"customfield_10042":[{"emailAddress":"ann@contoso.com"},{"emailAddress":"bob@contoso.com"}]}}}`, "ann@contoso.com", "HELP-7", ""},
		{"jira configured field empty", webhook.Jira, "customfield_10042", `{"issue":{"key":"HELP-7","fields":{"customfield_10042":null}}}`, "", "", "issue.fields.customfield_10042"},
		{"jira configured field a number", webhook.Jira, "customfield_10042", `{"issue":{"key":"HELP-7","fields":{"customfield_10042":42}}}`, "", "", "issue.fields.customfield_10042"},
		{"jira no issue", webhook.Jira, "", `{"webhookEvent":"jira:issue_created"}`, "", "", "issue"},
		{"jira key with a slash", webhook.Jira, "", `{"issue":{"key":"HELP/42","fields":{"reporter":{"emailAddress":"ann@contoso.com"}}}}`, "", "", "issue.key"},
		// ServiceNow outbound REST message.
		{"servicenow caller", webhook.ServiceNow, "", `{"number":"INC0010001","sys_id":"46d44a","caller_email":"ann@contoso.com"}`, "ann@contoso.com", "INC0010001", ""},
		{"servicenow affected user", webhook.ServiceNow, "", `{"number":"INC0010001","caller_email":"agent@contoso.com","affected_user":"ann@contoso.com"}`, "ann@contoso.com", "INC0010001", ""},
		{"servicenow variable left", webhook.ServiceNow, "", `{"number":"${number}","caller_email":"ann@contoso.com"}`, "", "", "number"},
		{"servicenow no email", webhook.ServiceNow, "", `{"number":"INC0010001"}`, "", "", "caller_email"},
		// Generic.
		{"generic", webhook.Generic, "", `{"user":"ann@contoso.com","ticket":"T-1"}`, "ann@contoso.com", "T-1", ""},
		{"generic guest UPN", webhook.Generic, "", `{"user":"bob_fabrikam.com#EXT#@contoso.onmicrosoft.com","ticket":"T-2"}`, "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com", "T-2", ""},
		{"generic user not an address", webhook.Generic, "", `{"user":"ann","ticket":"T-1"}`, "", "", "user"},
		{"generic user with a space", webhook.Generic, "", `{"user":"ann smith@contoso.com","ticket":"T-1"}`, "", "", "user"},
		{"generic no ticket", webhook.Generic, "", `{"user":"ann@contoso.com"}`, "", "", "ticket"},
		{"generic user is a list", webhook.Generic, "", `{"user":["ann@contoso.com"],"ticket":"T-1"}`, "", "", "user"},
		{"generic ticket too long", webhook.Generic, "", `{"user":"ann@contoso.com","ticket":"T-12345678901234567890123456789012345678901234567890123456789012345"}`, "", "", "ticket"},
		// Any source.
		{"not JSON", webhook.Generic, "", `user=ann`, "", "", "body"},
		{"array", webhook.Zendesk, "", `[{"ticket":{}}]`, "", "", "body"},
		{"truncated", webhook.Jira, "", `{"issue":{"key":"HELP-1"`, "", "", "body"},
		{"empty", webhook.ServiceNow, "", ` `, "", "", "body"},
		{"trailing garbage", webhook.Generic, "", `{"user":"ann@contoso.com","ticket":"T-1"} x`, "", "", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := webhook.Extract(tt.src, []byte(tt.body), webhook.ExtractOptions{JiraUserField: tt.jiraField})
			if tt.wantField != "" {
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tt.wantField {
					t.Fatalf("Extract = %+v, %v; want EINVALID naming %q", r, err, tt.wantField)
				}
				if de.Message == "" {
					t.Errorf("no message for %s", tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if r.User != tt.wantUser || r.Ticket != tt.wantTicket || r.Source != tt.src {
				t.Fatalf("Extract = %+v, want user %q ticket %q", r, tt.wantUser, tt.wantTicket)
			}
		})
	}
}

// TestExtractStrict: payloads are read with the strict key walk — a
// repeated key (at any level the app reads) is refused naming it, and a key
// in another case is not the field (so it cannot override it).
func TestExtractStrict(t *testing.T) {
	for _, tc := range []struct {
		name      string
		src       webhook.Source
		body      string
		wantField string
		wantUser  string
	}{
		{"generic user twice", webhook.Generic, `{"user":"ann@contoso.com","ticket":"T-1","user":"eve@evil.example"}`, "user", ""},
		{"generic other case ignored", webhook.Generic, `{"user":"ann@contoso.com","User":"eve@evil.example","ticket":"T-1"}`, "", "ann@contoso.com"},
		{"generic only other case", webhook.Generic, `{"User":"ann@contoso.com","ticket":"T-1"}`, "user", ""},
		{"zendesk nested twice", webhook.Zendesk, `{"ticket":{"id":"1","requester":{"email":"ann@contoso.com","email":"eve@evil.example"}}}`, "ticket.requester.email", ""},
		{"zendesk ticket twice", webhook.Zendesk, `{"ticket":{"id":"1"},"ticket":{"id":"2","requester":{"email":"ann@contoso.com"}}}`, "ticket", ""},
		{"jira fields twice", webhook.Jira, `{"issue":{"key":"H-1","fields":{"reporter":{"emailAddress":"ann@contoso.com"},"reporter":{"emailAddress":"eve@evil.example"}}}}`, "issue.fields.reporter", ""},
		{"jira email twice", webhook.Jira, `{"issue":{"key":"H-1","fields":{"reporter":{"emailAddress":"ann@contoso.com","emailAddress":"eve@evil.example"}}}}`, "issue.fields.reporter.emailAddress", ""},
		{"servicenow number twice", webhook.ServiceNow, `{"number":"INC1","number":"INC2","caller_email":"ann@contoso.com"}`, "number", ""},
		{"trailing data", webhook.Generic, `{"user":"ann@contoso.com","ticket":"T-1"} {"user":"eve@evil.example"}`, "body", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := webhook.Extract(tc.src, []byte(tc.body), webhook.ExtractOptions{})
			if tc.wantField == "" {
				if err != nil || r.User != tc.wantUser {
					t.Fatalf("got %+v, %v; want user %s", r, err, tc.wantUser)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tc.wantField {
				t.Fatalf("got %+v, %v; want EINVALID naming %s", r, err, tc.wantField)
			}
		})
	}
}

// TestUserRefLimits: a user value must be a UPN or an email address within
// Entra's and Graph's limits (64 before the @, 256 in all); markup, control
// characters and over-long values are refused naming the field.
func TestUserRefLimits(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	ok := []string{
		"ann@contoso.com", "o'brien@contoso.com", "ann+aircall@contoso.com",
		"ann_contoso.com#EXT#@tenant.onmicrosoft.com", local64 + "@" + strings.Repeat("b", 44) + ".com",
		local64 + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + ".contoso.com", // a mail longer than any UPN
	}
	bad := []string{
		"<script>@contoso.com", "ann@contoso.com<b>", `"ann"@contoso.com`, "ann@@contoso.com", "ann@x@contoso.com",
		"ann@contoso", "ann.@contoso.com", ".ann@contoso.com", "a..nn@contoso.com", "ann@-contoso.com",
		"ann\x00@contoso.com", "ann\u202e@contoso.com", "änn@contoso.com", "ann@contoso.com;bob@contoso.com",
		strings.Repeat("a", 65) + "@contoso.com", "ann@" + strings.Repeat("b", 64) + ".com",
		"ann@" + strings.Repeat("sub.", 70) + "contoso.com",
	}
	body := func(u string) []byte {
		b, _ := json.Marshal(map[string]string{"user": u, "ticket": "T-1"})
		return b
	}
	for _, u := range ok {
		if r, err := webhook.Extract(webhook.Generic, body(u), webhook.ExtractOptions{}); err != nil || r.User != u {
			t.Errorf("%q refused: %v", u, err)
		}
	}
	for _, u := range bad {
		_, err := webhook.Extract(webhook.Generic, body(u), webhook.ExtractOptions{})
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != "user" {
			t.Errorf("%q: %v, want EINVALID naming user", u, err)
		}
	}
}
