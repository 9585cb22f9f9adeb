package porttest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// ReportStoreHarness is one report store under test and a way to read a
// stored file back.
type ReportStoreHarness struct {
	Store domain.ReportStore
	// Read returns a stored file's content and content type; ok is false
	// when there is no such file.
	Read func(t *testing.T, name, file string) (data []byte, contentType string, ok bool)
}

// ReportStore checks a domain.ReportStore: files are stored with their
// content type and their locations returned, one per file, naming the
// report and the file; a report stored again (a retried invocation) is no
// error and keeps the first version; names that could escape the report's
// place are EINVALID.
func ReportStore(t *testing.T, newHarness func(t *testing.T) ReportStoreHarness) {
	ctx := context.Background()
	h := newHarness(t)
	const name = "20261128T010000Z-full-1"
	files := []domain.ReportFile{
		{Name: "report.json", ContentType: "application/json", Data: []byte(`{"runId":"r"}`)},
		{Name: "report.html", ContentType: "text/html; charset=utf-8", Data: []byte("<!doctype html><p>ok</p>")},
	}
	where, err := h.Store.PutReport(ctx, name, files)
	if err != nil || len(where) != len(files) {
		t.Fatalf("put: %v %v, want %d locations", where, err, len(files))
	}
	for i, f := range files {
		if !strings.Contains(where[i], name) || !strings.HasSuffix(where[i], f.Name) {
			t.Errorf("location %q does not name report %s and file %s", where[i], name, f.Name)
		}
		data, ct, ok := h.Read(t, name, f.Name)
		if !ok || !bytes.Equal(data, f.Data) || ct != f.ContentType {
			t.Errorf("stored %s: %q as %q (found %v), want %q as %q", f.Name, data, ct, ok, f.Data, f.ContentType)
		}
	}
	again := append([]domain.ReportFile(nil), files...)
	again[0].Data = []byte(`{"runId":"changed"}`)
	if _, err := h.Store.PutReport(ctx, name, again); err != nil {
		t.Fatalf("second put of the same report: %v", err)
	}
	if data, _, _ := h.Read(t, name, "report.json"); !bytes.Equal(data, files[0].Data) {
		t.Errorf("a second put replaced the report: %q", data)
	}
	for _, bad := range []string{"../x", "a/b", "", strings.Repeat("x", 200)} {
		if _, err := h.Store.PutReport(ctx, bad, files); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("report name %q: %v, want EINVALID", bad, err)
		}
	}
	if _, err := h.Store.PutReport(ctx, "20261128T010000Z-full-2", []domain.ReportFile{{Name: "../x.json"}}); !domain.IsCode(err, domain.EINVALID) {
		t.Errorf("file name ../x.json: %v, want EINVALID", err)
	}
}
