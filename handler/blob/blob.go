// Package blob is the Azure Blob Storage adapter (azblob): the one place that
// talks to Blob. It implements the domain's storage ports — the lock (a blob
// lease), the checkpoint store (ETag-conditioned JSON blobs), and, in their
// own files, the metadata snapshot store, the event outbox and audit reports.
//
// It decides no policy: what to store and when is the jobs' business. Blob
// errors are translated into the domain error vocabulary here.
package blob

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Options configures a Store. Give either ServiceURL and Credential (managed
// identity in Azure) or ConnectionString (Azurite, account keys).
type Options struct {
	ServiceURL       string
	Credential       azcore.TokenCredential
	ConnectionString string
	// Container holds everything the app stores; created when missing.
	Container string
	// ClientOptions tunes retries and transport (tests shorten retries).
	ClientOptions *service.ClientOptions
	// TryTimeout bounds each try of a call, the answer's body included,
	// when ClientOptions sets none (default DefaultTryTimeout): a storage
	// endpoint that accepts the connection and never answers costs one try
	// (azcore retries it), not the whole call.
	TryTimeout time.Duration
}

// DefaultTryTimeout bounds each try of a Blob call (docs/webhooks.md,
// "Deadlines").
const DefaultTryTimeout = 20 * time.Second

// Store is a container in one storage account.
type Store struct {
	svc       *service.Client
	cc        *container.Client
	container string

	ensureMu sync.Mutex
	ensured  bool
}

// New builds a Store. It does no I/O.
func New(o Options) (*Store, error) {
	if o.Container == "" {
		return nil, domain.Errorf(domain.EINVALID, "blob: a container name is required (BLOB_CONTAINER)")
	}
	co := service.ClientOptions{}
	if o.ClientOptions != nil {
		co = *o.ClientOptions
	}
	if co.Retry.TryTimeout == 0 {
		co.Retry.TryTimeout = o.TryTimeout
		if o.TryTimeout <= 0 {
			co.Retry.TryTimeout = DefaultTryTimeout
		}
	}
	o.ClientOptions = &co
	var (
		svc *service.Client
		err error
	)
	switch {
	case o.ConnectionString != "":
		svc, err = service.NewClientFromConnectionString(o.ConnectionString, o.ClientOptions)
	case o.ServiceURL != "" && o.Credential != nil:
		svc, err = service.NewClient(o.ServiceURL, o.Credential, o.ClientOptions)
	default:
		return nil, domain.Errorf(domain.EINVALID, "blob: set BLOB_SERVICE_URL (managed identity) or BLOB_CONNECTION_STRING")
	}
	if err != nil {
		// The error text of a bad connection string may quote it: don't pass it on.
		return nil, domain.Errorf(domain.EINVALID, "blob: the storage connection settings are malformed (BLOB_SERVICE_URL / BLOB_CONNECTION_STRING)")
	}
	return &Store{svc: svc, cc: svc.NewContainerClient(o.Container), container: o.Container}, nil
}

// ContainerClient returns the azblob client of the store's container, for the
// adapter files of this package.
func (s *Store) ContainerClient() *container.Client { return s.cc }

// ContainerName returns the container's name.
func (s *Store) ContainerName() string { return s.container }

// EnsureContainer creates the container when it does not exist. It succeeds
// once per Store and is cheap afterwards.
func (s *Store) EnsureContainer(ctx context.Context) error {
	s.ensureMu.Lock()
	defer s.ensureMu.Unlock()
	if s.ensured {
		return nil
	}
	_, err := s.cc.Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return translate(err, "create container %q", s.container)
	}
	s.ensured = true
	return nil
}

// translate maps an azblob error to the domain vocabulary, keeping the
// cause: the code is domain.FromStatus's (the one upstream rule; no answer
// at all is status 0), the message says what to check.
func translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return domain.Wrap(domain.FromStatus(0), err, "blob: %s: timed out or cancelled", what)
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		// Transport errors: connection refused, reset, DNS.
		return domain.Wrap(domain.FromStatus(0), err, "blob: %s: storage unreachable", what)
	}
	switch code := domain.FromStatus(re.StatusCode); code {
	case domain.ENOTFOUND:
		return domain.Wrap(code, err, "blob: %s: not found", what)
	case domain.ECONFLICT:
		return domain.Wrap(code, err, "blob: %s: changed or held by another run (%s)", what, re.ErrorCode)
	case domain.EFORBIDDEN:
		return domain.Wrap(code, err, "blob: %s: access denied (%s): grant the app's identity Storage Blob Data Owner on the account", what, re.ErrorCode)
	case domain.EUNAVAILABLE:
		return domain.Wrap(code, err, "blob: %s: storage answered %d; try again later", what, re.StatusCode)
	default:
		return domain.Wrap(code, err, "blob: %s: storage answered %d %s", what, re.StatusCode, re.ErrorCode)
	}
}

// cleanKey rejects keys that would escape the app's prefix space.
func cleanKey(key string) (string, error) {
	k := strings.Trim(key, "/")
	if k == "" || strings.Contains(k, "..") || strings.ContainsAny(k, "\\\x00") {
		return "", domain.Errorf(domain.EINVALID, "blob: invalid key %q", key)
	}
	return k, nil
}
