package blob

import (
	"context"
	"io"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// RunIndexBlob is the run summary index's blob: beside the reports, not
// among them (a report name is a folder under ReportPrefix).
const RunIndexBlob = "reports/audit-index.json"

var _ domain.ReportLibrary = (*Reports)(nil)

// ReadReportFile returns one stored report file (ReportPrefix + name + "/" +
// file), at most 64 MiB; ENOTFOUND when absent.
func (r *Reports) ReadReportFile(ctx context.Context, name, file string) ([]byte, error) {
	if !domain.ValidReportName(name) || !domain.ValidReportName(file) {
		return nil, domain.Errorf(domain.EINVALID, "blob: invalid report file %q/%q", name, file)
	}
	resp, err := r.s.cc.NewBlockBlobClient(ReportPrefix+name+"/"+file).DownloadStream(ctx, nil)
	if err != nil {
		return nil, translate(err, "read report file %s/%s", name, file)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, translate(err, "read report file %s/%s", name, file)
	}
	return data, nil
}

// LoadRunIndex returns the run summary index and its ETag, or ENOTFOUND.
func (r *Reports) LoadRunIndex(ctx context.Context) ([]byte, string, error) {
	return loadDoc(ctx, r.s.cc.NewBlockBlobClient(RunIndexBlob), "the run summary index")
}

// SaveRunIndex creates (etag "") or replaces the version etag of the index.
func (r *Reports) SaveRunIndex(ctx context.Context, data []byte, etag string) (string, error) {
	return r.s.saveDoc(ctx, r.s.cc.NewBlockBlobClient(RunIndexBlob), data, etag, "the run summary index")
}
