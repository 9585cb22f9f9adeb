package claimsdoc_test

import (
	"errors"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/claimsdoc"
)

// TestResolve is the claim rule both Graph adapters apply, row by row.
func TestResolve(t *testing.T) {
	upn := claimsdoc.MappingDefinition(domain.ClaimFromUPN)
	mail := claimsdoc.MappingDefinition(domain.ClaimFromMail)
	nameIDOnly := `{"ClaimsMappingPolicy":{"Version":1,"ClaimsSchema":[{"Source":"user","ID":"userprincipalname","SamlClaimType":"` + domain.NameIDClaimType + `"}]}}`
	customUPN := `{"claims":[{"name":"emailaddress","configurations":[{"attribute":{"id":"userPrincipalName","source":"user"}}]}]}`
	customMail := `{"value":[{"claims":[{"name":"emailaddress","configurations":[{"attribute":{"id":"mail","source":"user"}}]}]}]}`
	notFound := domain.Errorf(domain.ENOTFOUND, "no claimsPolicy")
	badRequest := domain.Errorf(domain.EUPSTREAM, "400")
	type doc struct {
		body string
		err  error
	}
	pol := func(id, def string) claimsdoc.MappingPolicy {
		return claimsdoc.MappingPolicy{ID: id, Name: "p " + id, Definition: []string{def}}
	}
	for _, tc := range []struct {
		name     string
		attached []claimsdoc.MappingPolicy
		custom   *doc // nil: must not be read
		want     domain.EmailClaimState
		code     domain.Code
	}{
		{name: "nothing: default mail", custom: &doc{err: notFound},
			want: state(domain.ClaimFromMail, domain.ClaimOriginDefault, "", "")},
		{name: "empty custom policy: default mail", custom: &doc{body: `{"claims":[]}`},
			want: state(domain.ClaimFromMail, domain.ClaimOriginDefault, "", "")},
		{name: "attached policy with the claim wins, custom not read", attached: []claimsdoc.MappingPolicy{pol("1", upn)},
			want: state(domain.ClaimFromUPN, domain.ClaimOriginMappingPolicy, "1", "p 1")},
		{name: "attached mail policy wins over a custom upn policy", attached: []claimsdoc.MappingPolicy{pol("1", mail)},
			want: state(domain.ClaimFromMail, domain.ClaimOriginMappingPolicy, "1", "p 1")},
		{name: "attached policy without the claim: custom policy decides", attached: []claimsdoc.MappingPolicy{pol("2", nameIDOnly)}, custom: &doc{body: customUPN},
			want: state(domain.ClaimFromUPN, domain.ClaimOriginClaimsPolicy, "2", "p 2")},
		{name: "attached policy without the claim, no custom policy: default", attached: []claimsdoc.MappingPolicy{pol("2", "not json")}, custom: &doc{err: notFound},
			want: state(domain.ClaimFromMail, domain.ClaimOriginDefault, "2", "p 2")},
		{name: "custom policy, bare object (Entra how-to)", custom: &doc{body: customUPN},
			want: state(domain.ClaimFromUPN, domain.ClaimOriginClaimsPolicy, "", "")},
		{name: "custom policy, collection (API reference)", custom: &doc{body: customMail},
			want: state(domain.ClaimFromMail, domain.ClaimOriginClaimsPolicy, "", "")},
		{name: "400 on the custom policy is an error", custom: &doc{err: badRequest}, code: domain.EUPSTREAM},
		{name: "throttled on the custom policy is an error", custom: &doc{err: domain.Errorf(domain.EUNAVAILABLE, "429")}, code: domain.EUNAVAILABLE},
		{name: "two attached policies: conflict, not a guess", attached: []claimsdoc.MappingPolicy{pol("1", upn), pol("2", mail)}, code: domain.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := false
			got, err := claimsdoc.Resolve(tc.attached, func() ([]byte, error) {
				read = true
				if tc.custom == nil {
					return nil, errors.New("the custom policy must not be read")
				}
				return []byte(tc.custom.body), tc.custom.err
			})
			if tc.custom == nil && read {
				t.Errorf("the custom claims policy was read")
			}
			if domain.ErrorCode(err) != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if err == nil && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func state(src domain.ClaimSource, origin, id, name string) domain.EmailClaimState {
	return domain.EmailClaimState{ClaimConfig: domain.ClaimConfig{Source: src, Origin: origin}, PolicyID: id, PolicyName: name}
}
