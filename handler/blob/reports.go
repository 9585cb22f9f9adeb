package blob

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Reports is the domain.ReportStore on blobs: each audit report's files
// under "reports/audit/{name}/" (report.json, findings.csv, report.html),
// written once and never overwritten.
type Reports struct{ s *Store }

// Reports returns the store's audit report store.
func (s *Store) Reports() *Reports { return &Reports{s: s} }

var _ domain.ReportStore = (*Reports)(nil)

// ReportPrefix is where audit reports are stored in the container.
const ReportPrefix = "reports/audit/"

// PutReport stores the files under ReportPrefix + name + "/" and returns
// where, as "container/blob name". A file that already exists is left as it is (a retried
// invocation writes the same report).
func (r *Reports) PutReport(ctx context.Context, name string, files []domain.ReportFile) ([]string, error) {
	if !domain.ValidReportName(name) {
		return nil, domain.Errorf(domain.EINVALID, "blob: invalid report name %q", name)
	}
	if err := r.s.EnsureContainer(ctx); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		if !domain.ValidReportName(f.Name) {
			return out, domain.Errorf(domain.EINVALID, "blob: invalid report file name %q", f.Name)
		}
		path := ReportPrefix + name + "/" + f.Name
		bb := r.s.cc.NewBlockBlobClient(path)
		_, err := bb.Upload(ctx, nopSeekCloser(f.Data), &blockblob.UploadOptions{
			HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr(f.ContentType), BlobCacheControl: to.Ptr("no-cache")},
			AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{
				IfNoneMatch: to.Ptr(azcore.ETagAny)}},
		})
		if err != nil && !domain.IsCode(translate(err, ""), domain.ECONFLICT) {
			return out, translate(err, "store report file %s/%s", name, f.Name)
		}
		out = append(out, r.s.container+"/"+path)
	}
	return out, nil
}
