package webhook

import (
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Source is a kind of sender; it is the {source} in /api/webhooks/{source}.
type Source string

// The supported sources.
const (
	Zendesk    Source = "zendesk"
	Jira       Source = "jira"
	ServiceNow Source = "servicenow"
	Generic    Source = "generic"
)

// Sources lists every supported source.
var Sources = []Source{Zendesk, Jira, ServiceNow, Generic}

// ParseSource returns the source named s (case-insensitive), or ENOTFOUND.
func ParseSource(s string) (Source, error) {
	v := Source(strings.ToLower(strings.TrimSpace(s)))
	for _, src := range Sources {
		if v == src {
			return src, nil
		}
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "", domain.Errorf(domain.ENOTFOUND, "unknown webhook source %q: post to /api/webhooks/zendesk, /jira, /servicenow or /generic", s)
}

// SecretSetting is the app setting that holds the source's signing secret.
func (s Source) SecretSetting() string { return "WEBHOOK_SECRET_" + strings.ToUpper(string(s)) }
