package blob_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// TestReportLibraryConformance runs the run summary index and the report
// reads over Azurite.
func TestReportLibraryConformance(t *testing.T) {
	porttest.ReportLibrary(t, func(t *testing.T) porttest.StoredReports { return newStore(t).Reports() })
}
