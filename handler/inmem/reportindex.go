package inmem

import (
	"context"
	"slices"
	"strconv"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

var _ domain.ReportLibrary = (*Reports)(nil)

// ReadReportFile returns a copy of a stored file's content, or ENOTFOUND.
func (r *Reports) ReadReportFile(ctx context.Context, name, file string) ([]byte, error) {
	if !domain.ValidReportName(name) || !domain.ValidReportName(file) {
		return nil, domain.Errorf(domain.EINVALID, "inmem: invalid report file %q/%q", name, file)
	}
	f, ok := r.File(name, file)
	if !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "inmem: report file %s/%s not found", name, file)
	}
	return slices.Clone(f.Data), nil
}

// LoadRunIndex returns a copy of the index and its ETag, or ENOTFOUND.
func (r *Reports) LoadRunIndex(ctx context.Context) ([]byte, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.index.etag == "" {
		return nil, "", domain.Errorf(domain.ENOTFOUND, "inmem: no run summary index yet")
	}
	return slices.Clone(r.index.data), r.index.etag, nil
}

// SaveRunIndex creates (etag "") or replaces the version etag; ECONFLICT
// otherwise.
func (r *Reports) SaveRunIndex(ctx context.Context, data []byte, etag string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", domain.Wrap(domain.EUNAVAILABLE, err, "inmem: save the run summary index")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case etag == "" && r.index.etag != "":
		return "", domain.Errorf(domain.ECONFLICT, "inmem: the run summary index already exists")
	case etag != "" && r.index.etag != etag:
		return "", domain.Errorf(domain.ECONFLICT, "inmem: the run summary index changed since it was read")
	}
	r.index.seq++
	r.index.data = slices.Clone(data)
	r.index.etag = `"i` + strconv.Itoa(r.index.seq) + `"`
	return r.index.etag, nil
}
