package funchost

import (
	"net/http"

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
// JSON body with code, message and field. Internal details of non-domain
// errors are not shown.
func ErrorResponse(err error) *Response {
	code := domain.ErrorCode(err)
	d := errorDetail{Code: code, Message: domain.ErrorMessage(err)}
	var de *domain.Error
	if asDomain(err, &de) {
		d.Field = de.Field
		d.Message = de.Message
	}
	return JSON(StatusOf(code), errorBody{Error: d})
}
