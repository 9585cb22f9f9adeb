package devtest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// ReceiveEvents reads every message waiting on queue (ReceiveAll, completing
// each) and decodes the CloudEvent each carries; a message that is not one,
// or whose MessageID is not its event's id, fails the test.
func (p *SBPeer) ReceiveEvents(t testing.TB, queue string) []domain.Event {
	t.Helper()
	var out []domain.Event
	for _, m := range p.ReceiveAll(t, queue, 2*time.Second) {
		var e domain.Event
		if err := json.Unmarshal(m.Body, &e); err != nil {
			t.Fatalf("message %s is not a CloudEvent: %v", m.MessageID, err)
		}
		if m.MessageID != e.ID {
			t.Errorf("MessageID %s differs from the event id %s", m.MessageID, e.ID)
		}
		out = append(out, e)
	}
	return out
}

// EventLines returns "kind subject" for each event (e.g. "user.upn-mismatch
// ann@contoso.com"), sorted; an event id seen twice fails the test.
func EventLines(t testing.TB, evs []domain.Event) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, e := range evs {
		if seen[e.ID] {
			t.Errorf("event %s (%s %s) received twice", e.ID, e.Type, e.Subject)
		}
		seen[e.ID] = true
		out = append(out, strings.TrimPrefix(strings.TrimSuffix(e.Type, ".v1"), domain.EventTypePrefix)+" "+e.Subject)
	}
	sort.Strings(out)
	return out
}
