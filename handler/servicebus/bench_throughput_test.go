package servicebus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/devhost"
	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/servicebus"
)

// BenchmarkPublishRate measures, in one run against the Service Bus peer,
// the events per second our publisher gets accepted — in batches of 100
// (how the audit publishes) and one event per call (how the webhook
// publishes) — against the peer's raw acceptance rate: devenv/sbpeer/blast.js,
// a bare AMQP sender on rhea with no SDK, sending messages of the same size
// with as many in flight as the link credit allows. Each run uses a fresh
// queue and checks the peer counted every message.
//
//	go test ./handler/servicebus -run XXX -bench PublishRate -benchtime 1x
func BenchmarkPublishRate(b *testing.B) {
	peer := devtest.SharedPeer(b)
	const batched, single = 5000, 5000
	events := func(from, n int) []domain.Event {
		var fs []domain.Finding
		for i := from; i < from+n; i++ {
			fs = append(fs, finding(i, "rate"))
		}
		es, err := domain.NewEvents(fs)
		if err != nil {
			b.Fatal(err)
		}
		return es
	}
	sample, _ := json.Marshal(events(0, 1)[0])
	for i := 0; i < b.N; i++ {
		// Raw: the peer's own acceptance rate.
		q := peer.NewQueue(b, devtest.QueueOptions{})
		cmd := exec.Command("node", filepath.Join(devhost.RepoRoot(), "devenv", "sbpeer", "blast.js"),
			peer.ConnectionString, q, strconv.Itoa(batched), strconv.Itoa(len(sample)))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			b.Fatalf("blast.js: %v\n%s", err, errOut.String())
		}
		var raw struct {
			Accepted  int     `json:"accepted"`
			PerSecond float64 `json:"perSecond"`
		}
		if err := json.Unmarshal(out.Bytes(), &raw); err != nil || raw.Accepted != batched {
			b.Fatalf("blast.js printed %q (%v)", out.String(), err)
		}
		if got := peer.Queue(b, q).Stats.Received; got != batched {
			b.Fatalf("peer received %d raw messages, want %d", got, batched)
		}

		rate := func(per int, total int) float64 {
			q := peer.NewQueue(b, devtest.QueueOptions{})
			p, err := servicebus.New(servicebus.Options{ConnectionString: peer.ConnectionString, Queue: q, Retry: fast})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(context.Background())
			all := events(1_000_000*per, total)
			if err := p.Publish(context.Background(), all[:1]); err != nil { // connect first
				b.Fatal(err)
			}
			start := time.Now()
			for k := 1; k < total; k += per {
				if err := p.Publish(context.Background(), all[k:min(k+per, total)]); err != nil {
					b.Fatal(err)
				}
			}
			secs := time.Since(start).Seconds()
			if got := peer.Queue(b, q).Stats.Received; got != total {
				b.Fatalf("peer received %d events, want %d", got, total)
			}
			return float64(total-1) / secs
		}
		batch := rate(100, batched+1)
		one := rate(1, single+1)
		b.ReportMetric(raw.PerSecond, "raw-msg/s")
		b.ReportMetric(batch, "batch-events/s")
		b.ReportMetric(one, "single-events/s")
		b.ReportMetric(batch/raw.PerSecond, "batch/raw")
		b.ReportMetric(one/raw.PerSecond, "single/raw")
	}
}
