package inmem_test

import (
	"context"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestEventSinkConformance(t *testing.T) {
	porttest.EventSink(t, func(*testing.T) porttest.EventSinkHarness {
		s, o := inmem.NewEventSink(), inmem.NewOutbox()
		s.SetOutbox(o)
		return porttest.EventSinkHarness{Sink: s, Outbox: o, Delivered: func(*testing.T) []domain.Event { return s.Take() }}
	})
}

func TestEventSinkFailNext(t *testing.T) {
	s := inmem.NewEventSink()
	e := domain.Event{ID: "a", Type: "t"}
	s.FailNext(domain.Errorf(domain.EUNAVAILABLE, "down"))
	if err := s.Publish(context.Background(), []domain.Event{e}); !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Fatalf("got %v, want the injected EUNAVAILABLE", err)
	}
	if err := s.Publish(context.Background(), []domain.Event{e, e}); err != nil || len(s.Events()) != 1 || s.Duplicates() != 1 {
		t.Fatalf("after the failure: err %v, %d events, %d duplicates; want nil, 1, 1", err, len(s.Events()), s.Duplicates())
	}
	if err := s.Publish(context.Background(), []domain.Event{{Type: "t"}}); !domain.IsCode(err, domain.EINVALID) {
		t.Fatalf("event without id: got %v, want EINVALID", err)
	}
}
