package archive_test

import (
	"context"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta/fedmetatest"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// TestCertificateCheckAgreesWithTheRun: the app check of audit and diagnose
// and the archive run describe one certificate with one finding (same key,
// state and event id), and both honour the configured thresholds: with
// 30,7 a certificate 45 days out is no finding for either. (The app check
// used to floor its window at 60 days and write another State.)
func TestCertificateCheckAgreesWithTheRun(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name       string
		daysLeft   int
		thresholds []time.Duration
		want       bool
	}{
		{"20 days out, default thresholds", 20, nil, true},
		{"45 days out, thresholds 30,7", 45, []time.Duration{30 * day, 7 * day}, false},
		{"5 days out, thresholds 30,7", 5, []time.Duration{30 * day, 7 * day}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := fedmetatest.NewCert(fedmetatest.DefaultSubject, t0.AddDate(-1, 0, 0), t0.Add(time.Duration(tt.daysLeft)*day+time.Hour))
			entra := newFakeEntra(t, doc([]*fedmetatest.Cert{cert}, nil))
			store, ev, c := inmem.NewSnapshots(), &sink{}, &clock{now: t0}
			job := newJob(entra, store, ev, c)
			job.Keys = fedmetatest.Trust(cert)
			job.Thresholds = tt.thresholds
			ctx := context.Background()
			if fs, err := job.CertificateCheck(ctx); err != nil || len(fs) != 0 {
				t.Fatalf("before the first archive: %v, %+v", err, fs)
			}
			r, err := job.Run(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			checked, err := job.CertificateCheck(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want {
				if len(r.Findings) != 0 || len(checked) != 0 {
					t.Fatalf("run findings %+v, check findings %+v: want none", r.Findings, checked)
				}
				return
			}
			if len(r.Findings) != 1 || len(checked) != 1 {
				t.Fatalf("run findings %+v, check findings %+v: want one each", r.Findings, checked)
			}
			a, b := r.Findings[0], checked[0]
			if a.Kind != b.Kind || a.Key != b.Key || a.State != b.State || a.ID() != b.ID() || a.Severity != b.Severity || a.Subject != b.Subject {
				t.Errorf("one certificate, two findings:\n run   %s %s %q %s\n check %s %s %q %s", a.Kind, a.Key, a.State, a.ID(), b.Kind, b.Key, b.State, b.ID())
			}
		})
	}
}
