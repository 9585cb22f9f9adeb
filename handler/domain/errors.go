package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error for the caller. funchost maps each code to an HTTP
// status in exactly one place; jobs and adapters only choose the code, and an
// adapter that got an HTTP status from an upstream (Graph, Blob, the
// federation metadata endpoint) takes it from FromStatus, the one rule.
type Code string

// The error vocabulary.
const (
	EINVALID       Code = "invalid"                // the caller's input is malformed (400)
	EUNAUTHORIZED  Code = "unauthorized"           // the caller's credentials or signature are missing, wrong or stale (401)
	EFORBIDDEN     Code = "forbidden"              // authenticated but not allowed, e.g. a missing Graph permission (403)
	ENOTFOUND      Code = "not_found"              // the thing asked for does not exist (404)
	ECONFLICT      Code = "conflict"               // another run holds the lock, or a precondition failed (409)
	ETOOLARGE      Code = "too_large"              // body over its limit (413)
	EMEDIATYPE     Code = "unsupported_media_type" // wrong Content-Type (415)
	EUNPROCESSABLE Code = "unprocessable"          // well-formed but refused by policy, e.g. identifier-URI policy (422)
	EUPSTREAM      Code = "upstream"               // Graph, Blob, Service Bus or Entra failed or refused; retrying will not help by itself (502)
	EUNAVAILABLE   Code = "unavailable"            // a dependency is temporarily unavailable; retry later (503)
	EINTERNAL      Code = "internal"               // a bug (500)
)

// Error is an application error: a code, a message fit for the caller, and
// optionally the input field at fault and the underlying cause.
type Error struct {
	Code    Code
	Message string
	// Field names the input field or setting at fault, when there is one.
	Field string
	// Err is the cause, kept for logs and errors.Is/As; never shown to callers.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error naming the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code and message that keeps err as its cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL
// for any other non-nil error, or "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-facing message of err: the *Error's message
// (with its field), or a generic text for errors that are not *Error, so that
// internal details never reach a caller.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return ErrorCode(err) == code }
