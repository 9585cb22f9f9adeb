package servicebus

import (
	"context"
	"log/slog"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// LogSink is the event sink of dry runs: it logs each event's id, type and
// subject (one line each) and sends nothing.
type LogSink struct {
	Logger *slog.Logger
}

var _ domain.EventSink = LogSink{}

// Publish logs the events and returns nil.
func (s LogSink) Publish(ctx context.Context, events []domain.Event) error {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	for _, e := range events {
		log.InfoContext(ctx, "dry run: remediation event not sent", "id", e.ID, "type", e.Type, "subject", e.Subject)
	}
	return nil
}
