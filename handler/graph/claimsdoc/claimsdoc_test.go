package claimsdoc_test

import (
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/claimsdoc"
)

func TestMappingDefinitionRoundTrip(t *testing.T) {
	for _, src := range []domain.ClaimSource{domain.ClaimFromUPN, domain.ClaimFromMail} {
		def := claimsdoc.MappingDefinition(src)
		if got := claimsdoc.MappingSource([]string{def}); got != src {
			t.Errorf("definition for %s reads back as %q: %s", src, got, def)
		}
		if !strings.Contains(def, `"Version":1`) || !strings.Contains(def, `"IncludeBasicClaimSet":"true"`) {
			t.Errorf("definition keys must be exact: %s", def)
		}
	}
	if got := claimsdoc.MappingSource([]string{"not json", `{"ClaimsMappingPolicy":{"ClaimsSchema":[]}}`}); got != "" {
		t.Errorf("no emailaddress mapping read as %q", got)
	}
}

// TestCustomPolicySource reads the portal's custom claims policy: the
// emailaddress claim by full URI or short name, the attribute case-folded;
// anything else is "".
func TestCustomPolicySource(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want domain.ClaimSource
	}{
		{`{"claims":[{"name":"emailaddress","namespace":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims","configurations":[{"attribute":{"id":"userPrincipalName","source":"user"}}]}]}`, domain.ClaimFromUPN},
		{`{"claims":[{"name":"emailaddress","configurations":[{"attribute":{"id":"mail","source":"user"}}]}]}`, domain.ClaimFromMail},
		{`{"claims":[{"name":"name","configurations":[{"attribute":{"id":"mail","source":"user"}}]}]}`, ""},
		{`{"claims":[{"name":"emailaddress","configurations":[{"attribute":{"id":"x","source":"transformation"}}]}]}`, ""},
		{`{"value":[{"claims":[]},{"claims":[{"name":"emailaddress","configurations":[{"attribute":{"id":"mail","source":"user"}}]}]}]}`, domain.ClaimFromMail},
		{`{"value":[]}`, ""},
		{`not json`, ""},
		{``, ""},
	} {
		if got := claimsdoc.CustomPolicySource([]byte(tc.doc)); got != tc.want {
			t.Errorf("CustomPolicySource(%s) = %q, want %q", tc.doc, got, tc.want)
		}
	}
}
