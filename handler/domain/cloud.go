package domain

import "strings"

// Cloud is one Azure cloud the handler can run against: where its Graph and
// sign-in hosts are, the DNS suffixes of its storage and Service Bus
// endpoints, and the id of its non-gallery application template. The three
// clouds differ in every one of these (docs/deploy.md, "Clouds").
type Cloud struct {
	// Name is the AZURE_CLOUD value: AzurePublic, AzureUSGovernment or AzureChina.
	Name string
	// GraphBaseURL is the Microsoft Graph root (no version), from
	// learn.microsoft.com/graph/deployments ("Microsoft Graph and Graph
	// Explorer service root endpoints").
	GraphBaseURL string
	// GraphHosts are every Graph host of the cloud (US Government L5/DoD
	// has its own, same page).
	GraphHosts []string
	// LoginAuthority is the Entra sign-in authority (no trailing slash),
	// learn.microsoft.com/entra/identity-platform/authentication-national-cloud.
	LoginAuthority string
	// LoginHosts are every sign-in host of the cloud (same page; the public
	// cloud's environment().authentication.loginEndpoint may read
	// login.windows.net, Bicep deployment functions page).
	LoginHosts []string
	// StorageSuffix and ServiceBusSuffix are the endpoint suffixes
	// (learn.microsoft.com/azure/china/resources-developer-guide,
	// learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure).
	StorageSuffix    string
	ServiceBusSuffix string
	// TemplateID is the non-gallery application template
	// (learn.microsoft.com/graph/api/applicationtemplate-instantiate: global
	// 8adf8e6e-…, US government 4602d0b4-…, China operated by 21Vianet 5a532e38-…).
	TemplateID string
}

// Cloud names (AZURE_CLOUD).
const (
	CloudPublic       = "AzurePublic"
	CloudUSGovernment = "AzureUSGovernment"
	CloudChina        = "AzureChina"
)

// Clouds returns the three clouds, public first.
func Clouds() []Cloud {
	return []Cloud{
		{Name: CloudPublic, GraphBaseURL: "https://graph.microsoft.com", GraphHosts: []string{"graph.microsoft.com"},
			LoginAuthority: "https://login.microsoftonline.com", LoginHosts: []string{"login.microsoftonline.com", "login.windows.net"},
			StorageSuffix: "core.windows.net", ServiceBusSuffix: "servicebus.windows.net", TemplateID: NonGalleryTemplateID},
		{Name: CloudUSGovernment, GraphBaseURL: "https://graph.microsoft.us", GraphHosts: []string{"graph.microsoft.us", "dod-graph.microsoft.us"},
			LoginAuthority: "https://login.microsoftonline.us", LoginHosts: []string{"login.microsoftonline.us"},
			StorageSuffix: "core.usgovcloudapi.net", ServiceBusSuffix: "servicebus.usgovcloudapi.net", TemplateID: NonGalleryTemplateIDUSGovernment},
		{Name: CloudChina, GraphBaseURL: "https://microsoftgraph.chinacloudapi.cn", GraphHosts: []string{"microsoftgraph.chinacloudapi.cn"},
			LoginAuthority: "https://login.chinacloudapi.cn", LoginHosts: []string{"login.chinacloudapi.cn", "login.partner.microsoftonline.cn"},
			StorageSuffix: "core.chinacloudapi.cn", ServiceBusSuffix: "servicebus.chinacloudapi.cn", TemplateID: NonGalleryTemplateIDChina},
	}
}

// LookupCloud returns the cloud named name (case-insensitive).
func LookupCloud(name string) (Cloud, bool) {
	for _, c := range Clouds() {
		if strings.EqualFold(c.Name, strings.TrimSpace(name)) {
			return c, true
		}
	}
	return Cloud{}, false
}

// CloudOfHost returns the cloud one of whose Graph or sign-in hosts is host.
func CloudOfHost(host string) (Cloud, bool) {
	host = strings.ToLower(host)
	for _, c := range Clouds() {
		for _, h := range append(append([]string(nil), c.GraphHosts...), c.LoginHosts...) {
			if h == host {
				return c, true
			}
		}
	}
	return Cloud{}, false
}
