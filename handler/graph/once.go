package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationtemplates"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

// Writes that must not be repeated: instantiate creates an app and
// addTokenSigningCertificate a certificate each time they run, so a 5xx or
// 504 after Graph did the work must not be answered by sending them again.
// The SDK's retry handler (which retries 429/503/504) is limited, for these
// two requests, to 429 — a throttled request was not processed
// (learn.microsoft.com/graph/throttling) — and after any other uncertain
// outcome the adapter looks for what the call may have created before
// sending it once more.

// onlyThrottled is the per-request retry option of the two
// non-repeatable writes (kiota-http-go reads a RetryHandlerOptions from the
// request's options before its handler's defaults).
func (c *Client) onlyThrottled() []abs.RequestOption {
	return []abs.RequestOption{&khttp.RetryHandlerOptions{
		MaxRetries: c.o.MaxRetries, DelaySeconds: c.o.RetryDelaySeconds,
		ShouldRetry: func(_ time.Duration, _ int, _ *http.Request, r *http.Response) bool {
			return r != nil && r.StatusCode == http.StatusTooManyRequests
		},
	}}
}

// uncertain reports whether a failed write may have been carried out:
// Graph answered 408 or 5xx, or the answer never came (transport error).
func uncertain(err error) bool {
	if f, ok := failure(err); ok {
		return f.Status >= 500 || f.Status == http.StatusRequestTimeout
	}
	return !errors.Is(err, context.Canceled)
}

// Instantiate implements domain.AppDirectory: instantiate the non-gallery
// template (once; see above), wait for replication, then tag both objects.
func (c *Client) Instantiate(ctx context.Context, displayName string) (domain.App, error) {
	before, err := c.appsNamed(ctx, displayName)
	if err != nil {
		return domain.App{}, err
	}
	objectID, spID, appID, err := c.instantiateOnce(ctx, displayName, before)
	if err != nil {
		return domain.App{}, err
	}
	c.log.Info("instantiated the Aircall app", "appId", appID, "objectId", objectID, "servicePrincipalId", spID)
	var app domain.App
	err = c.waitFor(ctx, "the new app "+appID, func() error {
		var err error
		app, err = c.GetApp(ctx, objectID, spID)
		return err
	})
	if err != nil {
		return domain.App{}, err
	}
	if err := c.waitFor(ctx, "the new application "+appID, func() error {
		return c.PatchApplication(ctx, objectID, domain.ApplicationPatch{Tags: withTag(app.Tags)})
	}); err != nil {
		return domain.App{}, err
	}
	if err := c.waitFor(ctx, "the new service principal "+appID, func() error {
		return c.PatchServicePrincipal(ctx, spID, domain.ServicePrincipalPatch{Tags: withTag(app.ServicePrincipalTags)})
	}); err != nil {
		return domain.App{}, err
	}
	app.Tags, app.ServicePrincipalTags = withTag(app.Tags), withTag(app.ServicePrincipalTags)
	return app, nil
}

// instantiateOnce posts instantiate; after an uncertain outcome it looks
// for an application named displayName from our template that was not in
// before (the lookup waits out replication) and posts again only when there
// is none.
func (c *Client) instantiateOnce(ctx context.Context, displayName string, before map[string]bool) (objectID, spID, appID string, err error) {
	body := applicationtemplates.NewItemInstantiatePostRequestBody()
	body.SetDisplayName(&displayName)
	post := func() (string, string, string, error) {
		res, err := applicationtemplates.NewApplicationTemplatesRequestBuilderInternal(c.params(), c.adapter).
			ByApplicationTemplateId(c.o.TemplateID).Instantiate().Post(ctx, body,
			&applicationtemplates.ItemInstantiateRequestBuilderPostRequestConfiguration{Options: c.onlyThrottled()})
		if err != nil {
			return "", "", "", err
		}
		if res == nil || res.GetApplication() == nil || res.GetServicePrincipal() == nil {
			return "", "", "", domain.Errorf(domain.EUPSTREAM, "graph: instantiate answered without the application and service principal")
		}
		return deref(res.GetApplication().GetId()), deref(res.GetServicePrincipal().GetId()), deref(res.GetApplication().GetAppId()), nil
	}
	objectID, spID, appID, err = post()
	if err == nil || !uncertain(err) {
		return objectID, spID, appID, mapError(err, "instantiate the non-gallery application template "+c.o.TemplateID, permInstanti)
	}
	c.log.Warn("instantiate: uncertain outcome, looking for the app before trying again", "error", err.Error())
	// searched: the last lookup completed and found nothing new; only then,
	// once replication has been waited out, is the call sent again.
	var found, searched bool
	lerr := c.waitFor(ctx, "the app an uncertain instantiate may have created", func() error {
		var ferr error
		objectID, spID, appID, found, ferr = c.createdSince(ctx, displayName, before)
		searched = ferr == nil && !found
		if searched {
			return domain.Errorf(domain.ENOTFOUND, "no new application named %q", displayName)
		}
		return ferr
	})
	switch {
	case found:
		c.log.Info("instantiate had created the app", "appId", appID)
		return objectID, spID, appID, nil
	case ctx.Err() != nil:
		return "", "", "", mapError(ctx.Err(), "instantiate", permInstanti)
	case lerr != nil && !searched:
		return "", "", "", lerr
	}
	objectID, spID, appID, err = post()
	return objectID, spID, appID, mapError(err, "instantiate the non-gallery application template "+c.o.TemplateID+" (second attempt)", permInstanti)
}

// appsNamed returns the object ids of the applications named displayName.
func (c *Client) appsNamed(ctx context.Context, displayName string) (map[string]bool, error) {
	filter := "displayName eq " + graphapi.String(displayName)
	page, err := c.apps().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: &filter, Select: []string{"id", "appId", "applicationTemplateId"}, Top: ptr(int32(999))},
	})
	if err != nil {
		return nil, mapError(err, "list the applications named "+displayName, permRead)
	}
	out := map[string]bool{}
	for _, a := range page.GetValue() {
		out[deref(a.GetId())] = true
	}
	return out, nil
}

// createdSince finds the one application named displayName, from our
// template, that is not in before, and its service principal.
func (c *Client) createdSince(ctx context.Context, displayName string, before map[string]bool) (objectID, spID, appID string, found bool, err error) {
	filter := "displayName eq " + graphapi.String(displayName)
	page, err := c.apps().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: &filter, Select: []string{"id", "appId", "applicationTemplateId"}, Top: ptr(int32(999))},
	})
	if err != nil {
		return "", "", "", false, mapError(err, "list the applications named "+displayName, permRead)
	}
	var fresh []models.Applicationable
	for _, a := range page.GetValue() {
		if !before[deref(a.GetId())] && strings.EqualFold(deref(a.GetApplicationTemplateId()), c.o.TemplateID) {
			fresh = append(fresh, a)
		}
	}
	switch len(fresh) {
	case 0:
		return "", "", "", false, nil
	case 1:
	default:
		return "", "", "", false, domain.Errorf(domain.ECONFLICT, "graph: %d new applications named %q appeared during one instantiate: delete the extra ones", len(fresh), displayName)
	}
	appID = deref(fresh[0].GetAppId())
	sps, err := appQuery{c}.ServicePrincipals(ctx, "appId eq "+graphapi.String(appID))
	if err != nil || len(sps) == 0 {
		return "", "", "", false, err
	}
	return deref(fresh[0].GetId()), sps[0].ID, appID, true, nil
}

// AddSigningCertificate implements domain.AppDirectory: addTokenSigningCertificate
// once (see above); after an uncertain outcome the certificate is looked for
// on the service principal — a Verify key with the subject and end date
// asked for that was not there before — and added again only when absent.
func (c *Client) AddSigningCertificate(ctx context.Context, spID, subject string, notAfter time.Time) (domain.SigningCertificate, error) {
	end := notAfter.UTC().Truncate(time.Second)
	before, err := c.signingKeys(ctx, spID)
	if err != nil {
		return domain.SigningCertificate{}, err
	}
	out, err := c.addCertificate(ctx, spID, subject, end)
	if err != nil && uncertain(err) {
		c.log.Warn("addTokenSigningCertificate: uncertain outcome, looking for the certificate before trying again", "servicePrincipalId", spID)
		after, lerr := c.signingKeys(ctx, spID)
		if lerr != nil {
			return domain.SigningCertificate{}, lerr
		}
		for _, k := range after {
			if !hasCert(before, k) && k.Subject == subject && k.NotAfter.Sub(end).Abs() < time.Second {
				c.log.Info("addTokenSigningCertificate had added the certificate", "thumbprint", k.Thumbprint)
				return k, nil
			}
		}
		out, err = c.addCertificate(ctx, spID, subject, end)
	}
	if err != nil {
		return domain.SigningCertificate{}, mapError(err, "add a SAML signing certificate to service principal "+spID, permWrite)
	}
	c.log.Info("added a SAML signing certificate", "servicePrincipalId", spID, "thumbprint", out.Thumbprint, "notAfter", out.NotAfter)
	return out, nil
}

func hasCert(list []domain.SigningCertificate, c domain.SigningCertificate) bool {
	for _, x := range list {
		if x.Thumbprint == c.Thumbprint && x.KeyID == c.KeyID {
			return true
		}
	}
	return false
}

// signingKeys reads the service principal's Verify key credentials.
func (c *Client) signingKeys(ctx context.Context, spID string) ([]domain.SigningCertificate, error) {
	sp, err := c.sps().ByServicePrincipalId(spID).Get(ctx, &serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: []string{"id", "keyCredentials"}},
	})
	if err != nil {
		return nil, mapError(err, "read the signing certificates of service principal "+spID, permRead)
	}
	return toApp(models.NewApplication(), sp).Certificates, nil
}

// addCertificate posts addTokenSigningCertificate with retries on 429 only.
func (c *Client) addCertificate(ctx context.Context, spID, subject string, end time.Time) (domain.SigningCertificate, error) {
	body := serviceprincipals.NewItemAddTokenSigningCertificatePostRequestBody()
	body.SetDisplayName(&subject)
	body.SetEndDateTime(&end)
	cert, err := c.sps().ByServicePrincipalId(spID).AddTokenSigningCertificate().Post(ctx, body,
		&serviceprincipals.ItemAddTokenSigningCertificateRequestBuilderPostRequestConfiguration{Options: c.onlyThrottled()})
	if err != nil {
		return domain.SigningCertificate{}, err
	}
	out := domain.SigningCertificate{Thumbprint: strings.ToUpper(deref(cert.GetThumbprint())), Subject: deref(cert.GetDisplayName())}
	if id := cert.GetKeyId(); id != nil {
		out.KeyID = id.String()
	}
	if t := cert.GetStartDateTime(); t != nil {
		out.NotBefore = t.UTC()
	}
	if t := cert.GetEndDateTime(); t != nil {
		out.NotAfter = t.UTC()
	}
	if out.Thumbprint == "" {
		return out, domain.Errorf(domain.EUPSTREAM, "graph: addTokenSigningCertificate answered without a thumbprint")
	}
	return out, nil
}
