package fedmeta

import (
	"errors"
	"fmt"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Problem classifies why a federation metadata document was refused or could
// not be fetched. It is stable: events and tests use it.
type Problem string

// The problems.
const (
	ProblemUnreachable   Problem = "unreachable"            // no answer from the authority
	ProblemHTTPStatus    Problem = "http-status"            // the authority answered with an error status
	ProblemTooLarge      Problem = "too-large"              // over MaxDocumentSize
	ProblemEmpty         Problem = "empty"                  // no bytes
	ProblemDTD           Problem = "dtd"                    // a DOCTYPE or other directive
	ProblemMalformed     Problem = "malformed"              // not well-formed XML, unknown entity, truncated
	ProblemNotMetadata   Problem = "not-metadata"           // root is not a SAML 2.0 EntityDescriptor
	ProblemEntityID      Problem = "entity-id"              // entityID is not the tenant's
	ProblemNoIDP         Problem = "no-idp-sso-descriptor"  // no IDPSSODescriptor supporting SAML 2.0
	ProblemNoSSO         Problem = "no-sso-url"             // no usable SingleSignOnService Location
	ProblemNoCertificate Problem = "no-signing-certificate" // no signing certificate
	ProblemBadCert       Problem = "bad-certificate"        // a certificate that does not parse
	ProblemUnsigned      Problem = "unsigned"               // no enveloped XML signature
	ProblemSignature     Problem = "bad-signature"          // the signature does not verify
	ProblemSignerExpired Problem = "signer-expired"         // the signing certificate is outside its validity
	// ProblemUntrustedSigner: the signature is made with a certificate
	// Graph does not list for the app's service principal (trust.go).
	ProblemUntrustedSigner Problem = "untrusted-signer"
	// ProblemUntrustedCertificate: the document lists a signing
	// certificate that is not one of the service principal's keyCredentials.
	ProblemUntrustedCertificate Problem = "untrusted-certificate"
	// ProblemRedirect: the authority redirected to another scheme or host.
	ProblemRedirect Problem = "redirect"
)

// InvalidError is the cause carried by every error of this package: the
// problem class and what was wrong.
type InvalidError struct {
	Problem Problem
	Detail  string
	Err     error
}

func (e *InvalidError) Error() string {
	// The Detail is already the domain error's message: say only the class
	// and the underlying cause here.
	if e.Err != nil {
		return "(" + string(e.Problem) + ") " + e.Err.Error()
	}
	return "(" + string(e.Problem) + ")"
}

func (e *InvalidError) Unwrap() error { return e.Err }

// ProblemOf returns the Problem of an error from this package, or "" when
// err carries none.
func ProblemOf(err error) Problem {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie.Problem
	}
	return ""
}

// refuse returns the domain error for a document refused for problem p: an
// EUPSTREAM error (Entra, or something between us and it, sent a bad
// document) whose message says what was wrong and what to do.
func refuse(p Problem, cause error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &domain.Error{Code: domain.EUPSTREAM, Message: "federation metadata refused: " + msg,
		Err: &InvalidError{Problem: p, Detail: msg, Err: cause}}
}
