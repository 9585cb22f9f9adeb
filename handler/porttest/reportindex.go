package porttest

import (
	"bytes"
	"context"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// StoredReports is a report store that reads its reports back.
type StoredReports interface {
	domain.ReportStore
	domain.ReportLibrary
}

// ReportLibrary checks a domain.ReportLibrary that is also the
// domain.ReportStore the reports were put in: a stored file reads back as
// stored; an absent report or file is ENOTFOUND and a hostile name EINVALID;
// the index is ENOTFOUND before it is first saved, is created only once
// (etag ""), and is replaced only with the ETag of the version read, so two
// writers cannot lose each other's run.
func ReportLibrary(t *testing.T, newLibrary func(t *testing.T) StoredReports) {
	ctx := context.Background()
	lib := newLibrary(t)

	if _, _, err := lib.LoadRunIndex(ctx); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("load before the first save: %v, want ENOTFOUND", err)
	}
	const name = "20261128T010000Z-full-a1b2c3-1"
	data := []byte(`{"runId":"20261128T010000Z-full-a1b2c3"}`)
	if _, err := lib.ReadReportFile(ctx, name, "report.json"); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Errorf("read an absent report: %v, want ENOTFOUND", err)
	}
	if _, err := lib.PutReport(ctx, name, []domain.ReportFile{{Name: "report.json", ContentType: "application/json", Data: data}}); err != nil {
		t.Fatal(err)
	}
	if got, err := lib.ReadReportFile(ctx, name, "report.json"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("read back: %q, %v; want %q", got, err, data)
	}
	if _, err := lib.ReadReportFile(ctx, name, "other.json"); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Errorf("read an absent file: %v, want ENOTFOUND", err)
	}
	for _, bad := range [][2]string{{"../x", "report.json"}, {name, "../../checkpoints/audit/known.json"}, {"", "report.json"}, {name, ".hidden"}} {
		if _, err := lib.ReadReportFile(ctx, bad[0], bad[1]); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("read %q/%q: %v, want EINVALID", bad[0], bad[1], err)
		}
	}

	first, err := lib.SaveRunIndex(ctx, []byte(`{"runs":[1]}`), "")
	if err != nil || first == "" {
		t.Fatalf("create the index: %q, %v", first, err)
	}
	if _, err := lib.SaveRunIndex(ctx, []byte(`{"runs":[2]}`), ""); !domain.IsCode(err, domain.ECONFLICT) {
		t.Errorf("create it again: %v, want ECONFLICT", err)
	}
	second, err := lib.SaveRunIndex(ctx, []byte(`{"runs":[1,2]}`), first)
	if err != nil || second == first {
		t.Fatalf("replace with the ETag read: %q, %v", second, err)
	}
	if _, err := lib.SaveRunIndex(ctx, []byte(`{"runs":[3]}`), first); !domain.IsCode(err, domain.ECONFLICT) {
		t.Errorf("replace with a stale ETag: %v, want ECONFLICT", err)
	}
	got, etag, err := lib.LoadRunIndex(ctx)
	if err != nil || string(got) != `{"runs":[1,2]}` || etag != second {
		t.Errorf("load: %s %q %v; want the second version with ETag %q", got, etag, err, second)
	}
}
