// Package claimsdoc reads and writes the two documents that configure the
// Aircall app's SAML emailaddress claim in Entra ID — a v1.0 claims mapping
// policy definition (what provision writes) and the beta custom claims
// policy the portal's Attributes & Claims blade edits — and holds the one
// rule (Resolve) that says which of them is in effect. Both Graph adapters
// (package graph for provision, package lookup for diagnosis) fetch the
// documents and call Resolve, so they cannot disagree. Pure functions: no
// I/O, no Graph client; it must not learn how the documents are fetched.
package claimsdoc

import (
	"encoding/json"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// MappingDefinition is the claims mapping policy definition that sources the
// emailaddress claim from src; NameID keeps Entra's default (the UPN).
func MappingDefinition(src domain.ClaimSource) string {
	type claim struct {
		Source        string `json:"Source"`
		ID            string `json:"ID"`
		SamlClaimType string `json:"SamlClaimType"`
	}
	def := map[string]any{"ClaimsMappingPolicy": map[string]any{
		"Version": 1, "IncludeBasicClaimSet": "true",
		"ClaimsSchema": []claim{
			{Source: "user", ID: string(src), SamlClaimType: domain.EmailClaimType},
			{Source: "user", ID: string(domain.ClaimFromUPN), SamlClaimType: domain.NameIDClaimType},
		},
	}}
	b, _ := json.Marshal(def)
	return string(b)
}

// MappingSource reads the emailaddress claim's source from claims mapping
// policy definitions ("" when none maps the claim from a user attribute).
func MappingSource(defs []string) domain.ClaimSource {
	for _, def := range defs {
		var p struct {
			ClaimsMappingPolicy struct {
				ClaimsSchema []struct {
					Source        string `json:"Source"`
					ID            string `json:"ID"`
					SamlClaimType string `json:"SamlClaimType"`
				} `json:"ClaimsSchema"`
			} `json:"ClaimsMappingPolicy"`
		}
		if json.Unmarshal([]byte(def), &p) != nil {
			continue
		}
		for _, c := range p.ClaimsMappingPolicy.ClaimsSchema {
			if strings.EqualFold(c.SamlClaimType, domain.EmailClaimType) && strings.EqualFold(c.Source, "user") {
				return domain.ClaimSource(strings.ToLower(c.ID))
			}
		}
	}
	return ""
}

// CustomPolicySource reads the emailaddress claim's source from a custom
// claims policy document (GET /beta/servicePrincipals/{id}/claimsPolicy);
// "" when the document is empty, unreadable or does not source the claim
// from a user attribute. Both shapes Microsoft documents are read: the
// collection {"value":[{…}]} of the API reference
// (learn.microsoft.com/graph/api/serviceprincipal-list-claimspolicy) and the
// bare object of the Entra how-to
// (learn.microsoft.com/entra/identity-platform/saml-claims-customization).
func CustomPolicySource(doc []byte) domain.ClaimSource {
	var coll struct {
		Value []json.RawMessage `json:"value"`
	}
	if len(doc) == 0 || json.Unmarshal(doc, &coll) != nil {
		return ""
	}
	if coll.Value == nil {
		return policySource(doc)
	}
	for _, p := range coll.Value {
		if src := policySource(p); src != "" {
			return src
		}
	}
	return ""
}

// policySource reads one customClaimsPolicy object.
func policySource(doc []byte) domain.ClaimSource {
	var cp struct {
		Claims []struct {
			Name           string `json:"name"`
			Namespace      string `json:"namespace"`
			Configurations []struct {
				Attribute *struct {
					ID     string `json:"id"`
					Source string `json:"source"`
				} `json:"attribute"`
			} `json:"configurations"`
		} `json:"claims"`
	}
	if json.Unmarshal(doc, &cp) != nil {
		return ""
	}
	for _, cl := range cp.Claims {
		full := strings.TrimRight(cl.Namespace, "/") + "/" + cl.Name
		if !strings.EqualFold(full, domain.EmailClaimType) && !(cl.Namespace == "" && strings.EqualFold(cl.Name, "emailaddress")) {
			continue
		}
		for _, cfg := range cl.Configurations {
			if cfg.Attribute != nil && strings.EqualFold(cfg.Attribute.Source, "user") {
				return domain.ClaimSource(strings.ToLower(cfg.Attribute.ID))
			}
		}
	}
	return ""
}
