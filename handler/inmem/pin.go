package inmem

import (
	"context"
	"strconv"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Pins is an in-memory domain.PinStore with ETags.
type Pins struct {
	mu   sync.Mutex
	pin  *domain.PinnedApp
	etag int
}

var _ domain.PinStore = (*Pins)(nil)

// LoadPin implements domain.PinStore.
func (p *Pins) LoadPin(ctx context.Context) (domain.PinnedApp, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pin == nil {
		return domain.PinnedApp{}, "", domain.Errorf(domain.ENOTFOUND, "no app is pinned")
	}
	return *p.pin, strconv.Itoa(p.etag), nil
}

// SavePin implements domain.PinStore.
func (p *Pins) SavePin(ctx context.Context, pin domain.PinnedApp, etag string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", domain.Wrap(domain.EUNAVAILABLE, err, "save the pinned app")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case etag == "" && p.pin != nil:
		return "", domain.Errorf(domain.ECONFLICT, "an app is already pinned")
	case etag != "" && (p.pin == nil || etag != strconv.Itoa(p.etag)):
		return "", domain.Errorf(domain.ECONFLICT, "the pinned app changed since it was read")
	}
	p.etag++
	p.pin = &pin
	return strconv.Itoa(p.etag), nil
}

// DefaultOwner answers DefaultCaller: the owner identity of an
// AppDirectory's calls (an Owner func for provision).
func DefaultOwner(context.Context) (string, error) { return DefaultCaller, nil }
