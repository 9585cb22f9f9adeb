// Package archtest holds the tests that keep the layers of
// docs/architecture.md ("Layers" and "What may import what") true: which
// package of this module may depend on which, that the Azure SDKs stay in
// the adapters and the composition root, that nothing under handler/ links
// the local stand-ins of devenv/ or a test helper, and that no comment
// cites a document outside the repository.
//
// It has no code of its own and nothing imports it. When a test here fails,
// fix the import (or the comment), not the rule; a new package is placed in
// a layer in archtest_test.go, and docs/architecture.md says why.
package archtest
