package domain

// Aircall's SAML service provider, as given by Aircall's help article
// "Configure Microsoft Entra ID for SAML SSO". These are the only copies of the
// values in the code base.
const (
	// AircallEntityID is the Identifier (Entity ID) Aircall's Cognito user pool
	// presents; it becomes the application's identifierUris entry.
	AircallEntityID = "urn:amazon:cognito:sp:us-west-2_hZkGBmIsz"
	// AircallReplyURL is the Assertion Consumer Service URL; it becomes the
	// application's web.redirectUris entry.
	AircallReplyURL = "https://sso.aircall.io/saml2/idpresponse"
)

// Entra ID constants used when creating the enterprise application.
const (
	// NonGalleryTemplateID is the application template behind "Create your own
	// application → Integrate any other application (Non-gallery)" in the
	// global cloud; NonGalleryTemplateIDUSGovernment and
	// NonGalleryTemplateIDChina are the same template in the US Government
	// and China (21Vianet) clouds
	// (learn.microsoft.com/graph/api/applicationtemplate-instantiate). Which
	// one applies follows AZURE_CLOUD (Cloud.TemplateID).
	NonGalleryTemplateID             = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
	NonGalleryTemplateIDUSGovernment = "4602d0b4-76bb-404b-bca9-2652e1a39c6d"
	NonGalleryTemplateIDChina        = "5a532e38-1581-4918-9658-008dc27c1d68"
	// ManagedTag is set on the application and service principal we create so a
	// later run finds them even after someone renames the app.
	ManagedTag = "aircall-entra-sso:managed"
	// EmailClaimType is the SAML attribute Aircall reads the user's email from.
	EmailClaimType = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	// NameIDClaimType is the SAML NameID claim type.
	NameIDClaimType = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
)

// ClaimSource names the user attribute the email claim is sourced from.
type ClaimSource string

const (
	// ClaimFromUPN sources the email claim from user.userprincipalname: the
	// fix the help article's troubleshooting section prescribes, applied up front.
	ClaimFromUPN ClaimSource = "userprincipalname"
	// ClaimFromMail sources it from user.mail (the portal's default).
	ClaimFromMail ClaimSource = "mail"
)

// Valid reports whether s is a supported claim source.
func (s ClaimSource) Valid() bool { return s == ClaimFromUPN || s == ClaimFromMail }
