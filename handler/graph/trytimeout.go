package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// DefaultTryTimeout bounds each try of a Graph call (docs/webhooks.md,
// "Deadlines"): a peer that accepts the connection and never answers costs
// one try, not the whole call.
const DefaultTryTimeout = 20 * time.Second

// tryTimeout is the parent transport under the SDK's middleware: each try
// of a read (the retry handler calls it once per try) gets its own deadline,
// the answer's body included, and, as the SDK's retry handler retries only
// statuses, a read whose try ran out of time is tried again here, up to
// retries more times. Writes pass through untouched: the retry handler
// rewinds their (compressed) body between tries, which a request copy with
// its own context breaks, and a write that stalled may have been applied
// anyway; they are bounded by the client's overall timeout (100 s) and a
// failed provision run is re-planned by the next (docs/provision.md).
type tryTimeout struct {
	next    http.RoundTripper
	timeout time.Duration
	retries int
}

func (t tryTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return t.next.RoundTrip(req)
	}
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
		resp, err := t.next.RoundTrip(req.WithContext(ctx))
		if err == nil {
			resp.Body = cancelOnClose{resp.Body, cancel}
			return resp, nil
		}
		cancel()
		stalled := errors.Is(err, context.DeadlineExceeded) && req.Context().Err() == nil
		if !stalled || try >= t.retries {
			return nil, err
		}
	}
}

// cancelOnClose ends a try's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
