package graph

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

var credEnv = []string{
	"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
	"AZURE_FEDERATED_TOKEN_FILE", "AZURE_USE_MSI", "IDENTITY_ENDPOINT", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
}

func clearCredEnv(t *testing.T) {
	t.Helper()
	for _, k := range credEnv {
		t.Setenv(k, "")
	}
}

func writeTestCert(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "entrasnap-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})...)
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCredentialFromEnv(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("jwt"), 0o600); err != nil {
		t.Fatal(err)
	}
	certPath := writeTestCert(t)
	tests := []struct {
		name     string
		env      map[string]string
		wantType string
		wantKind string
	}{
		{"secret first", map[string]string{"AZURE_CLIENT_SECRET": "s3cr3t", "AZURE_CLIENT_CERTIFICATE_PATH": certPath, "AZURE_USE_MSI": "true"},
			fmt.Sprintf("%T", &azidentity.ClientSecretCredential{}), "client-secret"},
		{"certificate", map[string]string{"AZURE_CLIENT_CERTIFICATE_PATH": certPath, "AZURE_FEDERATED_TOKEN_FILE": tokenFile},
			fmt.Sprintf("%T", &azidentity.ClientCertificateCredential{}), "client-certificate"},
		{"workload identity", map[string]string{"AZURE_FEDERATED_TOKEN_FILE": tokenFile, "IDENTITY_ENDPOINT": "http://x"},
			fmt.Sprintf("%T", &azidentity.WorkloadIdentityCredential{}), "workload-identity"},
		{"managed identity", map[string]string{"AZURE_USE_MSI": "1"},
			fmt.Sprintf("%T", &azidentity.ManagedIdentityCredential{}), "managed-identity"},
		{"msi off falls to cli", map[string]string{"AZURE_USE_MSI": "false"},
			fmt.Sprintf("%T", &azidentity.AzureCLICredential{}), "azure-cli"},
		{"azure cli", nil, fmt.Sprintf("%T", &azidentity.AzureCLICredential{}), "azure-cli"},
	}
	for _, tt := range tests {
		for _, cloud := range []string{"global", "usgov", "usgovdod", "china"} {
			t.Run(tt.name+"/"+cloud, func(t *testing.T) {
				clearCredEnv(t)
				for k, v := range tt.env {
					t.Setenv(k, v)
				}
				cred, err := CredentialFromEnv("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002", cloud)
				if err != nil {
					t.Fatalf("CredentialFromEnv: %v", err)
				}
				mustEqual(t, "type", fmt.Sprintf("%T", cred), tt.wantType)
				mustEqual(t, "kind", CredentialKind(), tt.wantKind)
			})
		}
	}
}

func TestCredentialFromEnvErrors(t *testing.T) {
	clearCredEnv(t)
	t.Setenv("AZURE_CLIENT_SECRET", "s3cr3t-value")
	_, err := CredentialFromEnv("", "", "")
	if err == nil {
		t.Fatal("secret without tenant and client id accepted")
	}
	if s := err.Error(); strings.Contains(s, "s3cr3t-value") {
		t.Errorf("error leaks the secret: %s", s)
	}
	t.Setenv("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001")
	t.Setenv("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000002")
	if _, err := CredentialFromEnv("", "", ""); err != nil {
		t.Errorf("ids from AZURE_TENANT_ID/AZURE_CLIENT_ID: %v", err)
	}
	if _, err := CredentialFromEnv("t", "c", "mars"); err == nil {
		t.Error("unknown cloud accepted")
	}
	clearCredEnv(t)
	t.Setenv("AZURE_CLIENT_CERTIFICATE_PATH", filepath.Join(t.TempDir(), "missing.pem"))
	if _, err := CredentialFromEnv("t", "c", ""); err == nil {
		t.Error("missing certificate accepted")
	}
}
