package devhost

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// startInProcess serves Options.Handler on a free loopback port of this
// process, where the host would have started the binary; everything else
// (routes, keys, envelopes, timers) is the same.
func (h *Host) startInProcess() error {
	start := time.Now()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.port = ln.Addr().(*net.TCPAddr).Port
	h.srv = &http.Server{Addr: "127.0.0.1:" + strconv.Itoa(h.port), Handler: h.opts.Handler, ReadHeaderTimeout: 10 * time.Second}
	h.exited = make(chan struct{})
	go func() {
		err := h.srv.Serve(ln)
		h.mu.Lock()
		if !errors.Is(err, http.ErrServerClosed) {
			h.exitErr = err
		}
		h.mu.Unlock()
		close(h.exited)
	}()
	h.Ready = time.Since(start)
	return nil
}

// stopInProcess shuts the server down gracefully (up to 30 s).
func (h *Host) stopInProcess() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := h.srv.Shutdown(ctx)
	<-h.exited
	h.mu.Lock()
	defer h.mu.Unlock()
	return errors.Join(err, h.exitErr)
}
