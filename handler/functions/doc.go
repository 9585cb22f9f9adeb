// Package functions is the HTTP and timer face of each job: one file per
// function (named after its folder under functions/) that decodes and
// validates the caller's request, calls the job, and shapes the answer.
//
// It holds no policy — that is the jobs' — and it never sees the host's
// envelope — that is funchost's. Caller errors are domain errors; funchost
// maps them to status codes.
package functions
