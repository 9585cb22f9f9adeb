package aircallsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GenerateUsers returns n users with ids 1..n and emails user<i>@example.com,
// created from start over span in ascending order (second precision, so
// when n exceeds span in seconds several users share a second), drawn from
// seed.
func GenerateUsers(seed int64, n int, start time.Time, span time.Duration) []User {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e0))
	out := make([]User, n)
	for i := range out {
		off := time.Duration(float64(span) * (float64(i) + rng.Float64()) / float64(max(n, 1)))
		out[i] = User{ID: int64(i + 1), Name: fmt.Sprintf("User %d", i+1), Email: fmt.Sprintf("user%d@example.com", i+1),
			CreatedAt: start.Add(off).UTC().Truncate(time.Second)}
	}
	return out
}

// Person is one simulated Entra user the mirror starts from.
type Person struct {
	UPN, Mail, Name string
}

// Drift sets the share (0..1) of people whose Aircall user drifted in each
// way, drawn independently per person from the seed; the rest get an
// Aircall user whose email is exactly the UPN.
type Drift struct {
	// Mail: the Aircall user was created with the person's mail (the
	// seed's failure when the claim is the UPN and mail ≠ UPN). People
	// without a mail get the UPN instead.
	Mail float64
	// Missing: the person has no Aircall user.
	Missing float64
	// Case: the email is right but differs in letter case.
	Case float64
	// Extra is the number of Aircall users with no Entra counterpart.
	Extra int
	// Domain is the domain of the extra users' emails (default
	// "contractors.example").
	Domain string
}

// Origin says how the mirror made one Aircall user, or why a person has
// none: the ground truth tests compare findings with.
type Origin struct {
	// Person is the index in the people given to Mirror, -1 for extras.
	Person int
	// Kind is "upn", "mail", "missing" or "extra".
	Kind string
	// Cased is true when the email's letter case was changed.
	Cased bool
	// UserID is the Aircall user's id (0 for "missing").
	UserID int64
}

// Mirror returns the Aircall users of a company whose people are those
// given, with drift d drawn from seed, ids from firstID, created from start
// one minute apart; and one Origin per person (in order) then per extra.
func Mirror(seed int64, people []Person, d Drift, firstID int64, start time.Time) ([]User, []Origin) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x41c))
	if d.Domain == "" {
		d.Domain = "contractors.example"
	}
	var users []User
	var origins []Origin
	id := firstID
	add := func(name, email string, o Origin) {
		o.UserID = id
		users = append(users, User{ID: id, Name: name, Email: email, CreatedAt: start.Add(time.Duration(len(users)) * time.Minute).UTC()})
		origins = append(origins, o)
		id++
	}
	for i, p := range people {
		xMissing, xMail, xCase := rng.Float64(), rng.Float64(), rng.Float64()
		if xMissing < d.Missing {
			origins = append(origins, Origin{Person: i, Kind: "missing"})
			continue
		}
		o := Origin{Person: i, Kind: "upn"}
		email := p.UPN
		if xMail < d.Mail && p.Mail != "" {
			o.Kind, email = "mail", p.Mail
		}
		if xCase < d.Case {
			o.Cased, email = true, recase(email)
		}
		name := p.Name
		if name == "" {
			name, _, _ = strings.Cut(p.UPN, "@")
		}
		add(name, email, o)
	}
	for j := 0; j < d.Extra; j++ {
		add(fmt.Sprintf("Contractor %d", j+1), fmt.Sprintf("contractor%d@%s", j+1, d.Domain), Origin{Person: -1, Kind: "extra"})
	}
	return users, origins
}

// recase changes the letter case of an email the way people type it: the
// local part capitalised, the domain upper-cased.
func recase(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return strings.ToUpper(email)
	}
	return strings.ToUpper(local[:1]) + local[1:] + "@" + strings.ToUpper(domain)
}
