package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestReportStoreConformance(t *testing.T) {
	porttest.ReportStore(t, func(*testing.T) porttest.ReportStoreHarness {
		r := inmem.NewReports()
		return porttest.ReportStoreHarness{Store: r, Read: func(_ *testing.T, name, file string) ([]byte, string, bool) {
			f, ok := r.File(name, file)
			return f.Data, f.ContentType, ok
		}}
	})
}

func TestOutboxConformance(t *testing.T) {
	porttest.Outbox(t, func(*testing.T) domain.EventOutbox { return inmem.NewOutbox() })
}
