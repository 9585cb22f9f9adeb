package graph

import (
	"bytes"
	"io"
	"net/http"

	khttp "github.com/microsoft/kiota-http-go"
)

// bodyPerAttempt is the innermost middleware: it hands each attempt its own
// copy of the request body. The retry handler rewinds one shared (gzip)
// body between attempts, while net/http's transport reads and closes a body
// on a goroutine of its own that can outlive the attempt's response; a retry
// sent on that shared reader then raced the previous attempt's writer and
// went out empty or truncated under its old Content-Length (seen as
// "ContentLength=107 with Body length 0"). Read here, synchronously, the
// shared body is never touched by the transport.
type bodyPerAttempt struct{}

func (bodyPerAttempt) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return p.Next(req, i)
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	if s, ok := req.Body.(io.Seeker); ok {
		// Leave the shared body rewound for the next attempt, as found.
		if _, err := s.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	attempt := req.Clone(req.Context())
	attempt.Body = io.NopCloser(bytes.NewReader(b))
	attempt.ContentLength = int64(len(b))
	attempt.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return p.Next(attempt, i)
}
