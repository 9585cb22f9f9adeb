// Package webhook reads the requests ticketing systems post to
// /api/webhooks/{source}: it checks each request's size, content type and
// signature (per source, over the raw body exactly as received, in constant
// time, within a replay window) and extracts the user to diagnose and the
// ticket reference from each source's documented payload
// (docs/webhooks.md).
//
// It is pure: no I/O, no clock except the injected one, no logging. Errors
// use the domain vocabulary (EUNAUTHORIZED, EINVALID with the field,
// ETOOLARGE, EMEDIATYPE, ENOTFOUND) and never contain a secret, a signature
// or a header value a sender supplied as proof.
package webhook
