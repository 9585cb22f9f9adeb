package config

import (
	"net/url"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Cloud settings (docs/deploy.md, "Clouds"): AZURE_CLOUD picks one of the
// three clouds, and GRAPH_BASE_URL and LOGIN_AUTHORITY default from it.
// Because the handler sends its managed identity's Graph token to
// GRAPH_BASE_URL, both accept only that cloud's own hosts over https — and,
// outside Azure only (WEBSITE_INSTANCE_ID unset), a loopback host for the
// local simulator. Nothing else gets a token.

// cloud reads AZURE_CLOUD.
func (l *loader) cloud(name string) domain.Cloud {
	v := l.str(name)
	c, ok := domain.LookupCloud(v)
	if !ok {
		l.fail(name, "must be one of "+domain.CloudPublic+", "+domain.CloudUSGovernment+" or "+domain.CloudChina, v)
		c, _ = domain.LookupCloud(domain.CloudPublic)
	}
	return c
}

// inAzure reports whether the handler runs in App Service / Functions:
// the platform sets WEBSITE_INSTANCE_ID on every instance
// (learn.microsoft.com/azure/app-service/reference-app-settings, "App
// environment").
func (l *loader) inAzure() bool { return l.str("WEBSITE_INSTANCE_ID") != "" }

// cloudEndpoint reads GRAPH_BASE_URL or LOGIN_AUTHORITY: empty is def; else
// an https URL on one of hosts (the cloud's), or, outside Azure, a loopback
// URL (http or https).
func (l *loader) cloudEndpoint(name string, c domain.Cloud, def string, hosts []string, inAzure bool) string {
	v := l.str(name)
	if v == "" {
		return def
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		l.fail(name, "must be a URL with only a scheme and a host, like "+def, v)
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if isLoopback(host) {
		if inAzure {
			l.fail(name, "points at a loopback host, which is for local runs only (WEBSITE_INSTANCE_ID is set: this is Azure)", v)
			return ""
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			l.fail(name, "must be http or https", v)
			return ""
		}
		return strings.TrimRight(v, "/")
	}
	if u.Scheme != "https" {
		l.fail(name, "must be https (http only for a loopback host outside Azure): a token is never sent in clear text", v)
		return ""
	}
	for _, h := range hosts {
		if host == h && u.Port() == "" {
			return strings.TrimRight(v, "/")
		}
	}
	if other, ok := domain.CloudOfHost(host); ok && other.Name != c.Name {
		l.fail(name, "is a host of "+other.Name+" but AZURE_CLOUD is "+c.Name+": set AZURE_CLOUD="+other.Name+" or leave "+name+" empty", v)
		return ""
	}
	l.fail(name, "must be a host of AZURE_CLOUD "+c.Name+" ("+strings.Join(hosts, ", ")+"), or empty for "+def, v)
	return ""
}

// cloudSuffix checks, in Azure, that a storage or Service Bus endpoint
// belongs to the configured cloud (host ends in .suffix).
func (l *loader) cloudSuffix(name, host, suffix string, c domain.Cloud, inAzure bool) {
	host = strings.ToLower(host)
	if !inAzure || host == "" || isLoopback(host) || strings.HasSuffix(host, "."+suffix) {
		return
	}
	l.fail(name, "is not an endpoint of AZURE_CLOUD "+c.Name+" (want a host ending in ."+suffix+")", host)
}

// loadCloud fills the cloud fields of c.
func (l *loader) loadCloud(c *Config) {
	cl := l.cloud("AZURE_CLOUD")
	in := l.inAzure()
	c.Cloud, c.InAzure = cl, in
	c.GraphBaseURL = l.cloudEndpoint("GRAPH_BASE_URL", cl, cl.GraphBaseURL, cl.GraphHosts, in)
	c.LoginAuthority = l.cloudEndpoint("LOGIN_AUTHORITY", cl, cl.LoginAuthority, cl.LoginHosts, in)
	if u, err := url.Parse(c.BlobServiceURL); err == nil {
		l.cloudSuffix("BLOB_SERVICE_URL", u.Hostname(), "blob."+cl.StorageSuffix, cl, in)
	}
	l.cloudSuffix("SERVICEBUS_NAMESPACE", c.ServiceBusNamespace, cl.ServiceBusSuffix, cl, in)
}
