package domain

import (
	"context"
	"encoding/json"
	"time"
)

// Delivery is what the app remembers about one webhook delivery it handled
// (docs/webhooks.md, "Replays and retries").
type Delivery struct {
	// At is when the delivery was first seen (or last taken over).
	At time.Time `json:"at"`
	// Done is set once Answer holds the first answer; a delivery not done is
	// being handled right now.
	Done bool `json:"done,omitempty"`
	// Answer is the first answer's summary, JSON, at most MaxDeliveryAnswer
	// bytes.
	Answer json.RawMessage `json:"answer,omitempty"`
}

// MaxDeliveryAnswer bounds the answer a delivery record keeps, so each record
// stays small whatever a sender sends (docs/webhooks.md).
const MaxDeliveryAnswer = 8 << 10

// DeliveryLog remembers webhook deliveries so a replay or a sender's retry
// is answered once (docs/webhooks.md, "Replays and retries"). Keys are 64
// lowercase hex digits (a SHA-256 of the source and what identifies the
// delivery); any other key is EINVALID, and a record whose Answer is over
// MaxDeliveryAnswer is ETOOLARGE. What to do with an old or unfinished record
// is the caller's business: the log only stores.
type DeliveryLog interface {
	// Claim creates key's record as d when there is none (claimed true, with
	// the new version). Otherwise it changes nothing and returns the stored
	// record and its version.
	Claim(ctx context.Context, key string, d Delivery) (stored Delivery, version string, claimed bool, err error)
	// Replace writes d over the version read; ECONFLICT when the record
	// changed or is gone since.
	Replace(ctx context.Context, key string, d Delivery, version string) (newVersion string, err error)
	// Forget removes key's record; an absent one is fine.
	Forget(ctx context.Context, key string) error
}

// ValidDeliveryKey reports whether key is 64 lowercase hex digits.
func ValidDeliveryKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckDelivery validates a key and a record before it is stored: the one
// rule every DeliveryLog applies.
func CheckDelivery(key string, d Delivery) error {
	if !ValidDeliveryKey(key) {
		return Errorf(EINVALID, "delivery key must be 64 lowercase hex digits")
	}
	if len(d.Answer) > MaxDeliveryAnswer {
		return Errorf(ETOOLARGE, "a delivery record's answer is %d bytes, over the %d-byte limit", len(d.Answer), MaxDeliveryAnswer)
	}
	return nil
}
