package porttest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// DeliveryLog checks a domain.DeliveryLog: a claim creates once and returns
// the stored record to everyone after, a replace needs the current version,
// forget is idempotent and frees the key, and keys and records are bounded
// (EINVALID for a key that is not a SHA-256 in hex, ETOOLARGE for an answer
// over domain.MaxDeliveryAnswer).
func DeliveryLog(t *testing.T, newLog func(t *testing.T) domain.DeliveryLog) {
	ctx := context.Background()
	l := newLog(t)
	key := strings.Repeat("ab", 32)
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

	got, v1, claimed, err := l.Claim(ctx, key, domain.Delivery{At: at})
	if err != nil || !claimed || v1 == "" || !got.At.Equal(at) || got.Done {
		t.Fatalf("first claim = %+v %q %v %v, want claimed", got, v1, claimed, err)
	}
	got, v, claimed, err := l.Claim(ctx, key, domain.Delivery{At: at.Add(time.Hour)})
	if err != nil || claimed || v != v1 || !got.At.Equal(at) {
		t.Fatalf("second claim = %+v %q %v %v, want the first record unchanged", got, v, claimed, err)
	}
	answer := json.RawMessage(`{"verdict":"blocked","enqueued":["e1"]}`)
	v2, err := l.Replace(ctx, key, domain.Delivery{At: at, Done: true, Answer: answer}, v1)
	if err != nil || v2 == "" || v2 == v1 {
		t.Fatalf("replace with the current version = %q %v", v2, err)
	}
	if _, err := l.Replace(ctx, key, domain.Delivery{At: at}, v1); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("replace with a stale version: %v, want ECONFLICT", err)
	}
	got, v, claimed, err = l.Claim(ctx, key, domain.Delivery{At: at.Add(time.Hour)})
	if err != nil || claimed || v != v2 || !got.Done || string(got.Answer) != string(answer) {
		t.Fatalf("claim of a done delivery = %+v %q %v %v, want the stored answer", got, v, claimed, err)
	}
	if err := l.Forget(ctx, key); err != nil {
		t.Fatalf("forget: %v", err)
	}
	if err := l.Forget(ctx, key); err != nil {
		t.Fatalf("second forget must succeed: %v", err)
	}
	if _, err := l.Replace(ctx, key, domain.Delivery{At: at}, v2); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("replace of a forgotten record: %v, want ECONFLICT", err)
	}
	if _, _, claimed, err := l.Claim(ctx, key, domain.Delivery{At: at}); err != nil || !claimed {
		t.Fatalf("claim after forget = %v %v, want claimed", claimed, err)
	}

	for _, bad := range []string{"", "../checkpoints/x", strings.Repeat("AB", 32), strings.Repeat("a", 63), strings.Repeat("g", 64)} {
		if _, _, _, err := l.Claim(ctx, bad, domain.Delivery{At: at}); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("claim of key %q: %v, want EINVALID", bad, err)
		}
	}
	big := json.RawMessage(`"` + strings.Repeat("x", domain.MaxDeliveryAnswer) + `"`)
	if _, _, _, err := l.Claim(ctx, strings.Repeat("cd", 32), domain.Delivery{At: at, Answer: big}); !domain.IsCode(err, domain.ETOOLARGE) {
		t.Errorf("claim with an answer over the limit: %v, want ETOOLARGE", err)
	}
}
