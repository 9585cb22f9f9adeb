package graphsim

import (
	"bytes"
	"slices"
	"strings"
)

// User is a directory user as the simulator holds it. Empty strings are
// served as JSON null.
type User struct {
	ID                    string
	UserPrincipalName     string
	Mail                  string
	DisplayName           string
	GivenName             string
	Surname               string
	JobTitle              string
	UserType              string // Member or Guest
	AccountEnabled        bool
	ProxyAddresses        []string
	OnPremisesImmutableID string
}

func (u *User) key() string { return strings.ToLower(u.UserPrincipalName) }

// userRec is a user that differs from what the generator would produce:
// changed, deleted, or added by a test.
type userRec struct {
	index   int // generated index, -1 for added users
	u       User
	deleted bool
	// seq is the change sequence number of the last change (delta);
	// fieldSeq per user field, createdSeq and deletedSeq likewise, so a
	// delta round reports only changes to selected properties.
	seq                    uint64
	fieldSeq               [16]uint64
	createdSeq, deletedSeq uint64
}

// userStore holds the generated users lazily plus the records that differ.
// Callers hold Tenant.mu.
type userStore struct {
	gen    *generator
	over   map[int]*userRec    // by generated index
	added  map[string]*userRec // by id
	byKey  map[string]*userRec // live records by lower-case UPN
	extras []*userRec          // live records sorted by (key, id); rebuilt when dirty
	dirty  bool
	seq    uint64
	count  int
	// mailIdx maps generated users' lower-case mail to their indexes,
	// built on first use (see byMail).
	mailIdx map[string][]int
}

// mailIndexMax is the largest generated tenant byMail indexes; larger ones
// are scanned (the index would cost ~100 bytes a user).
const mailIndexMax = 200_000

// byMail returns the live users whose mail equals mail (case-insensitive),
// or ok=false when the tenant is too large to index. Graph indexes mail, so
// an equality lookup must not cost a scan of the tenant: the webhook
// benchmark measures the handler, not the simulator.
func (s *userStore) byMail(mail string) (out []User, ok bool) {
	if s.gen.n > mailIndexMax {
		return nil, false
	}
	if s.mailIdx == nil {
		s.mailIdx = make(map[string][]int, s.gen.n)
		for i := 0; i < s.gen.n; i++ {
			if m := strings.ToLower(s.gen.truth(i).User.Mail); m != "" {
				s.mailIdx[m] = append(s.mailIdx[m], i)
			}
		}
	}
	for _, i := range s.mailIdx[strings.ToLower(mail)] {
		if _, changed := s.over[i]; !changed {
			out = append(out, s.gen.truth(i).User)
		}
	}
	s.each(func(r *userRec) {
		if !r.deleted && r.u.Mail != "" && strings.EqualFold(r.u.Mail, mail) {
			out = append(out, r.u)
		}
	})
	return out, true
}

func newUserStore(g *generator) *userStore {
	return &userStore{gen: g, over: map[int]*userRec{}, added: map[string]*userRec{}, byKey: map[string]*userRec{}, count: g.n}
}

// get returns the live user with id or UPN (case-insensitive).
func (s *userStore) get(idOrUPN string) (User, bool) {
	if r := s.rec(idOrUPN); r != nil && !r.deleted {
		return r.u, true
	}
	if strings.Contains(idOrUPN, "@") {
		k := strings.ToLower(idOrUPN)
		if r, ok := s.byKey[k]; ok && !r.deleted {
			return r.u, true
		}
		i := s.gen.lowerBound(k)
		if i < s.gen.n && s.gen.upnKey(i) == k {
			if _, changed := s.over[i]; !changed {
				return s.gen.truth(i).User, true
			}
		}
		return User{}, false
	}
	if i := s.gen.indexOf(idOrUPN); i >= 0 {
		if _, changed := s.over[i]; !changed {
			return s.gen.truth(i).User, true
		}
	}
	return User{}, false
}

// rec returns the record for id (generated index override or added user).
func (s *userStore) rec(id string) *userRec {
	id = strings.ToLower(id)
	if r, ok := s.added[id]; ok {
		return r
	}
	if i := s.gen.indexOf(id); i >= 0 {
		return s.over[i]
	}
	return nil
}

func (s *userStore) touch(r *userRec, before *User) {
	s.seq++
	r.seq = s.seq
	for i, f := range userFields {
		if before == nil || !bytes.Equal(f.put(nil, before), f.put(nil, &r.u)) {
			r.fieldSeq[i] = s.seq
		}
	}
	s.dirty = true
}

// each calls fn for every record that differs from the generator.
func (s *userStore) each(fn func(*userRec)) {
	for _, r := range s.over {
		fn(r)
	}
	for _, r := range s.added {
		fn(r)
	}
}

// add stores a new user (id already set).
func (s *userStore) add(u User) {
	r := &userRec{index: -1, u: u}
	s.added[strings.ToLower(u.ID)] = r
	s.byKey[u.key()] = r
	s.count++
	s.touch(r, nil)
	r.createdSeq = r.seq
}

// update applies f to the user with id; false when there is none.
func (s *userStore) update(id string, f func(*User)) bool {
	r := s.rec(id)
	if r == nil {
		i := s.gen.indexOf(id)
		if i < 0 {
			return false
		}
		r = &userRec{index: i, u: s.gen.truth(i).User}
		s.over[i] = r
	}
	if r.deleted {
		return false
	}
	delete(s.byKey, r.u.key())
	before := r.u
	before.ProxyAddresses = slices.Clone(r.u.ProxyAddresses)
	f(&r.u)
	r.u.ID = before.ID
	s.byKey[r.u.key()] = r
	s.touch(r, &before)
	return true
}

// remove deletes the user with id; false when there is none.
func (s *userStore) remove(id string) bool {
	if !s.update(id, func(*User) {}) {
		return false
	}
	r := s.rec(id)
	r.deleted = true
	r.deletedSeq = r.seq
	delete(s.byKey, r.u.key())
	s.count--
	return true
}

func cmpRec(a, b *userRec) int {
	if c := strings.Compare(a.u.key(), b.u.key()); c != 0 {
		return c
	}
	return strings.Compare(a.u.ID, b.u.ID)
}

func (s *userStore) sortedExtras() []*userRec {
	if s.dirty {
		s.extras = s.extras[:0]
		for _, r := range s.byKey {
			s.extras = append(s.extras, r)
		}
		slices.SortFunc(s.extras, cmpRec)
		s.dirty = false
	}
	return s.extras
}

// cursor is a position in the users' order: after (key, id).
type cursor struct{ key, id string }

// scan calls fn for live users in (lower UPN, id) order, starting after
// `after` (or at the first key >= from) and stopping before key `to` ("" =
// no end) or when fn returns false; key is the user's lower-case UPN. It
// merges the generated range with the records that differ from it, and
// generates each user once.
func (s *userStore) scan(after cursor, from, to string, fn func(u *User, key string) bool) {
	s.scanWhere(after, from, to, nil, fn)
}

// scanWhere is scan skipping, without generating them, the unchanged
// generated users whose index keep refuses (nil keeps all); changed and
// added users are always passed to fn.
func (s *userStore) scanWhere(after cursor, from, to string, keep func(i int) bool, fn func(u *User, key string) bool) {
	extras := s.sortedExtras()
	start := from
	if after.key > start {
		start = after.key
	}
	i := s.gen.lowerBound(start)
	j, _ := slices.BinarySearchFunc(extras, start, func(r *userRec, k string) int { return strings.Compare(r.u.key(), k) })
	var gu User
	var gk string
	have := false
	for {
		for !have && i < s.gen.n {
			if _, changed := s.over[i]; changed || (keep != nil && !keep(i)) {
				i++
				continue
			}
			gu = s.gen.truth(i).User
			gk = gu.key()
			have = true
		}
		var ex *userRec
		if j < len(extras) {
			ex = extras[j]
		}
		var u User
		var k string
		switch {
		case !have && ex == nil:
			return
		case ex != nil && (!have || ex.u.key() < gk || (ex.u.key() == gk && ex.u.ID < gu.ID)):
			u, k = ex.u, ex.u.key()
			j++
		default:
			u, k = gu, gk
			i++
			have = false
		}
		if to != "" && k >= to {
			return
		}
		if after.key != "" && (k < after.key || (k == after.key && u.ID <= after.id)) {
			continue
		}
		if !fn(&u, k) {
			return
		}
	}
}

// countRange counts live users with lo <= key < hi ("" hi = no end)
// without generating them.
func (s *userStore) countRange(lo, hi string) int {
	ilo, ihi := s.gen.lowerBound(lo), s.gen.n
	if hi != "" {
		ihi = s.gen.lowerBound(hi)
	}
	n := ihi - ilo
	for i := range s.over {
		if i >= ilo && i < ihi {
			n--
		}
	}
	for _, r := range s.sortedExtras() {
		if k := r.u.key(); k >= lo && (hi == "" || k < hi) {
			n++
		}
	}
	return n
}

// lookup answers an equality filter on UPN or mail (see eqKeys) from the
// indexes: the matching live users sorted as the scan serves them, each once.
// ok is false when f is another filter or the tenant is too large.
func (s *userStore) lookup(f *node) (out []User, ok bool) {
	upns, mails, ok := eqKeys(f)
	ids, byID := idKeys(f)
	if !ok && !byID {
		return nil, false
	}
	seen := map[string]bool{}
	add := func(u User) {
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	for _, k := range upns {
		if u, found := s.get(k); found && strings.EqualFold(u.UserPrincipalName, k) {
			add(u)
		}
	}
	for _, id := range ids {
		if u, found := s.get(id); found && strings.EqualFold(u.ID, id) {
			add(u)
		}
	}
	for _, m := range mails {
		us, indexed := s.byMail(m)
		if !indexed {
			return nil, false
		}
		for _, u := range us {
			add(u)
		}
	}
	slices.SortFunc(out, func(a, b User) int {
		if c := strings.Compare(a.key(), b.key()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, true
}

// idKeys reports whether n only tests id against strings (id eq, id in,
// joined by or): Graph looks objects up by id, so the simulator does too.
func idKeys(n *node) (ids []string, ok bool) {
	switch {
	case n.op == "or":
		a, okA := idKeys(n.left)
		b, okB := idKeys(n.right)
		return append(a, b...), okA && okB
	case !strings.EqualFold(n.prop, "id"):
		return nil, false
	case n.op == "eq" && n.val.kind == "string":
		return []string{n.val.s}, true
	case n.op == "in":
		for _, v := range n.vals {
			if v.kind != "string" {
				return nil, false
			}
			ids = append(ids, v.s)
		}
		return ids, true
	}
	return nil, false
}
