package graphsim

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
)

// Mix sets the share (0..1) of generated users that carry each problem the
// audit looks for, and how users get access to the seeded Aircall app.
// Shares are drawn independently per user from the seed, so a 1,000-user
// tenant with UPNMismatch 0.1 has about, not exactly, 100 such users: ask
// Tenant.Truth for the exact ground truth.
type Mix struct {
	// UPNMismatch: mail is set but differs from userPrincipalName.
	UPNMismatch float64
	// MailMissing: mail is null (never together with UPNMismatch).
	MailMissing float64
	// Guests: userType Guest with a #EXT# UPN (mail is the external address).
	Guests float64
	// Disabled: accountEnabled false.
	Disabled float64
	// CaseOnly: mail equals the UPN except for letter case (not a problem).
	CaseOnly float64

	// App seeds a configured Aircall app (display name "Aircall", tagged
	// with domain.ManagedTag) when true; it is also seeded whenever
	// DirectAssigned or GroupAssigned is above zero.
	App bool
	// DirectAssigned: the user is assigned to the app directly.
	DirectAssigned float64
	// GroupAssigned: the user is a direct member of one of the Groups
	// assigned to the app.
	GroupAssigned float64
	// NestedOnly: the user is only a member of a group nested in an
	// assigned group; nested groups do not grant access.
	NestedOnly float64
	// Groups is the number of assigned groups (default 1 when GroupAssigned
	// is set); a nested group is added when NestedOnly is set.
	Groups int
}

// Problem is a set of the sign-in problems a generated user has.
type Problem uint8

// The problems a generated user can have.
const (
	ProblemUPNMismatch Problem = 1 << iota
	ProblemMailMissing
	ProblemGuest
	ProblemDisabled
)

// String lists the problems, e.g. "upn-mismatch,guest".
func (p Problem) String() string {
	var out []string
	for _, x := range []struct {
		p Problem
		n string
	}{{ProblemUPNMismatch, "upn-mismatch"}, {ProblemMailMissing, "mail-missing"}, {ProblemGuest, "guest"}, {ProblemDisabled, "disabled"}} {
		if p&x.p != 0 {
			out = append(out, x.n)
		}
	}
	return strings.Join(out, ",")
}

// Access says how a generated user reaches the seeded app.
type Access uint8

// How a generated user reaches the seeded app.
const (
	AccessNone       Access = iota
	AccessDirect            // assigned directly
	AccessGroup             // direct member of an assigned group
	AccessNestedOnly        // only in a nested group: no access
)

// Truth is the generator's ground truth for one generated user, as
// generated (later changes through the Tenant are not reflected).
type Truth struct {
	Index    int
	User     User
	Problems Problem
	Access   Access
	// Group is the id of the group the user is a direct member of, if any.
	Group string
}

// generator derives users from the seed and an index: nothing per user is
// stored. Users are produced in ascending userPrincipalName order (compared
// case-insensitively), so UPN ranges map to index ranges.
type generator struct {
	seed   int64
	n      int
	mix    Mix
	domain string // verified domain, e.g. contoso.com
	tenant string // initial domain, e.g. contoso.onmicrosoft.com
	// space is len(firstNames)*len(lastNames)*serials; index i maps to
	// position i*space/n, strictly increasing because space >= n.
	serials, width int
	serialStr      []string // zero-padded serial suffixes
	space          uint64
	groups         []string // assigned group ids
	nested         string   // nested group id ("" when none)
}

var firstNames = []string{"Aaron", "Ada", "Adele", "Alan", "Alex", "Alice", "Amir", "Ana", "Ann", "Anna", "Ben", "Bo",
	"Carla", "Chen", "Chloe", "Dan", "Dana", "Diego", "Eva", "Femi", "Grace", "Hana", "Hugo", "Ian", "Ines", "Ivan",
	"Jade", "Jin", "Joao", "Kai", "Karl", "Lea", "Leo", "Lina", "Luca", "Mai", "Marc", "Maria", "Mei", "Nadia",
	"Nina", "Noah", "Olga", "Omar", "Paul", "Pia", "Quinn", "Raj", "Rosa", "Sara", "Sven", "Tara", "Tom", "Uma",
	"Vera", "Wei", "Will", "Xavi", "Yara", "Yuki", "Zoe", "Zora"}

var lastNames = []string{"Abe", "Adams", "Ali", "Bauer", "Becker", "Brown", "Bruno", "Costa", "Cruz", "Dias", "Diaz",
	"Dubois", "Eng", "Evans", "Faure", "Fischer", "Garcia", "Gomez", "Gray", "Green", "Hall", "Hansen", "Ito",
	"Jensen", "Jones", "Kato", "Khan", "Kim", "King", "Klein", "Lam", "Lee", "Leeds", "Lopez", "Martin", "Meyer",
	"Moreau", "Muller", "Nagy", "Nash", "Ng", "Novak", "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Perez", "Petit",
	"Quinn", "Reyes", "Rossi", "Roux", "Ruiz", "Sato", "Schmidt", "Silva", "Smith", "Sousa", "Tanaka", "Torres",
	"Urban", "Vega", "Wagner", "Walsh", "Wang", "Weber", "Wong", "Xu", "Yang", "Young", "Zhang", "Zimmer"}

func newGenerator(seed int64, n int, mix Mix, tenantID string) *generator {
	g := &generator{seed: seed, n: n, mix: mix, domain: "contoso.com", tenant: "contoso.onmicrosoft.com"}
	combos := len(firstNames) * len(lastNames)
	g.serials = 1
	if n > combos {
		g.serials = (n + combos - 1) / combos
	}
	if g.serials > 1 {
		g.width = len(strconv.Itoa(g.serials - 1))
	}
	g.space = uint64(combos) * uint64(g.serials)
	g.serialStr = make([]string, g.serials)
	if g.width > 0 {
		for k := range g.serialStr {
			v := strconv.Itoa(k)
			g.serialStr[k] = strings.Repeat("0", g.width-len(v)) + v
		}
	}
	if mix.GroupAssigned > 0 && mix.Groups <= 0 {
		g.mix.Groups = 1
	}
	for k := 0; k < g.mix.Groups; k++ {
		g.groups = append(g.groups, g.guid(uint64(k), 0x6772)) // "gr"
	}
	if mix.NestedOnly > 0 {
		g.nested = g.guid(0, 0x6e65) // "ne"
	}
	return g
}

// mix64 is splitmix64's finalizer.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// draw returns a deterministic number in [0,1) for user i and purpose k.
func (g *generator) draw(i int, k uint64) float64 {
	h := mix64(uint64(g.seed) ^ mix64(uint64(i)*0x100+k))
	return float64(h>>11) / float64(1<<53)
}

// guid derives a GUID from the seed, a number and a salt.
func (g *generator) guid(i, salt uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], mix64(uint64(g.seed)^mix64(i^salt<<48)))
	binary.BigEndian.PutUint64(b[8:16], mix64(uint64(g.seed)+mix64(i+salt)))
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// userID is user i's object id: ten pseudo-random bytes, then i masked by
// a hash of those bytes, so indexOf can invert it without a table.
func (g *generator) userID(i int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], mix64(uint64(g.seed)^mix64(uint64(i)*2+1)))
	binary.BigEndian.PutUint16(b[8:10], uint16(mix64(uint64(g.seed)+uint64(i))))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	mask := mix64(binary.BigEndian.Uint64(b[0:8]) ^ uint64(g.seed))
	var tail [8]byte
	binary.BigEndian.PutUint64(tail[:], (uint64(i)^mask)&0xffffffffffff)
	copy(b[10:16], tail[2:8])
	return formatGUID(b)
}

// indexOf returns the generated index whose id is id, or -1.
func (g *generator) indexOf(id string) int {
	if len(id) != 36 {
		return -1
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(raw) != 16 {
		return -1
	}
	mask := mix64(binary.BigEndian.Uint64(raw[0:8]) ^ uint64(g.seed))
	var tail [8]byte
	copy(tail[2:8], raw[10:16])
	i := (binary.BigEndian.Uint64(tail[:]) ^ mask) & 0xffffffffffff
	if i >= uint64(g.n) || g.userID(int(i)) != strings.ToLower(id) {
		return -1
	}
	return int(i)
}

// names returns user i's first name, last name and serial suffix.
func (g *generator) names(i int) (string, string, string) {
	p := uint64(i) * g.space / uint64(g.n)
	serial := p % uint64(g.serials)
	p /= uint64(g.serials)
	k := p % uint64(len(lastNames))
	j := p / uint64(len(lastNames))
	return firstNames[j], lastNames[k], g.serialStr[serial]
}

// upnKey is the lower-case UPN of generated user i (the sort key).
func (g *generator) upnKey(i int) string {
	f, l, s := g.names(i)
	if g.draw(i, 3) < g.mix.Guests {
		return strings.ToLower(f + "." + l + s + "_fabrikam.com#ext#@" + g.tenant)
	}
	return strings.ToLower(f + "." + l + s + "@" + g.domain)
}

// truth generates user i and its ground truth.
func (g *generator) truth(i int) Truth {
	f, l, s := g.names(i)
	u := User{
		ID:             g.userID(i),
		DisplayName:    f + " " + l + s,
		GivenName:      f,
		Surname:        l,
		AccountEnabled: true,
		UserType:       "Member",
	}
	t := Truth{Index: i}
	guest := g.draw(i, 3) < g.mix.Guests
	if guest {
		t.Problems |= ProblemGuest
		u.UserType = "Guest"
		local := strings.ToLower(f + "." + l + s)
		ext := local + "@fabrikam.com"
		u.UserPrincipalName = local + "_fabrikam.com#EXT#@" + g.tenant
		u.Mail = ext
		u.ProxyAddresses = []string{"SMTP:" + ext}
	} else {
		// One allocation for the proxy address, the UPN and the mail.
		smtp := "SMTP:" + f + "." + l + s + "@" + g.domain
		u.UserPrincipalName = smtp[len("SMTP:"):]
		u.Mail = u.UserPrincipalName
		u.ProxyAddresses = []string{smtp}
		switch d := g.draw(i, 1); {
		case d < g.mix.MailMissing:
			t.Problems |= ProblemMailMissing
			u.Mail = ""
			u.ProxyAddresses = []string{}
		case d < g.mix.MailMissing+g.mix.UPNMismatch:
			t.Problems |= ProblemUPNMismatch
			u.Mail = strings.ToLower(f[:1]+l+s) + "@contoso.fr"
			u.ProxyAddresses = []string{"SMTP:" + u.Mail, "smtp:" + u.UserPrincipalName}
		case d < g.mix.MailMissing+g.mix.UPNMismatch+g.mix.CaseOnly:
			u.Mail = strings.ToLower(u.UserPrincipalName)
			u.ProxyAddresses = []string{"SMTP:" + u.Mail}
		}
	}
	if g.draw(i, 4) < g.mix.Disabled {
		t.Problems |= ProblemDisabled
		u.AccountEnabled = false
	}
	t.Access, t.Group = g.access(i)
	t.User = u
	return t
}

// access says how generated user i reaches the seeded app (cheap: no
// user is generated).
func (g *generator) access(i int) (Access, string) {
	switch a := g.draw(i, 5); {
	case a < g.mix.DirectAssigned:
		return AccessDirect, ""
	case a < g.mix.DirectAssigned+g.mix.GroupAssigned && len(g.groups) > 0:
		return AccessGroup, g.groups[int(g.draw(i, 6)*float64(len(g.groups)))]
	case a < g.mix.DirectAssigned+g.mix.GroupAssigned+g.mix.NestedOnly && g.nested != "":
		return AccessNestedOnly, g.nested
	}
	return AccessNone, ""
}

// lowerBound returns the first index whose UPN key is >= key.
func (g *generator) lowerBound(key string) int {
	lo, hi := 0, g.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if g.upnKey(m) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
