// Package graphcorpus holds the documented-examples corpus of the Graph
// adapter (docs/architecture.md, "Local stand-ins": the simulators follow
// Microsoft's documentation, not our code). It has no code of its own; its
// tests and testdata/ are the corpus:
//
//   - testdata/*.json: one fixture per Graph call the adapter makes (method
//     and route), each the response shape of that call's Microsoft Learn API
//     reference example — written by us with our own ids and values — and
//     naming its page;
//   - every fixture is decoded through the real decoder the code uses (the
//     SDK's parsable factories for msgraph-sdk-go calls, the REST client's
//     own decoders for graphrest and lookup calls);
//   - the simulator's answer to the same request is checked to have that
//     shape at the paths the code reads;
//   - the conformance suites of the three Graph ports run against the
//     simulator, which records every (method, route) the adapters send; a
//     call without a fixture, or a fixture no adapter sends, fails.
package graphcorpus
