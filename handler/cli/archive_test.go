package cli_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/cli"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

func TestRunArchive(t *testing.T) {
	const tenant, appID = "72f988bf-86f1-41af-91ab-2d7cd011db47", "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"
	now := time.Now().UTC()
	a := fedmetatest.NewCert(fedmetatest.DefaultSubject, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	b := fedmetatest.NewCert(fedmetatest.DefaultSubject, now.AddDate(0, 0, -1), now.AddDate(3, 0, 0))
	doc := fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{a}}.MustBytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(doc) }))
	defer srv.Close()
	job := &archive.Job{Apps: archive.StaticApp{Tenant: tenant, AppID: appID}, Fetcher: &fedmeta.Fetcher{Authority: srv.URL},
		Keys: fedmetatest.Trust(a, b), Store: inmem.NewSnapshots(), Events: noSink{}}

	var out bytes.Buffer
	if err := run(context.Background(), cli.ParseArchive, jobs{arch: job}, &out, nil); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "(new version stored)") || !strings.Contains(s, "signs the metadata") || !strings.Contains(s, "?appid="+appID) {
		t.Errorf("first run output:\n%s", s)
	}
	// A rotation has an event to send and the sink cannot be reached: the
	// run fails and says why.
	doc = fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{a, b}}.MustBytes()
	err := run(context.Background(), cli.ParseArchive, jobs{arch: job}, &out, nil)
	if !domain.IsCode(err, domain.EUNAVAILABLE) || !strings.Contains(err.Error(), "no remediation event sink") {
		t.Errorf("rotation without a sink: %v", err)
	}
	job.Events = &countingSink{}
	out.Reset()
	if err := run(context.Background(), cli.ParseArchive, jobs{arch: job}, &out, nil); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "changes since") || !strings.Contains(s, "+ certificate "+fedmeta.CertificateFactsOf(b.Cert).Thumbprint) || !strings.Contains(s, "event     cert.changed") {
		t.Errorf("rotation output:\n%s", s)
	}
	if err := run(context.Background(), cli.ParseArchive, jobs{arch: job}, &out, []string{"extra"}); err == nil {
		t.Error("an extra argument was accepted")
	}
}

type countingSink struct{ n int }

func (c *countingSink) Publish(_ context.Context, evs []domain.Event) error {
	c.n += len(evs)
	return nil
}

// noSink is an event sink that cannot be reached.
type noSink struct{}

func (noSink) Publish(context.Context, []domain.Event) error {
	return domain.Errorf(domain.EUNAVAILABLE, "no remediation event sink can be reached")
}
