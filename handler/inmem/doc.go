// Package inmem holds in-memory implementations of the domain ports, for unit
// tests of the jobs and for dry runs. Each passes the same conformance suite
// (package porttest) as the real adapter, so it cannot drift from it. Nothing
// here is durable; nothing here is used in production wiring except explicit
// dry-run sinks.
package inmem
