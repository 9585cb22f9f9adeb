package audit

import (
	"context"
	"fmt"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// aircallNewUsers closes, for a delta run, the gap of Aircall-side
// changes (docs/audit.md, "Aircall's side"): a delta reads only the people
// whose Entra user changed, so a user created in Aircall since the last
// run — with someone's mail instead of their claim value, or at last for a
// person reported user-missing — would wait for the next full scan. Each
// Aircall user the refresh added is looked up in Entra ID by UPN or mail
// (one Graph request each, People.FindUser); the person found is checked
// again with every rule, as if the delta had read them. A new Aircall user
// that matches nobody that way (or only an SMTP alias) is left to the next
// full scan, which decides no-entra-access.
func (s *invocation) aircallNewUsers(ctx context.Context, p *aircallPass) error {
	j := s.j
	if !p.usable() || len(p.added) == 0 || j.People == nil {
		return nil
	}
	var (
		found   []domain.Finding
		changed []uint64
		failed  int
	)
	for _, i := range p.added {
		email := strings.TrimSpace(p.idx.User(i).Email)
		if email == "" {
			continue
		}
		u, _, err := j.People.FindUser(ctx, email)
		switch {
		case domain.IsCode(err, domain.ENOTFOUND), domain.IsCode(err, domain.EINVALID):
			continue
		case err != nil:
			failed++
			s.log.Warn("audit: could not look up the person of a new Aircall user", "aircallUserId", p.idx.User(i).ID, "error", err.Error())
			continue
		}
		changed = append(changed, subjectHash(u.ID))
		s.read.eval.check(&u, &found)
	}
	if failed > 0 {
		s.rec.note(fmt.Sprintf("%d new Aircall user(s) could not be looked up in Entra ID; the next full scan checks them", failed))
	}
	if len(changed) == 0 {
		return nil
	}
	s.log.Info("audit: people of new Aircall users checked again", "aircallUsers", len(p.added), "people", len(changed))
	return s.rec.commit(ctx, found, changed, nil, func(*runState) {})
}
