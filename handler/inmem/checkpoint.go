package inmem

import (
	"context"
	"sort"
	"strconv"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Checkpoints is an in-memory domain.CheckpointStore with ETags.
type Checkpoints struct {
	mu   sync.Mutex
	data map[string]checkpoint
	seq  int
}

type checkpoint struct {
	data []byte
	etag string
}

// NewCheckpoints returns an empty store.
func NewCheckpoints() *Checkpoints { return &Checkpoints{data: map[string]checkpoint{}} }

// Load returns a copy of the document and its ETag, or ENOTFOUND.
func (c *Checkpoints) Load(ctx context.Context, key string) ([]byte, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.data[key]
	if !ok {
		return nil, "", domain.Errorf(domain.ENOTFOUND, "checkpoint %q not found", key)
	}
	return append([]byte(nil), cp.data...), cp.etag, nil
}

// Save creates (etag "") or replaces the version etag; ECONFLICT otherwise.
func (c *Checkpoints) Save(ctx context.Context, key string, data []byte, etag string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", domain.Wrap(domain.EUNAVAILABLE, err, "save checkpoint %q", key)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, exists := c.data[key]
	switch {
	case etag == "" && exists:
		return "", domain.Errorf(domain.ECONFLICT, "checkpoint %q already exists", key)
	case etag != "" && (!exists || cur.etag != etag):
		return "", domain.Errorf(domain.ECONFLICT, "checkpoint %q changed since it was read", key)
	}
	c.seq++
	cp := checkpoint{data: append([]byte(nil), data...), etag: `"` + strconv.Itoa(c.seq) + `"`}
	c.data[key] = cp
	return cp.etag, nil
}

// Delete removes key; absent keys are fine.
func (c *Checkpoints) Delete(ctx context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.data, key)
	return nil
}

// Keys lists the stored keys, sorted (for tests that check what a job
// leaves behind).
func (c *Checkpoints) Keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.data))
	for k := range c.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
