package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

func TestMetadataFunctions(t *testing.T) {
	const tenant, appID = "72f988bf-86f1-41af-91ab-2d7cd011db47", "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"
	now := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	cert := fedmetatest.NewCert(fedmetatest.DefaultSubject, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	doc := fedmetatest.Doc{Tenant: tenant, Certs: []*fedmetatest.Cert{cert}}.MustBytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(doc) }))
	defer srv.Close()
	job := &archive.Job{
		Apps: archive.StaticApp{Tenant: tenant, AppID: appID}, Fetcher: &fedmeta.Fetcher{Authority: srv.URL},
		Keys: fedmetatest.Trust(cert), Store: inmem.NewSnapshots(), Events: inmem.NewEventSink(), Now: func() time.Time { return now },
	}
	get := functions.Metadata(job)
	call := func(q map[string]string) (*funchost.Response, error) {
		return get(context.Background(), &funchost.Invocation{HTTP: &funchost.HTTPRequest{Method: "GET", Query: q}})
	}

	if _, err := call(map[string]string{"format": "xml"}); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("xml before the first archive: got %v, want ENOTFOUND", err)
	}
	res, err := call(nil)
	if err != nil || res.Status != 200 || !bytes.Contains(res.Body, []byte(`"latest": null`)) {
		t.Fatalf("summary before the first archive: %v %s", err, res.Body)
	}

	if _, err := functions.MetadataArchive(job)(context.Background(), &funchost.Invocation{Timer: &funchost.TimerInfo{}}); err != nil {
		t.Fatalf("timer: %v", err)
	}

	res, err = call(map[string]string{"format": "xml"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || !bytes.Equal(res.Body, doc) || res.Headers["Content-Type"] != "application/samlmetadata+xml" ||
		res.Headers["Content-Disposition"] != `attachment; filename="aircall-federation-metadata.xml"` || res.Headers["X-Metadata-Version"] == "" {
		t.Fatalf("xml answer: %d %v, body equal=%v", res.Status, res.Headers, bytes.Equal(res.Body, doc))
	}
	version := res.Headers["X-Metadata-Version"]
	if res, err := call(map[string]string{"format": "XML", "version": version}); err != nil || !bytes.Equal(res.Body, doc) {
		t.Fatalf("xml by version: %v", err)
	}

	res, err = call(map[string]string{"format": "json"})
	if err != nil {
		t.Fatal(err)
	}
	var s archive.Summary
	if err := json.Unmarshal(res.Body, &s); err != nil {
		t.Fatal(err)
	}
	wantURL := srv.URL + "/" + tenant + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + appID
	if s.MetadataURL != wantURL || s.Latest == nil || len(s.History) != 1 || s.History[0].Name != version ||
		len(s.Certificates) != 1 || s.Certificates[0].DaysLeft != 365 {
		t.Fatalf("summary %+v", s)
	}

	for _, q := range []map[string]string{{"format": "pdf"}, {"version": version}, {"format": "xml", "version": "../x"}} {
		if _, err := call(q); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("query %v: got %v, want EINVALID", q, err)
		}
	}
	if _, err := get(context.Background(), &funchost.Invocation{HTTP: &funchost.HTTPRequest{Method: "POST"}}); !domain.IsCode(err, domain.EINVALID) {
		t.Errorf("POST: got %v, want EINVALID", err)
	}
}
