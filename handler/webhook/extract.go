package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
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
	var p struct {
		Ticket *struct {
			ID        flexString `json:"id"`
			Requester *struct {
				Email flexString `json:"email"`
			} `json:"requester"`
		} `json:"ticket"`
		AffectedUser flexString `json:"affected_user"`
	}
	if err := decode(body, &p); err != nil {
		return "", "", err
	}
	if p.Ticket == nil {
		return "", "", domain.FieldError("ticket", "is missing: the Zendesk webhook body must follow the template in docs/webhooks.md")
	}
	id, err := ticketRef("ticket.id", string(p.Ticket.ID))
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(string(p.AffectedUser)) != "" {
		user, err = userRef("affected_user", string(p.AffectedUser))
		return user, "ZD-" + id, err
	}
	if p.Ticket.Requester == nil {
		return "", "", domain.FieldError("ticket.requester.email", "is missing and affected_user is empty: name the user who cannot sign in")
	}
	user, err = userRef("ticket.requester.email", string(p.Ticket.Requester.Email))
	return user, "ZD-" + id, err
}

// jira reads a Jira issue event (jira:issue_created, jira:issue_updated,
// comment_created …): the issue key and the reporter's email, or the
// configured field.
func jira(body []byte, field string) (user, ticket string, err error) {
	var p struct {
		Issue *struct {
			Key    flexString                 `json:"key"`
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"issue"`
	}
	if err := decode(body, &p); err != nil {
		return "", "", err
	}
	if p.Issue == nil {
		return "", "", domain.FieldError("issue", "is missing: send a Jira issue event (issue created or updated)")
	}
	key, err := ticketRef("issue.key", string(p.Issue.Key))
	if err != nil {
		return "", "", err
	}
	if field == "" {
		field = "reporter"
	}
	path := "issue.fields." + field
	raw, ok := p.Issue.Fields[field]
	if !ok || isNull(raw) {
		if field == "reporter" {
			return "", "", domain.FieldError(path+".emailAddress", "is missing: Jira hides the reporter's email unless the webhook's user may see it; set JIRA_USER_FIELD to a field holding the affected user's email")
		}
		return "", "", domain.FieldError(path, "is missing or empty: fill in the affected user on the issue")
	}
	email, sub, err := jiraEmail(raw)
	if err != nil {
		return "", "", domain.FieldError(path+sub, "%s", err.Error())
	}
	user, err = userRef(path+sub, email)
	return user, key, err
}

// jiraEmail takes an email from a Jira field value: a string, a user object
// ({"emailAddress":…}) or the first of an array of either.
func jiraEmail(raw json.RawMessage) (email, sub string, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", "", errors.New("is not a valid JSON string")
		}
		return s, "", nil
	case len(raw) > 0 && raw[0] == '{':
		var u struct {
			EmailAddress *string `json:"emailAddress"`
		}
		if err := json.Unmarshal(raw, &u); err != nil || u.EmailAddress == nil {
			return "", ".emailAddress", errors.New("is missing: Jira hides a user's email unless the webhook's user may see it")
		}
		return *u.EmailAddress, ".emailAddress", nil
	case len(raw) > 0 && raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil || len(items) == 0 || (len(items[0]) > 0 && items[0][0] == '[') {
			return "", "[0]", errors.New("must hold a user or an email address")
		}
		e, s, err := jiraEmail(items[0])
		return e, "[0]" + s, err
	}
	return "", "", errors.New("must be an email address or a Jira user")
}

// serviceNow reads the body of the outbound REST message in docs/webhooks.md.
func serviceNow(body []byte) (user, ticket string, err error) {
	var p struct {
		Number       flexString `json:"number"`
		CallerEmail  flexString `json:"caller_email"`
		AffectedUser flexString `json:"affected_user"`
	}
	if err := decode(body, &p); err != nil {
		return "", "", err
	}
	num, err := ticketRef("number", string(p.Number))
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(string(p.AffectedUser)) != "" {
		user, err = userRef("affected_user", string(p.AffectedUser))
		return user, num, err
	}
	user, err = userRef("caller_email", string(p.CallerEmail))
	return user, num, err
}

// generic reads {"user":"…","ticket":"…"}.
func generic(body []byte) (user, ticket string, err error) {
	var p struct {
		User   flexString `json:"user"`
		Ticket flexString `json:"ticket"`
	}
	if err := decode(body, &p); err != nil {
		return "", "", err
	}
	t, err := ticketRef("ticket", string(p.Ticket))
	if err != nil {
		return "", "", err
	}
	user, err = userRef("user", string(p.User))
	return user, t, err
}

// decode unmarshals body into v, turning JSON errors into field errors.
func decode(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return domain.FieldError(te.Field, "has the wrong type (%s)", te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return domain.FieldError("body", "is not valid JSON (at byte %d)", se.Offset)
	}
	return domain.FieldError("body", "could not be read as the expected JSON object")
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`))
}

// flexString accepts a JSON string or number (templating systems render ids
// either way) and null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeOf("")}
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

// Limits on extracted values.
const (
	maxUserLen   = 320 // 64 + "@" + 255, an email's maximum
	maxTicketLen = 64
)

// userRef validates a UPN or email address.
func userRef(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", domain.FieldError(field, "is empty: name the user who cannot sign in (UPN or email)")
	case unreplaced(v):
		return "", domain.FieldError(field, "holds a template placeholder that was not replaced: check the webhook body in the sender")
	case len(v) > maxUserLen:
		return "", domain.FieldError(field, "is longer than %d characters: it must be a UPN or an email address", maxUserLen)
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar }) >= 0:
		return "", domain.FieldError(field, "contains spaces or control characters: it must be a UPN or an email address")
	}
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "", domain.FieldError(field, "must be a UPN or an email address (name@domain)")
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
