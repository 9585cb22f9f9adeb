package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Limits.
const (
	// MaxBody is the largest body accepted (256 KiB).
	MaxBody = 256 << 10
	// ReplayWindow is how far a signed timestamp may be from our clock, in
	// either direction.
	ReplayWindow = 5 * time.Minute
)

// Signature headers.
const (
	HeaderZendeskSignature   = "X-Zendesk-Webhook-Signature"
	HeaderZendeskTimestamp   = "X-Zendesk-Webhook-Signature-Timestamp"
	HeaderHubSignature       = "X-Hub-Signature"
	HeaderSignature256       = "X-Signature-256"
	HeaderSignatureTimestamp = "X-Signature-Timestamp"
)

// Verifier checks requests. The zero value refuses every source; set Secrets.
type Verifier struct {
	// Secrets holds one signing secret per enabled source.
	Secrets map[Source][]byte
	// Now is the clock for the replay window; nil means time.Now.
	Now func() time.Time
	// Window overrides ReplayWindow when positive.
	Window time.Duration
}

// Verify checks, in this order, that the source is enabled (ENOTFOUND), the
// body is at most MaxBody (ETOOLARGE), the Content-Type is application/json
// (EMEDIATYPE) and the signature headers prove the body came from a holder of
// the source's secret within the replay window (EUNAUTHORIZED). It returns
// nil only for a request that passed every check.
func (v *Verifier) Verify(src Source, h http.Header, body []byte) error {
	secret := v.Secrets[src]
	if len(secret) == 0 {
		return domain.Errorf(domain.ENOTFOUND, "webhook source %q is not enabled on this app: set its secret in %s", src, src.SecretSetting())
	}
	if len(body) > MaxBody {
		return domain.Errorf(domain.ETOOLARGE, "the body is %d bytes, over the %d KiB limit: send only the fields docs/webhooks.md lists", len(body), MaxBody>>10)
	}
	if err := checkContentType(h.Get("Content-Type")); err != nil {
		return err
	}
	switch src {
	case Zendesk:
		sig, err := single(h, HeaderZendeskSignature)
		if err != nil {
			return err
		}
		mac, err := ParseZendeskSignature(sig)
		if err != nil {
			return err
		}
		ts, err := v.timestamp(h, HeaderZendeskTimestamp)
		if err != nil {
			return err
		}
		return compare(mac, sum(secret, []byte(ts), nil, body), src)
	case Jira:
		sig, err := single(h, HeaderHubSignature)
		if err != nil {
			return err
		}
		mac, err := ParseHexSignature(HeaderHubSignature, sig)
		if err != nil {
			return err
		}
		return compare(mac, sum(secret, nil, nil, body), src)
	case ServiceNow, Generic:
		sig, err := single(h, HeaderSignature256)
		if err != nil {
			return err
		}
		mac, err := ParseHexSignature(HeaderSignature256, sig)
		if err != nil {
			return err
		}
		ts, err := v.timestamp(h, HeaderSignatureTimestamp)
		if err != nil {
			return err
		}
		return compare(mac, sum(secret, []byte(ts), []byte("."), body), src)
	}
	return domain.Errorf(domain.ENOTFOUND, "unknown webhook source %q", src)
}

func checkContentType(ct string) error {
	if strings.TrimSpace(ct) == "" {
		return domain.Errorf(domain.EMEDIATYPE, "Content-Type is missing: send the body as application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		if len(ct) > 60 {
			ct = ct[:60] + "…"
		}
		return domain.Errorf(domain.EMEDIATYPE, "Content-Type must be application/json, got %q", ct)
	}
	return nil
}

// single returns the one value of header name; missing or repeated headers
// are refused.
func single(h http.Header, name string) (string, error) {
	vs := h.Values(name)
	switch {
	case len(vs) == 0 || strings.TrimSpace(vs[0]) == "":
		return "", unauthorized(name, "header is missing: configure a signing secret for this webhook in the sender (docs/webhooks.md)")
	case len(vs) > 1:
		return "", unauthorized(name, "header is repeated: send it once")
	}
	return strings.TrimSpace(vs[0]), nil
}

// timestamp returns the raw timestamp header (as signed) after checking it
// lies within the replay window.
func (v *Verifier) timestamp(h http.Header, name string) (string, error) {
	raw, err := single(h, name)
	if err != nil {
		return "", err
	}
	t, err := ParseTimestamp(name, raw)
	if err != nil {
		return "", err
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	win := ReplayWindow
	if v.Window > 0 {
		win = v.Window
	}
	if d := now().Sub(t); d > win || d < -win {
		return "", unauthorized(name, fmt.Sprintf("is more than %s away from our clock: the request is stale or replayed (if the sender's clock is wrong, fix it)", win))
	}
	// The signature covers the header as sent, not a re-formatted time.
	return raw, nil
}

// ParseTimestamp parses a signature timestamp: Unix seconds (ServiceNow,
// generic) or RFC 3339 (Zendesk).
func ParseTimestamp(name, raw string) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) == 0 || len(raw) > 40 {
		return time.Time{}, unauthorized(name, "must be Unix seconds or an RFC 3339 time")
	}
	if raw[0] >= '0' && raw[0] <= '9' && !strings.ContainsAny(raw, "-:T") {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n > 1<<40 {
			return time.Time{}, unauthorized(name, "must be Unix seconds or an RFC 3339 time")
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, unauthorized(name, "must be Unix seconds or an RFC 3339 time")
	}
	return t, nil
}

// ParseZendeskSignature decodes Zendesk's base64 HMAC-SHA256 signature.
func ParseZendeskSignature(s string) ([]byte, error) {
	mac, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(mac) != sha256.Size {
		return nil, unauthorized(HeaderZendeskSignature, "must be the base64 of a 32-byte HMAC-SHA256")
	}
	return mac, nil
}

// ParseHexSignature decodes a "sha256=<64 hex digits>" signature header.
func ParseHexSignature(name, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	const prefix = "sha256="
	if len(s) != len(prefix)+2*sha256.Size || !strings.EqualFold(s[:len(prefix)], prefix) {
		return nil, unauthorized(name, "must be sha256=<64 hex digits of HMAC-SHA256>")
	}
	mac, err := hex.DecodeString(s[len(prefix):])
	if err != nil {
		return nil, unauthorized(name, "must be sha256=<64 hex digits of HMAC-SHA256>")
	}
	return mac, nil
}

func sum(secret, ts, sep, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(ts)
	m.Write(sep)
	m.Write(body)
	return m.Sum(nil)
}

func compare(got, want []byte, src Source) error {
	if !hmac.Equal(got, want) {
		return domain.Errorf(domain.EUNAUTHORIZED, "the signature does not match the body: the sender's secret differs from %s, or the body was changed on the way", src.SecretSetting())
	}
	return nil
}

func unauthorized(header, problem string) error {
	return &domain.Error{Code: domain.EUNAUTHORIZED, Field: header, Message: problem}
}
