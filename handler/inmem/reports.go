package inmem

import (
	"context"
	"slices"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Reports is an in-memory domain.ReportStore: files by report name, each
// written once.
type Reports struct {
	mu    sync.Mutex
	files map[string]domain.ReportFile // by "name/file"
	index struct {                     // the run summary index (reportindex.go)
		data []byte
		etag string
		seq  int
	}
}

var _ domain.ReportStore = (*Reports)(nil)

// NewReports returns an empty report store.
func NewReports() *Reports { return &Reports{files: map[string]domain.ReportFile{}} }

// PutReport stores the files not stored yet and returns their locations,
// "memory/{name}/{file}".
func (r *Reports) PutReport(ctx context.Context, name string, files []domain.ReportFile) ([]string, error) {
	if !domain.ValidReportName(name) {
		return nil, domain.Errorf(domain.EINVALID, "inmem: invalid report name %q", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(files))
	for _, f := range files {
		if !domain.ValidReportName(f.Name) {
			return out, domain.Errorf(domain.EINVALID, "inmem: invalid report file name %q", f.Name)
		}
		key := name + "/" + f.Name
		if _, ok := r.files[key]; !ok {
			f.Data = slices.Clone(f.Data)
			r.files[key] = f
		}
		out = append(out, "memory/"+key)
	}
	return out, nil
}

// File returns a stored file.
func (r *Reports) File(name, file string) (domain.ReportFile, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.files[name+"/"+file]
	return f, ok
}
