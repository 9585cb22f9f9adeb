package main

// sharedAdapters holds adapters that several areas use (the blob store, the
// event sink), built once on first use so start-up stays fast.
type sharedAdapters struct{}
