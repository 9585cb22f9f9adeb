package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestReportLibraryConformance(t *testing.T) {
	porttest.ReportLibrary(t, func(*testing.T) porttest.StoredReports { return inmem.NewReports() })
}
