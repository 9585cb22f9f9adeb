package blob

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// TestTranslateUsesTheUpstreamRule: Blob's answers get their code from
// domain.FromStatus like Graph's and the metadata fetch's. A 500 or 502
// from storage was EUNAVAILABLE here and EUPSTREAM elsewhere.
func TestTranslateUsesTheUpstreamRule(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want domain.Code
	}{
		{&azcore.ResponseError{StatusCode: 404, ErrorCode: "BlobNotFound"}, domain.ENOTFOUND},
		{&azcore.ResponseError{StatusCode: 409, ErrorCode: "LeaseAlreadyPresent"}, domain.ECONFLICT},
		{&azcore.ResponseError{StatusCode: 412, ErrorCode: "ConditionNotMet"}, domain.ECONFLICT},
		{&azcore.ResponseError{StatusCode: 403, ErrorCode: "AuthorizationPermissionMismatch"}, domain.EFORBIDDEN},
		{&azcore.ResponseError{StatusCode: 401, ErrorCode: "NoAuthenticationInformation"}, domain.EFORBIDDEN},
		{&azcore.ResponseError{StatusCode: 400, ErrorCode: "InvalidHeaderValue"}, domain.EUPSTREAM},
		{&azcore.ResponseError{StatusCode: 500, ErrorCode: "InternalError"}, domain.EUPSTREAM},
		{&azcore.ResponseError{StatusCode: 502}, domain.EUPSTREAM},
		{&azcore.ResponseError{StatusCode: 503, ErrorCode: "ServerBusy"}, domain.EUNAVAILABLE},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, domain.EUNAVAILABLE},
		{context.DeadlineExceeded, domain.EUNAVAILABLE},
	} {
		if got := translate(tc.err, "read %s", "x"); !domain.IsCode(got, tc.want) || !errors.Is(got, tc.err) {
			t.Errorf("%v: got %v (%s), want %s keeping the cause", tc.err, got, domain.ErrorCode(got), tc.want)
		}
	}
	if translate(nil, "x") != nil {
		t.Error("nil must stay nil")
	}
}
