package webhook_test

import (
	"errors"
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
