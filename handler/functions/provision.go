package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
	"github.com/identity-ops/aircall-entra-sso/handler/strictjson"
)

// MaxProvisionBody is the largest provision request body accepted.
const MaxProvisionBody = 64 << 10

// Provisioner plans or applies the Aircall app; *provision.Job is one.
type Provisioner interface {
	Run(ctx context.Context, req provision.Request) (*provision.Result, error)
}

// Provision is the function behind POST /api/provision. The body is
// {"dryRun":bool,"displayName":"…","assign":["<object id>",…]}. It changes
// the tenant only on an explicit "dryRun": false; an empty body, {} or a body
// without dryRun plans (docs/provision.md). Unknown fields, trailing
// data and bodies over 64 KiB are refused. It answers 200 with the plan or
// the applied steps (201 when the app was created), the app's ids, the
// federation metadata URL and the next step on Aircall's side.
func Provision(p Provisioner) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		log := inv.Log
		if log == nil {
			log = slog.Default()
		}
		req, err := httpRequest(inv, "provision", http.MethodPost, "/api/provision")
		if err != nil {
			return nil, err
		}
		preq, err := DecodeProvisionRequest(req.ContentType(), req.Body)
		if err != nil {
			return nil, err
		}
		res, err := p.Run(ctx, preq)
		if err != nil {
			return nil, err
		}
		status := http.StatusOK
		for _, s := range res.Steps {
			if !res.DryRun && s.Kind == provision.StepCreateApp {
				status = http.StatusCreated
			}
		}
		appID := ""
		if res.App != nil {
			appID = res.App.AppID
		}
		log.Info("provision", "dryRun", res.DryRun, "status", res.Status, "steps", len(res.Steps), "appId", appID)
		return funchost.JSON(status, res), nil
	}
}

// DecodeProvisionRequest decodes a provision body strictly. DryRun is true
// unless the body says "dryRun": false: a request that does not ask to
// change the tenant only plans.
func DecodeProvisionRequest(contentType string, body []byte) (provision.Request, error) {
	r := provision.Request{DryRun: true}
	if len(body) > MaxProvisionBody {
		return r, domain.Errorf(domain.ETOOLARGE, "the request body is %d bytes; the limit is %d", len(body), MaxProvisionBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return r, nil
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return r, domain.Errorf(domain.EMEDIATYPE, "send the body as Content-Type: application/json, got %q", contentType)
	}
	if b := bytes.TrimSpace(body); b[0] != '{' {
		return r, domain.Errorf(domain.EINVALID, `the body must be a JSON object like {"dryRun":true}`)
	}
	err := strictjson.Object("", body, func(key string, raw json.RawMessage) error {
		var target any
		switch key {
		case "dryRun":
			target = &r.DryRun
		case "displayName":
			target = &r.DisplayName
		case "assign":
			target = &r.Assign
		default:
			return domain.Errorf(domain.EINVALID, "unknown field %q (allowed: dryRun, displayName, assign; names are case-sensitive)", key)
		}
		if err := json.Unmarshal(raw, target); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return domain.FieldError(key, "must be %s, got a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
			}
			return domain.FieldError(key, "is not valid: %s", err.Error())
		}
		return nil
	})
	if err != nil {
		return provision.Request{DryRun: true}, err
	}
	return r, nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "an array of strings"
	}
	return "a " + goKind
}
