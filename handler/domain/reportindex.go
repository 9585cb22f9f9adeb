package domain

import "context"

// ReportLibrary reads stored audit reports back and keeps the run summary
// index, the one small document the report page reads for its trend (see
// docs/audit.md, "Reports"). The audit job writes the index after
// each completed run; the report function reads both.
type ReportLibrary interface {
	// ReadReportFile returns one file of a stored report (e.g. name
	// "20260101T020000Z-full-a1b2c3-1", file "report.json"): ENOTFOUND when
	// there is none, EINVALID for a name that fails ValidReportName.
	ReadReportFile(ctx context.Context, name, file string) ([]byte, error)
	// LoadRunIndex returns the run summary index document and its ETag, or
	// ENOTFOUND before the first completed run.
	LoadRunIndex(ctx context.Context) (data []byte, etag string, err error)
	// SaveRunIndex writes the index: with etag "" it creates it and fails
	// with ECONFLICT if it exists; otherwise it replaces only that version
	// (ECONFLICT when another writer moved it on).
	SaveRunIndex(ctx context.Context, data []byte, etag string) (newETag string, err error)
}
