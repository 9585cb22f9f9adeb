package domain

import "context"

// AssignmentKind says whether and how a user may use the Aircall app.
// Entra ID lets a user sign in when assigned directly, or when a DIRECT member
// of an assigned group: membership through a nested group does not count.
type AssignmentKind string

// Assignment kinds. The zero value means "not checked".
const (
	// AssignmentUnknown means assignment was not looked up; rules that need
	// it are skipped.
	AssignmentUnknown AssignmentKind = ""
	// AssignmentNone means neither the user nor a group the user is a direct
	// member of is assigned to the app: sign-in is refused by Entra ID.
	AssignmentNone AssignmentKind = "none"
	// AssignmentDirect means the user is assigned to the app.
	AssignmentDirect AssignmentKind = "direct"
	// AssignmentGroup means a group the user is a direct member of is assigned.
	AssignmentGroup AssignmentKind = "group"
)

// Assignment is a user's access to the app.
type Assignment struct {
	Kind AssignmentKind `json:"kind"`
	// Group is the display name (or, without one, the object id) of the
	// assigned group that grants access when Kind is AssignmentGroup.
	Group string `json:"group,omitempty"`
}

// ClaimConfig is how the app's SAML emailaddress claim is configured.
type ClaimConfig struct {
	// Source is the user attribute the claim carries.
	Source ClaimSource `json:"source"`
	// Origin names what sets it: "claimsMappingPolicy" (a v1.0 policy, which
	// overrides the portal's Attributes & Claims blade), "claimsPolicy" (the
	// custom claims policy the portal edits) or "default" (nothing configured:
	// Entra sends user.mail).
	Origin string `json:"origin"`
}

// Claim configuration origins.
const (
	ClaimOriginMappingPolicy = "claimsMappingPolicy"
	ClaimOriginClaimsPolicy  = "claimsPolicy"
	ClaimOriginDefault       = "default"
)

// UserDirectory is what the diagnose job needs from Entra ID to explain why
// ONE user cannot sign in to Aircall. It reads; it never changes anything.
// Adapters return EUPSTREAM or EUNAVAILABLE when Graph fails and EFORBIDDEN
// when a Graph permission is missing.
type UserDirectory interface {
	// FindUser returns the user whose userPrincipalName or mail equals key,
	// compared case-insensitively, and whether that user is assigned to the
	// app, directly or through a group they are a direct member of;
	// ENOTFOUND when there is no such user. Adapters answer in one Graph
	// round trip where Graph allows it: a diagnosis waits on this call.
	FindUser(ctx context.Context, key string) (User, Assignment, error)
	// EmailClaim returns the app's current emailaddress claim configuration.
	EmailClaim(ctx context.Context) (ClaimConfig, error)
}
