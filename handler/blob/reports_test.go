package blob_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestReportStoreConformance(t *testing.T) {
	porttest.ReportStore(t, func(t *testing.T) porttest.ReportStoreHarness {
		s := newStore(t)
		return porttest.ReportStoreHarness{Store: s.Reports(), Read: func(t *testing.T, name, file string) ([]byte, string, bool) {
			resp, err := s.ContainerClient().NewBlobClient(blob.ReportPrefix+name+"/"+file).DownloadStream(context.Background(), nil)
			if bloberror.HasCode(err, bloberror.BlobNotFound) {
				return nil, "", false
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			ct := ""
			if resp.ContentType != nil {
				ct = *resp.ContentType
			}
			return body, ct, true
		}}
	})
}

// TestReportLocationsNameTheBlobs: a location is "container/blob name".
func TestReportLocationsNameTheBlobs(t *testing.T) {
	s := newStore(t)
	files := []domain.ReportFile{{Name: "report.html", ContentType: "text/html; charset=utf-8", Data: []byte("<p>ok</p>")}}
	where, err := s.Reports().PutReport(context.Background(), "20261128T010000Z-full-1", files)
	if err != nil || len(where) != 1 || !strings.Contains(where[0], blob.ReportPrefix+"20261128T010000Z-full-1/report.html") {
		t.Fatalf("put: %v %v", where, err)
	}
}
