package claimsdoc

import (
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// MappingPolicy is a claims mapping policy attached to the service
// principal, as GET /v1.0/servicePrincipals/{id}/claimsMappingPolicies
// lists it.
type MappingPolicy struct {
	ID, Name   string
	Definition []string
}

// Resolve is the one rule for the emailaddress claim in effect, for both
// Graph adapters:
//
//  1. an attached claims mapping policy that sources the claim from a user
//     attribute wins (Origin ClaimOriginMappingPolicy; PolicyID and
//     PolicyName name it). Entra attaches at most one claims mapping policy
//     to a service principal, so several attached is reported as ECONFLICT
//     rather than one picked by list order;
//  2. else the beta custom claims policy, read by custom, when it sources the
//     claim from a user attribute (Origin ClaimOriginClaimsPolicy);
//  3. else Entra's default, user.mail (Origin ClaimOriginDefault).
//
// An attached policy that does not source the claim is still reported
// (PolicyID, PolicyName) whatever decides the claim. custom is called only
// when step 2 is reached; its error is classified here: ENOTFOUND (Graph's
// 404: the service principal has no custom claims policy) means "none",
// any other error — a 400 included: a bad request is not an absent policy —
// is returned.
func Resolve(attached []MappingPolicy, custom func() ([]byte, error)) (domain.EmailClaimState, error) {
	if len(attached) > 1 {
		var names []string
		for _, p := range attached {
			names = append(names, p.ID+" ("+p.Name+")")
		}
		return domain.EmailClaimState{}, domain.Errorf(domain.ECONFLICT,
			"%d claims mapping policies are attached to the Aircall app's service principal (%s) and Entra applies only one: detach all but one, or run provision, which attaches its own and detaches the others",
			len(attached), strings.Join(names, ", "))
	}
	var st domain.EmailClaimState
	if len(attached) == 1 {
		st.PolicyID, st.PolicyName = attached[0].ID, attached[0].Name
		if src := MappingSource(attached[0].Definition); src != "" {
			st.ClaimConfig = domain.ClaimConfig{Source: src, Origin: domain.ClaimOriginMappingPolicy}
			return st, nil
		}
	}
	doc, err := custom()
	if err != nil && !domain.IsCode(err, domain.ENOTFOUND) {
		return domain.EmailClaimState{}, err
	}
	if src := CustomPolicySource(doc); err == nil && src != "" {
		st.ClaimConfig = domain.ClaimConfig{Source: src, Origin: domain.ClaimOriginClaimsPolicy}
		return st, nil
	}
	st.ClaimConfig = domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault}
	return st, nil
}
