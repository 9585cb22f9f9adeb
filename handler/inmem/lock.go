package inmem

import (
	"context"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Lock is an in-process domain.Lock with expiring leases.
type Lock struct {
	mu   sync.Mutex
	held map[string]*lockLease
	now  func() time.Time
}

// NewLock returns an empty lock table.
func NewLock() *Lock { return &Lock{held: map[string]*lockLease{}, now: time.Now} }

type lockLease struct {
	l       *Lock
	name    string
	ttl     time.Duration
	until   time.Time
	release bool
}

// Acquire takes name for ttl or fails with ECONFLICT while another holds it.
func (l *Lock) Acquire(ctx context.Context, name string, ttl time.Duration) (domain.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, domain.Wrap(domain.EUNAVAILABLE, err, "acquire lock %q", name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.held[name]; ok && !cur.release && l.now().Before(cur.until) {
		return nil, domain.Wrap(domain.ECONFLICT, domain.ErrBusy, "another run holds the %q lock; try again when it has finished", name)
	}
	if ttl < 15*time.Second {
		ttl = 15 * time.Second
	}
	ls := &lockLease{l: l, name: name, ttl: ttl, until: l.now().Add(ttl)}
	l.held[name] = ls
	return ls, nil
}

func (ls *lockLease) Renew(ctx context.Context) error {
	ls.l.mu.Lock()
	defer ls.l.mu.Unlock()
	if ls.l.held[ls.name] != ls || ls.release {
		return domain.Errorf(domain.ECONFLICT, "lock %q is no longer held", ls.name)
	}
	ls.until = ls.l.now().Add(ls.ttl)
	return nil
}

func (ls *lockLease) Release(ctx context.Context) error {
	ls.l.mu.Lock()
	defer ls.l.mu.Unlock()
	if ls.l.held[ls.name] != ls || ls.release {
		return domain.Errorf(domain.ECONFLICT, "lock %q is no longer held", ls.name)
	}
	ls.release = true
	delete(ls.l.held, ls.name)
	return nil
}

// Break drops the lease on name as if it had expired and another holder had
// taken it: the holder's next Renew fails with ECONFLICT.
func (l *Lock) Break(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, name)
}
