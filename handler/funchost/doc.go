// Package funchost speaks the Azure Functions custom-handler contract: it
// decodes the envelopes the Functions host POSTs to /{FunctionName}, routes
// each to the function registered under that name, and encodes the answer
// ({"Outputs":{"res":…},"Logs":[…],"ReturnValue":…}).
//
// It is the only place that knows the envelope shapes and the only place that
// maps the domain error vocabulary to HTTP status codes. It must not contain
// job logic: a function receives an Invocation (never the raw envelope) and
// returns a Response or a domain error.
//
// The contract followed here is written down in docs/architecture.md,
// "Functions host contract": readiness is any answer to GET /, the
// host is always answered with 2xx and the caller's status travels in
// Outputs.res.statusCode.
package funchost
