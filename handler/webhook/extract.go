package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/strictjson"
)

// Report is what a ticket asks: diagnose User (a UPN or an email address)
// for ticket Ticket of Source.
type Report struct {
	Source Source `json:"source"`
	// User is the userPrincipalName or email address to diagnose.
	User string `json:"user"`
	// Ticket is the ticket reference: "ZD-<id>" for Zendesk, the issue key for
	// Jira, the record number for ServiceNow, as sent for generic.
	Ticket string `json:"ticket"`
}

// ExtractOptions tune extraction.
type ExtractOptions struct {
	// JiraUserField names the Jira issue field holding the affected user's
	// email (e.g. customfield_10042); empty means the reporter's email.
	JiraUserField string
}

// Extract reads the user and the ticket reference from a verified body of
// src, in the payload shapes docs/webhooks.md documents. A body it cannot
// read yields EINVALID naming the field (as a JSON path) at fault.
func Extract(src Source, body []byte, opt ExtractOptions) (Report, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Report{}, domain.FieldError("body", "is empty: send the JSON payload docs/webhooks.md shows for %s", src)
	}
	if trimmed[0] != '{' {
		return Report{}, domain.FieldError("body", "must be a JSON object")
	}
	r := Report{Source: src}
	var err error
	switch src {
	case Zendesk:
		r.User, r.Ticket, err = zendesk(body)
	case Jira:
		r.User, r.Ticket, err = jira(body, opt.JiraUserField)
	case ServiceNow:
		r.User, r.Ticket, err = serviceNow(body)
	case Generic:
		r.User, r.Ticket, err = generic(body)
	default:
		return Report{}, domain.Errorf(domain.ENOTFOUND, "unknown webhook source %q", src)
	}
	return r, err
}

// zendesk reads the body of a Zendesk trigger webhook built from the
// template in docs/webhooks.md.
func zendesk(body []byte) (user, ticket string, err error) {
	var id, email, affected string
	var haveTicket, haveRequester bool
	err = strictjson.Object("", body, func(k string, raw json.RawMessage) error {
		switch k {
		case "ticket":
			haveTicket = true
			return strictjson.Object("ticket", raw, func(k string, raw json.RawMessage) error {
				switch k {
				case "id":
					return flex(&id, "ticket.id", raw)
				case "requester":
					haveRequester = true
					return strictjson.Object("ticket.requester", raw, func(k string, raw json.RawMessage) error {
						if k == "email" {
							return flex(&email, "ticket.requester.email", raw)
						}
						return nil
					})
				}
				return nil
			})
		case "affected_user":
			return flex(&affected, "affected_user", raw)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if !haveTicket {
		return "", "", domain.FieldError("ticket", "is missing: the Zendesk webhook body must follow the template in docs/webhooks.md")
	}
	id, err = ticketRef("ticket.id", id)
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(affected) != "" {
		user, err = userRef("affected_user", affected)
		return user, "ZD-" + id, err
	}
	if !haveRequester {
		return "", "", domain.FieldError("ticket.requester.email", "is missing and affected_user is empty: name the user who cannot sign in")
	}
	user, err = userRef("ticket.requester.email", email)
	return user, "ZD-" + id, err
}

// jira reads a Jira issue event (jira:issue_created, jira:issue_updated,
// comment_created …): the issue key and the reporter's email, or the
// configured field.
func jira(body []byte, field string) (user, ticket string, err error) {
	if field == "" {
		field = "reporter"
	}
	path := "issue.fields." + field
	var key string
	var raw json.RawMessage
	var haveIssue bool
	err = strictjson.Object("", body, func(k string, v json.RawMessage) error {
		if k != "issue" {
			return nil
		}
		haveIssue = true
		return strictjson.Object("issue", v, func(k string, v json.RawMessage) error {
			switch k {
			case "key":
				return flex(&key, "issue.key", v)
			case "fields":
				return strictjson.Object("issue.fields", v, func(k string, v json.RawMessage) error {
					if k == field {
						raw = v
					}
					return nil
				})
			}
			return nil
		})
	})
	if err != nil {
		return "", "", err
	}
	if !haveIssue {
		return "", "", domain.FieldError("issue", "is missing: send a Jira issue event (issue created or updated)")
	}
	key, err = ticketRef("issue.key", key)
	if err != nil {
		return "", "", err
	}
	if isNull(raw) {
		if field == "reporter" {
			return "", "", domain.FieldError(path+".emailAddress", "is missing: Jira hides the reporter's email unless the webhook's user may see it; set JIRA_USER_FIELD to a field holding the affected user's email")
		}
		return "", "", domain.FieldError(path, "is missing or empty: fill in the affected user on the issue")
	}
	email, sub, err := jiraEmail(path, raw)
	if err != nil {
		return "", "", err
	}
	user, err = userRef(path+sub, email)
	return user, key, err
}

// jiraEmail takes an email from a Jira field value at path: a string, a
// user object ({"emailAddress":…}) or the first of an array of either.
func jiraEmail(path string, raw json.RawMessage) (email, sub string, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		if err := json.Unmarshal(raw, &email); err != nil {
			return "", "", domain.FieldError(path, "is not a valid JSON string")
		}
		return email, "", nil
	case len(raw) > 0 && raw[0] == '{':
		var have bool
		err := strictjson.Object(path, raw, func(k string, v json.RawMessage) error {
			if k != "emailAddress" {
				return nil
			}
			have = true
			if err := json.Unmarshal(v, &email); err != nil {
				return domain.FieldError(path+".emailAddress", "must be a string")
			}
			return nil
		})
		if err != nil {
			return "", "", err
		}
		if !have {
			return "", "", domain.FieldError(path+".emailAddress", "is missing: Jira hides a user's email unless the webhook's user may see it")
		}
		return email, ".emailAddress", nil
	case len(raw) > 0 && raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil || len(items) == 0 || (len(items[0]) > 0 && items[0][0] == '[') {
			return "", "", domain.FieldError(path+"[0]", "must hold a user or an email address")
		}
		e, s, err := jiraEmail(path+"[0]", items[0])
		return e, "[0]" + s, err
	}
	return "", "", domain.FieldError(path, "must be an email address or a Jira user")
}

// serviceNow reads the body of the outbound REST message in docs/webhooks.md.
func serviceNow(body []byte) (user, ticket string, err error) {
	var number, caller, affected string
	err = strictjson.Object("", body, func(k string, raw json.RawMessage) error {
		switch k {
		case "number":
			return flex(&number, k, raw)
		case "caller_email":
			return flex(&caller, k, raw)
		case "affected_user":
			return flex(&affected, k, raw)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	num, err := ticketRef("number", number)
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(affected) != "" {
		user, err = userRef("affected_user", affected)
		return user, num, err
	}
	user, err = userRef("caller_email", caller)
	return user, num, err
}

// generic reads {"user":"…","ticket":"…"}.
func generic(body []byte) (user, ticket string, err error) {
	var u, tk string
	err = strictjson.Object("", body, func(k string, raw json.RawMessage) error {
		switch k {
		case "user":
			return flex(&u, k, raw)
		case "ticket":
			return flex(&tk, k, raw)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	t, err := ticketRef("ticket", tk)
	if err != nil {
		return "", "", err
	}
	user, err = userRef("user", u)
	return user, t, err
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`))
}

// flex reads a JSON string or number (templating systems render ids either
// way) or null into *dst; anything else is EINVALID naming path.
func flex(dst *string, path string, raw json.RawMessage) error {
	b := bytes.TrimSpace(raw)
	switch {
	case bytes.Equal(b, []byte("null")):
		*dst = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, dst); err != nil {
			return domain.FieldError(path, "is not a valid JSON string")
		}
		return nil
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return domain.FieldError(path, "is not a valid number")
		}
		*dst = n.String()
		return nil
	}
	return domain.FieldError(path, "has the wrong type (%s): send a string", jsonKind(b))
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "value"
}

// maxTicketLen bounds a ticket reference.
const maxTicketLen = 64

// userRef validates a UPN or email address (domain.UserRefProblem, Entra's
// limits); a refused value is EINVALID naming field.
func userRef(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v != "" && unreplaced(v) {
		return "", domain.FieldError(field, "holds a template placeholder that was not replaced: check the webhook body in the sender")
	}
	if p := domain.UserRefProblem(v); p != "" {
		return "", domain.FieldError(field, "%s", p)
	}
	return v, nil
}

// ticketRef validates a ticket reference: 1–64 letters, digits and . _ : # -.
func ticketRef(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", domain.FieldError(field, "is empty: the ticket reference is required")
	case unreplaced(v):
		return "", domain.FieldError(field, "holds a template placeholder that was not replaced: check the webhook body in the sender")
	case len(v) > maxTicketLen:
		return "", domain.FieldError(field, "is longer than %d characters", maxTicketLen)
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:#-", r)) {
			return "", domain.FieldError(field, "may hold only letters, digits and . _ : # - (got %s)", fmt.Sprintf("%q", r))
		}
	}
	return v, nil
}

func unreplaced(v string) bool {
	return strings.Contains(v, "{{") || strings.Contains(v, "${")
}
