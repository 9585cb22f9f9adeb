package funchost

import (
	"net/http"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// StatusOf maps a domain error code to the HTTP status the caller sees. This
// is the only such mapping in the code base.
func StatusOf(code domain.Code) int {
	switch code {
	case "":
		return http.StatusOK
	case domain.EINVALID:
		return http.StatusBadRequest
	case domain.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case domain.EMEDIATYPE:
		return http.StatusUnsupportedMediaType
	case domain.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case domain.EUPSTREAM:
		return http.StatusBadGateway
	case domain.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the JSON a caller gets for an error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

// ErrorResponse turns err into the caller's answer: status from its code, a
// JSON body with code, message and field. What a dependency said (Graph
// paths, SDK error types, Graph's own messages) stays in the logs: a 5xx or
// a 403 from our own identity being refused is answered with a fixed message
// (PublicMessage), so a stranger learns nothing about the app's insides.
func ErrorResponse(err error) *Response { return errorResponse(err, "") }

func errorResponse(err error, invocationID string) *Response {
	code := domain.ErrorCode(err)
	d := errorDetail{Code: code, Message: domain.ErrorMessage(err)}
	var de *domain.Error
	if asDomain(err, &de) {
		d.Field = de.Field
		d.Message = de.Message
	}
	msg, ok := PublicMessage(code)
	if !ok && fromAdapter(d.Message) {
		// A dependency's own answer (a Graph 404, a Blob conflict): its words
		// name paths and codes of the app's insides.
		msg, ok = "a service this app depends on refused the call ("+string(code)+"); the app's logs have the details", true
	}
	if ok {
		d.Message, d.Field = msg, ""
		if invocationID != "" {
			d.Message += " (invocation " + invocationID + ")"
		}
	}
	return JSON(StatusOf(code), errorBody{Error: d})
}

// fromAdapter reports whether an error message was written by an adapter:
// adapters prefix theirs with the service's name ("graph: GET /v1.0/…",
// "blob: save checkpoint …"; docs/architecture.md, "Layers").
func fromAdapter(msg string) bool {
	for _, p := range []string{"graph: ", "blob: ", "servicebus: ", "outbox: ", "aircall: ", "fedmeta: "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// PublicMessage is what a caller is told for an error whose details are the
// app's own business: a dependency failed or refused this app (EFORBIDDEN,
// EUPSTREAM, EUNAVAILABLE) or a bug (EINTERNAL). ok is false for the codes
// whose message is about the caller's request and is shown as written.
func PublicMessage(code domain.Code) (msg string, ok bool) {
	switch code {
	case domain.EFORBIDDEN:
		return "a service this app depends on refused the app's own identity (a missing permission or role); the app's logs have the details", true
	case domain.EUPSTREAM:
		return "a service this app depends on failed or refused the call; the app's logs have the details", true
	case domain.EUNAVAILABLE:
		return "a service this app depends on is unavailable; try again later (retrying is safe)", true
	case domain.EINTERNAL:
		return "internal error; the app's logs have the details", true
	}
	return "", false
}
