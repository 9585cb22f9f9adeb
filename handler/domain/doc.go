// Package domain holds what every part of aircall-entra-sso agrees on: Aircall's
// service-provider constants (defined here and nowhere else), the desired SAML
// application, the values that flow between jobs (User, Finding, Event,
// MetadataSnapshot), the small ports the jobs need (directory, snapshot store,
// event sink, lock, checkpoint store) and one error vocabulary.
//
// It must not import an Azure SDK, read the environment or do I/O: adapters
// implement the ports, jobs use them, and funchost maps error codes to HTTP.
package domain
