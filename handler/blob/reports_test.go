package blob_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

func TestReportsAreStoredOnceWithTheirType(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	files := []domain.ReportFile{
		{Name: "report.json", ContentType: "application/json", Data: []byte(`{"runId":"r"}`)},
		{Name: "report.html", ContentType: "text/html; charset=utf-8", Data: []byte("<!doctype html><p>ok</p>")},
	}
	where, err := s.Reports().PutReport(ctx, "20261128T010000Z-full-1", files)
	if err != nil || len(where) != 2 || !strings.Contains(where[1], blob.ReportPrefix+"20261128T010000Z-full-1/report.html") {
		t.Fatalf("put: %v %v", where, err)
	}
	// A retried invocation writes the same report: no error, first version kept.
	files[0].Data = []byte(`{"runId":"changed"}`)
	if _, err := s.Reports().PutReport(ctx, "20261128T010000Z-full-1", files); err != nil {
		t.Fatalf("second put: %v", err)
	}
	bc := s.ContainerClient().NewBlobClient(blob.ReportPrefix + "20261128T010000Z-full-1/report.json")
	resp, err := bc.DownloadStream(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != `{"runId":"r"}` || resp.ContentType == nil || *resp.ContentType != "application/json" {
		t.Errorf("stored %q as %v", body, resp.ContentType)
	}
	for _, bad := range []string{"../x", "a/b", "", strings.Repeat("x", 200)} {
		if _, err := s.Reports().PutReport(ctx, bad, files); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("report name %q: %v, want EINVALID", bad, err)
		}
	}
}
