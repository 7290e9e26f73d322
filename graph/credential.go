package graph

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// CredentialFromEnv builds an azidentity credential for cloud ("" = global)
// from the environment, taking the first that applies:
//
//  1. AZURE_CLIENT_SECRET: ClientSecretCredential;
//  2. AZURE_CLIENT_CERTIFICATE_PATH (PEM or PKCS#12, optional
//     AZURE_CLIENT_CERTIFICATE_PASSWORD): ClientCertificateCredential;
//  3. AZURE_FEDERATED_TOKEN_FILE: WorkloadIdentityCredential (Kubernetes
//     workload identity, or a CI job's OIDC token written to a file);
//  4. AZURE_USE_MSI (true/1/yes) or IDENTITY_ENDPOINT: ManagedIdentityCredential,
//     user-assigned when clientID is set;
//  5. otherwise AzureCLICredential (the identity of `az login`).
//
// Empty tenantID and clientID fall back to AZURE_TENANT_ID and AZURE_CLIENT_ID.
// Errors name variables, never their secret values.
func CredentialFromEnv(tenantID, clientID, cloud string) (azcore.TokenCredential, error) {
	ci, err := LookupCloud(cloud)
	if err != nil {
		return nil, err
	}
	if tenantID == "" {
		tenantID = os.Getenv("AZURE_TENANT_ID")
	}
	if clientID == "" {
		clientID = os.Getenv("AZURE_CLIENT_ID")
	}
	opts := azcore.ClientOptions{Cloud: ci.Authority}
	needIDs := func(kind string) error {
		if tenantID == "" || clientID == "" {
			return fmt.Errorf("graph: %s needs a tenant id and a client id (flags or AZURE_TENANT_ID / AZURE_CLIENT_ID)", kind)
		}
		return nil
	}
	switch {
	case os.Getenv("AZURE_CLIENT_SECRET") != "":
		if err := needIDs("AZURE_CLIENT_SECRET"); err != nil {
			return nil, err
		}
		return wrapCred(azidentity.NewClientSecretCredential(tenantID, clientID, os.Getenv("AZURE_CLIENT_SECRET"),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts}))

	case os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "":
		if err := needIDs("AZURE_CLIENT_CERTIFICATE_PATH"); err != nil {
			return nil, err
		}
		path := os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("graph: AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
		}
		var password []byte
		if p := os.Getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"); p != "" {
			password = []byte(p)
		}
		certs, key, err := azidentity.ParseCertificates(data, password)
		if err != nil {
			return nil, fmt.Errorf("graph: AZURE_CLIENT_CERTIFICATE_PATH %s: %w", path, err)
		}
		return wrapCred(azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts}))

	case os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
		if err := needIDs("AZURE_FEDERATED_TOKEN_FILE"); err != nil {
			return nil, err
		}
		return wrapCred(azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, TenantID: tenantID, ClientID: clientID,
			TokenFilePath: os.Getenv("AZURE_FEDERATED_TOKEN_FILE"),
		}))

	case truthy(os.Getenv("AZURE_USE_MSI")) || os.Getenv("IDENTITY_ENDPOINT") != "":
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if clientID != "" {
			mo.ID = azidentity.ClientID(clientID)
		}
		return wrapCred(azidentity.NewManagedIdentityCredential(mo))
	}
	return wrapCred(azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenantID}))
}

// CredentialKind names the credential CredentialFromEnv would build, for
// "authenticating with …" messages: "client-secret", "client-certificate",
// "workload-identity", "managed-identity" or "azure-cli".
func CredentialKind() string {
	switch {
	case os.Getenv("AZURE_CLIENT_SECRET") != "":
		return "client-secret"
	case os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "":
		return "client-certificate"
	case os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
		return "workload-identity"
	case truthy(os.Getenv("AZURE_USE_MSI")) || os.Getenv("IDENTITY_ENDPOINT") != "":
		return "managed-identity"
	}
	return "azure-cli"
}

// AppOnlyCredential reports whether a credential of kind (CredentialKind)
// signs in as an application only: a client secret or certificate,
// workload identity federation, a managed identity. The Azure CLI's may
// be a user's (az login) or a service principal's: not known, false.
func AppOnlyCredential(kind string) bool {
	switch kind {
	case "client-secret", "client-certificate", "workload-identity", "managed-identity":
		return true
	}
	return false
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

func wrapCred[T azcore.TokenCredential](cred T, err error) (azcore.TokenCredential, error) {
	if err != nil {
		return nil, fmt.Errorf("graph: building credential: %w", err)
	}
	var zero T
	if any(cred) == any(zero) {
		return nil, errors.New("graph: building credential: nil credential")
	}
	return cred, nil
}
