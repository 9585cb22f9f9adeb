package porttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// EventSinkHarness is one event sink under test and a way to read back what
// it delivered.
type EventSinkHarness struct {
	Sink domain.EventSink
	// Delivered returns the events delivered since its previous call, each
	// delivery once, as the queue's consumer sees them (for a real queue: read
	// with a real receiver until the queue is idle), in delivery order.
	Delivered func(t *testing.T) []domain.Event
	// Outbox is where the sink sets events aside, empty and never written
	// by the sink before the test; the sink must be a domain.OutboxDrainer
	// of it. Nil skips the outbox cases.
	Outbox domain.EventOutbox
}

// EventSink checks a domain.EventSink: events arrive intact; the same finding
// published twice is delivered once; a changed finding is delivered; repeats
// within one call collapse; an empty publish does nothing; many events (more
// than one Service Bus batch) all arrive exactly once. With an outbox: an
// empty publish leaves the outbox alone, Drain delivers it oldest first and
// empties it, and a publish delivers it before its own events.
func EventSink(t *testing.T, newHarness func(t *testing.T) EventSinkHarness) {
	eventSinkOutbox(t, newHarness)
	base := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	upn := func(i int, mail string) domain.Finding {
		u := fmt.Sprintf("user%d@contoso.com", i)
		return domain.Finding{
			Kind: domain.FindingUPNMismatch, Severity: domain.SeverityError,
			Key: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), State: "upn=" + u + ";mail=" + mail,
			Subject: u, Summary: "The UPN differs from the mail address.",
			User:       &domain.User{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), UserPrincipalName: u, Mail: mail, AccountEnabled: true},
			ObservedAt: base,
		}
	}
	events := func(t *testing.T, fs ...domain.Finding) []domain.Event {
		t.Helper()
		es, err := domain.NewEvents(fs)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	publish := func(t *testing.T, s domain.EventSink, es []domain.Event) {
		t.Helper()
		if err := s.Publish(context.Background(), es); err != nil {
			t.Fatalf("publish %d events: %v", len(es), err)
		}
	}
	t.Run("delivers intact", func(t *testing.T) {
		h := newHarness(t)
		drift := domain.Finding{Kind: domain.FindingAppDrift, Severity: domain.SeverityWarning, Key: "app-1",
			State: "replyUrl=https://x", Summary: "drift", Details: map[string]any{"steps": []any{"replyUrl"}}, ObservedAt: base}
		sent := events(t, upn(1, "a@contoso.com"), drift)
		publish(t, h.Sink, sent)
		assertSameEvents(t, h.Delivered(t), sent)
	})
	t.Run("same finding twice is delivered once", func(t *testing.T) {
		h := newHarness(t)
		publish(t, h.Sink, events(t, upn(2, "b@contoso.com")))
		again := upn(2, "b@contoso.com")
		again.ObservedAt = base.Add(24 * time.Hour) // the next night's scan
		publish(t, h.Sink, events(t, again))
		if got := h.Delivered(t); len(got) != 1 {
			t.Fatalf("delivered %d events, want 1: %v", len(got), ids(got))
		}
	})

	t.Run("changed finding is delivered", func(t *testing.T) {
		h := newHarness(t)
		first := events(t, upn(3, "c@contoso.com"))
		changed := events(t, upn(3, "c.new@contoso.com"))
		publish(t, h.Sink, first)
		publish(t, h.Sink, changed)
		got := h.Delivered(t)
		assertSameEvents(t, got, append(first, changed...))
	})

	t.Run("repeats in one call collapse and empty does nothing", func(t *testing.T) {
		h := newHarness(t)
		e := events(t, upn(4, "d@contoso.com"))
		publish(t, h.Sink, nil)
		publish(t, h.Sink, []domain.Event{e[0], e[0], e[0]})
		if got := h.Delivered(t); len(got) != 1 {
			t.Fatalf("delivered %d events, want 1", len(got))
		}
	})

	t.Run("many events arrive exactly once", func(t *testing.T) {
		h := newHarness(t)
		var fs []domain.Finding
		for i := 0; i < 600; i++ { // ≈ 0.8 KB each: more than one 256 KB batch
			f := upn(1000+i, fmt.Sprintf("m%d@contoso.com", i))
			f.Remedy = strings.Repeat("Set the mail attribute to the UPN or switch the claim. ", 4)
			fs = append(fs, f)
		}
		sent := events(t, fs...)
		publish(t, h.Sink, sent[:300])
		publish(t, h.Sink, sent) // the first half again: dropped as repeats
		assertSameEvents(t, h.Delivered(t), sent)
	})
}

// eventSinkOutbox is the outbox part of EventSink: entries another
// instance set aside are delivered by Drain (or the next publish of
// events), oldest first, and never by an empty publish.
func eventSinkOutbox(t *testing.T, newHarness func(t *testing.T) EventSinkHarness) {
	ctx := context.Background()
	// setAside writes two entries as another instance would, the first older.
	setAside := func(t *testing.T, h EventSinkHarness) []domain.Event {
		t.Helper()
		if h.Outbox == nil {
			t.Skip("the sink has no outbox")
		}
		es := testEvents(t, 7000, 3)
		for _, entry := range [][]domain.Event{es[:2], es[2:]} {
			if err := h.Outbox.Put(ctx, entry); err != nil {
				t.Fatalf("outbox put: %v", err)
			}
		}
		return es
	}
	drainer := func(t *testing.T, h EventSinkHarness) domain.OutboxDrainer {
		t.Helper()
		d, ok := h.Sink.(domain.OutboxDrainer)
		if !ok {
			t.Fatalf("%T has an outbox but no Drain method", h.Sink)
		}
		return d
	}
	t.Run("empty publish does not drain", func(t *testing.T) {
		h := newHarness(t)
		setAside(t, h)
		if err := h.Sink.Publish(ctx, nil); err != nil {
			t.Fatalf("empty publish: %v", err)
		}
		if got := h.Delivered(t); len(got) != 0 {
			t.Fatalf("an empty publish delivered %d events", len(got))
		}
		if keys, err := h.Outbox.Pending(ctx); err != nil || len(keys) != 2 {
			t.Fatalf("outbox after an empty publish: %v %v, want the 2 entries", keys, err)
		}
	})
	t.Run("drain delivers the outbox oldest first", func(t *testing.T) {
		h := newHarness(t)
		held := setAside(t, h)
		d := drainer(t, h)
		if n, err := d.Drain(ctx); err != nil || n != len(held) {
			t.Fatalf("drain: %d events, %v; want %d", n, err, len(held))
		}
		assertInOrder(t, h.Delivered(t), held)
		if keys, err := h.Outbox.Pending(ctx); err != nil || len(keys) != 0 {
			t.Fatalf("outbox after the drain: %v %v, want empty", keys, err)
		}
		if n, err := d.Drain(ctx); err != nil || n != 0 {
			t.Fatalf("second drain: %d events, %v; want none", n, err)
		}
		if got := h.Delivered(t); len(got) != 0 {
			t.Fatalf("a drain of an empty outbox delivered %d events", len(got))
		}
	})
	t.Run("publish delivers the outbox first", func(t *testing.T) {
		h := newHarness(t)
		held := setAside(t, h)
		fresh := testEvents(t, 7100, 2)
		if err := h.Sink.Publish(ctx, fresh); err != nil {
			t.Fatalf("publish: %v", err)
		}
		assertInOrder(t, h.Delivered(t), append(held, fresh...))
		if keys, err := h.Outbox.Pending(ctx); err != nil || len(keys) != 0 {
			t.Fatalf("outbox after the publish: %v %v, want empty", keys, err)
		}
	})
}

// testEvents returns n events of distinct findings numbered from first.
func testEvents(t *testing.T, first, n int) []domain.Event {
	t.Helper()
	var fs []domain.Finding
	for i := first; i < first+n; i++ {
		fs = append(fs, domain.Finding{Kind: domain.FindingMailMissing, Severity: domain.SeverityInfo,
			Key: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), State: "mail=", Subject: fmt.Sprintf("user%d@contoso.com", i),
			Summary: "The user has no mail attribute.", ObservedAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)})
	}
	es, err := domain.NewEvents(fs)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// assertInOrder checks that got are want, intact and in the same order.
func assertInOrder(t *testing.T, got, want []domain.Event) {
	t.Helper()
	assertSameEvents(t, got, want)
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("event %d delivered is %s, want %s: %v", i, got[i].Subject, want[i].Subject, ids(got))
		}
	}
}

func ids(es []domain.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// assertSameEvents compares delivered and sent events by id, field by field,
// ignoring order (a queue read in batches may reorder).
func assertSameEvents(t *testing.T, got, want []domain.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("delivered %d events, want %d", len(got), len(want))
	}
	byID := map[string]domain.Event{}
	for _, e := range got {
		if _, dup := byID[e.ID]; dup {
			t.Fatalf("event %s delivered twice", e.ID)
		}
		byID[e.ID] = e
	}
	ws := append([]domain.Event(nil), want...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].ID < ws[j].ID })
	for _, w := range ws {
		g, ok := byID[w.ID]
		if !ok {
			t.Fatalf("event %s (%s) was not delivered", w.ID, w.Type)
		}
		if g.SpecVersion != w.SpecVersion || g.Source != w.Source || g.Type != w.Type || g.Subject != w.Subject ||
			!g.Time.Equal(w.Time) || g.DataContentType != w.DataContentType || !jsonEqual(g.Data, w.Data) {
			t.Fatalf("event %s changed in delivery:\n got %+v\nwant %+v", w.ID, g, w)
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
