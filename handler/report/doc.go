// Package report renders the audit report page that people open: the latest
// audit run as one self-contained HTML page (a headline with how many people
// would fail to sign in to Aircall, one section per cause with its remedy
// stated once, a trend chart of the last runs drawn as inline SVG, and the
// app's health), and the same data as JSON and CSV.
//
// It also defines RunSummary and Index, the small run summary index the
// trend chart reads so the page needs one document, not one report per run.
//
// The package is pure: Build turns an Input into a Model and HTML, JSON and
// CSV write a Model. It must not do I/O beyond the writer it is given, read
// the clock or the environment, or know where reports are stored; the HTTP
// function that serves the page finds the run, the index and the health
// facts and hands them over. The page must stay self-contained: no external
// asset, no script, so it works offline, in a mail attachment and printed.
package report
