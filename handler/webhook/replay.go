package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Delivery-id headers: Zendesk's "x-zendesk-webhook-invocation-id"
// (developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request)
// and Jira's X-Atlassian-Webhook-Identifier, unchanged across retries
// (developer.atlassian.com/cloud/jira/platform/webhooks, "Retry policy").
const (
	HeaderZendeskInvocationID = "X-Zendesk-Webhook-Invocation-Id"
	HeaderAtlassianIdentifier = "X-Atlassian-Webhook-Identifier"
)

// Replay policy (docs/webhooks.md, "Replays and retries").
const (
	// Retention is how long a delivery is remembered: at least Service Bus's
	// duplicate-detection window (1 day, infra/bicep) plus ReplayWindow, so
	// no replay the signature still accepts can enqueue again unnoticed.
	// Jira signs no timestamp: for Jira this record is the only replay guard.
	Retention = 48 * time.Hour
	// PendingTimeout is how long a delivery being handled blocks its repeats
	// (they get 409 and the sender retries); longer than the webhook's
	// overall deadline, so only a crashed handler's record is taken over.
	PendingTimeout = 3 * time.Minute
)

// DeliveryKeys returns the delivery log keys of a verified request, most
// specific first: the sender's delivery id when it sends one (it stays the
// same when the sender retries, with a fresh signature) and always the
// signature (a replay with the id header changed or removed still carries
// it: the id is not signed). Each key is the SHA-256 of the source, the kind
// and the value, so no header value is stored.
func DeliveryKeys(src Source, h http.Header) []string {
	var keys []string
	add := func(kind, v string) {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > 512 {
			return
		}
		sum := sha256.Sum256([]byte(string(src) + "\x00" + kind + "\x00" + v))
		keys = append(keys, hex.EncodeToString(sum[:]))
	}
	switch src {
	case Zendesk:
		add("id", h.Get(HeaderZendeskInvocationID))
		add("sig", h.Get(HeaderZendeskSignature))
	case Jira:
		add("id", h.Get(HeaderAtlassianIdentifier))
		add("sig", h.Get(HeaderHubSignature))
	default:
		add("sig", h.Get(HeaderSignature256))
	}
	return keys
}

// Replays answers each delivery once over a domain.DeliveryLog.
type Replays struct {
	Log domain.DeliveryLog
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Claim is a delivery this invocation handles: Finish stores its answer,
// Abandon forgets it so the sender's retry runs again.
type Claim struct {
	r        *Replays
	keys     []string
	versions []string
	at       time.Time
}

// Begin claims a delivery by its keys. It returns the first answer when the
// delivery was seen before (a replay or a retry), a Claim when this
// invocation is the first, or ECONFLICT when another invocation is handling
// it right now.
func (r *Replays) Begin(ctx context.Context, keys []string) (seen []byte, c *Claim, err error) {
	c = &Claim{r: r, at: r.now()}
	for _, k := range keys {
		stored, v, claimed, err := r.Log.Claim(ctx, k, domain.Delivery{At: c.at})
		if err == nil && !claimed && r.stale(stored) {
			v, err = r.Log.Replace(ctx, k, domain.Delivery{At: c.at}, v)
			claimed = err == nil
		}
		if err == nil && !claimed {
			c.Abandon(ctx)
			if stored.Done {
				return stored.Answer, nil, nil
			}
			return nil, nil, domain.Errorf(domain.ECONFLICT, "this delivery is being handled right now: retry in a minute")
		}
		if err != nil {
			c.Abandon(ctx)
			if domain.IsCode(err, domain.ECONFLICT) {
				return nil, nil, domain.Wrap(domain.ECONFLICT, err, "this delivery is being handled right now: retry in a minute")
			}
			return nil, nil, err
		}
		c.keys, c.versions = append(c.keys, k), append(c.versions, v)
	}
	return nil, c, nil
}

// stale reports whether a stored record may be taken over: it is older than
// Retention, or a delivery left unfinished longer than PendingTimeout.
func (r *Replays) stale(d domain.Delivery) bool {
	age := r.now().Sub(d.At)
	return age > Retention || (!d.Done && age > PendingTimeout)
}

func (r *Replays) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Finish stores answer (at most domain.MaxDeliveryAnswer bytes) for every
// key of the claim. It runs on a context of its own, so a request whose
// deadline passed still records what it did.
func (c *Claim) Finish(ctx context.Context, answer []byte) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	for i, k := range c.keys {
		if _, err := c.r.Log.Replace(ctx, k, domain.Delivery{At: c.at, Done: true, Answer: answer}, c.versions[i]); err != nil {
			return err
		}
	}
	return nil
}

// Abandon forgets the claim's records (the work failed: the sender's retry
// must run it again). Errors are ignored: a record left behind is taken over
// after PendingTimeout.
func (c *Claim) Abandon(ctx context.Context) {
	if c == nil {
		return
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	for _, k := range c.keys {
		_ = c.r.Log.Forget(ctx, k)
	}
	c.keys, c.versions = nil, nil
}

func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
}
