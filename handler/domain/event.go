package domain

import (
	"encoding/json"
	"time"
)

// CloudEvents constants for the remediation queue.
const (
	// EventSource is the CloudEvents source of every event we emit.
	EventSource = "/aircall-entra-sso"
	// EventTypePrefix prefixes every event type.
	EventTypePrefix = "com.aircall-entra-sso."
	// EventDataVersion is the version of the data schema, also the type suffix.
	EventDataVersion = "v1"
)

// Event is a CloudEvents 1.0 event in structured JSON mode: the Service Bus
// message body is exactly its JSON encoding.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema,omitempty"`
	Data            json.RawMessage `json:"data"`
}

// EventType returns the CloudEvents type for a finding kind.
func EventType(k FindingKind) string {
	return EventTypePrefix + string(k) + "." + EventDataVersion
}

// EventData is the versioned data payload (schema v1) of every event.
type EventData struct {
	SchemaVersion int            `json:"schemaVersion"`
	Kind          FindingKind    `json:"kind"`
	Severity      Severity       `json:"severity"`
	Key           string         `json:"key"`
	State         string         `json:"state"`
	Summary       string         `json:"summary"`
	Remedy        string         `json:"remedy,omitempty"`
	Ticket        string         `json:"ticket,omitempty"`
	User          *User          `json:"user,omitempty"`
	EmailClaim    string         `json:"emailClaim,omitempty"`
	Details       map[string]any `json:"details,omitempty"`
}

// NewEvent turns a finding into its CloudEvent. The id is Finding.ID, so the
// same finding in the same state always yields the same id.
func NewEvent(f Finding) (Event, error) {
	data, err := json.Marshal(EventData{
		SchemaVersion: 1, Kind: f.Kind, Severity: f.Severity, Key: f.Key, State: f.State,
		Summary: f.Summary, Remedy: f.Remedy, Ticket: f.Ticket, User: f.User,
		EmailClaim: f.EmailClaim, Details: f.Details,
	})
	if err != nil {
		return Event{}, Wrap(EINTERNAL, err, "encode event data for %s", f.Kind)
	}
	t := f.ObservedAt
	if t.IsZero() {
		t = time.Now()
	}
	subject := f.Subject
	if subject == "" {
		subject = f.Key
	}
	return Event{
		SpecVersion: "1.0", ID: f.ID(), Source: EventSource, Type: EventType(f.Kind),
		Subject: subject, Time: t.UTC(), DataContentType: "application/json", Data: data,
	}, nil
}

// NewEvents converts findings to events, in order.
func NewEvents(fs []Finding) ([]Event, error) {
	out := make([]Event, 0, len(fs))
	for _, f := range fs {
		e, err := NewEvent(f)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
