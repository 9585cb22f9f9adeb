// Package porttest holds one conformance suite per domain port. Each suite is
// run against the real adapter (over Azurite, the Service Bus peer or the
// Graph simulator) and against the in-memory double, so both behave alike.
// Test support only.
package porttest
