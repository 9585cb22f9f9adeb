// Package aircallsim is a local stand-in for Aircall's Public API
// (https://developer.aircall.io/api-references/): enough of it to exercise
// the real adapter in handler/aircall over the wire without an Aircall
// company. It serves one company on loopback plain http: HTTP Basic auth,
// GET /v1/ping, the users list (GET /v1/users and GET /v2/users, same
// envelope) with page/per_page, the meta object and its links, the
// 10,000-records-per-query cap, from/to/order on created_at, one user by id
// or email, and a leaky bucket per company answering 429 with the
// X-AircallApi-* headers. On demand it injects 429s, 503s and connection
// resets from a seed, and Mirror generates an Aircall user list from a
// simulated Entra tenant with realistic drift (emails that are the mail,
// the UPN, missing, extra, or differ in letter case).
//
// Every behaviour is one row of Rules, naming the Aircall documentation page
// it follows; where the page is silent the row says which choice was made.
// docs/aircall.md is the prose version.
//
// Test and demo code only: the production binary under handler/ must never
// import this package, and nothing here is a security boundary.
//
// Use from a Go test:
//
//	srv := aircallsim.New(aircallsim.Options{Users: aircallsim.GenerateUsers(1, 25000, start, 90*24*time.Hour)})
//	if err := srv.Start(); err != nil { t.Fatal(err) }
//	defer srv.Close()
//	// base URL srv.URL(), credentials srv.APIID() / srv.APIToken()
package aircallsim
