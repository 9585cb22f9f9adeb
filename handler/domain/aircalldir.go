package domain

import (
	"context"
	"errors"
	"time"
)

// AircallUser is one user of the Aircall company, as Aircall's Public API
// lists it (docs/aircall.md, "Users"). Email is the address Aircall matches
// the SAML emailaddress claim against when someone signs in with SSO.
type AircallUser struct {
	// ID is Aircall's numeric user id.
	ID int64
	// Name is the user's display name in Aircall.
	Name string
	// Email is the user's login email in Aircall, as stored (letter case kept).
	Email string
	// CreatedAt is when the user was created in Aircall (second precision).
	CreatedAt time.Time
}

// AircallWindow bounds a listing on the users' creation time: From is
// inclusive, Before exclusive; a zero bound is open. An incremental refresh
// passes From = the newest CreatedAt of the previous listing (users created
// in that very second are listed again; callers deduplicate on ID).
type AircallWindow struct {
	From   time.Time
	Before time.Time
}

// Contains reports whether t falls in the window.
func (w AircallWindow) Contains(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.Before.IsZero() || t.Before(w.Before))
}

// ErrAircallCredentials is in the chain of the error every AircallDirectory
// method returns when Aircall refuses the API key (HTTP 401): the settings
// AIRCALL_API_ID and AIRCALL_API_TOKEN are wrong or the key was deleted.
// Callers test it with errors.Is to say "the Aircall checks are off".
var ErrAircallCredentials = errors.New("aircall: the API key (AIRCALL_API_ID / AIRCALL_API_TOKEN) was refused")

// AircallDirectory reads the users of one Aircall company. It only reads.
//
// Every method returns nil or an *Error: EUPSTREAM wrapping
// ErrAircallCredentials when the API key is refused (with Field naming
// AIRCALL_API_ID / AIRCALL_API_TOKEN), EFORBIDDEN when the key may not read
// users, EUNAVAILABLE when Aircall still throttles or fails after the
// retries (or ctx ended), and EUPSTREAM for answers that break the API's
// contract (malformed JSON, an oversized body, a link off the configured
// host, more than the API lets one query list in one second).
type AircallDirectory interface {
	// Ping checks that Aircall accepts the credentials (GET /v1/ping).
	Ping(ctx context.Context) error
	// ListUsers calls fn once for every user created in w, in no
	// particular order, one page in memory at a time: all of them, even
	// past the API's 10,000-records-per-query cap. An error returned by fn
	// stops the listing and is returned unchanged. After an error some
	// users may have been handed to fn already.
	ListUsers(ctx context.Context, w AircallWindow, fn func(*AircallUser) error) error
	// FindUserByEmail returns the user whose Email equals email, compared
	// without regard to letter case and surrounding space, or ENOTFOUND.
	FindUserByEmail(ctx context.Context, email string) (AircallUser, error)
}
