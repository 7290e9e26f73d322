package live

import (
	"context"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/entrasnap/entrasnap/graph"
)

// Sign-in methods (Connection.Auth, the CLI's --auth).
const (
	// AuthEnv: credentials from the environment (client secret,
	// certificate, workload identity, managed identity, Azure CLI): the
	// default.
	AuthEnv = "env"
	// AuthDeviceCode: a person signs in as themselves through the device
	// code flow (azidentity's DeviceCodeCredential): they open a page on
	// any device and type the code entrasnap shows. The token is a
	// delegated one: Graph allows only what the app's delegated
	// permissions AND the person's directory roles allow.
	AuthDeviceCode = "device-code"
)

// DeviceCode is what a person needs to finish a device code sign-in.
type DeviceCode struct {
	UserCode, VerificationURL, Message string
}

// deviceCodeCredential builds the credential of --auth device-code.
func (cn Connection) deviceCodeCredential() (azcore.TokenCredential, error) {
	if cn.ClientID == "" {
		return nil, usagef("--auth device-code needs --client-id: the application (client) id of an app registration that allows public client flows (\"Allow public client flows\": isFallbackPublicClient) and holds the delegated Microsoft Graph permissions a restore needs, consented by an administrator")
	}
	if cn.TenantID == "" {
		return nil, usagef("--auth device-code needs --tenant-id: the tenant id or initial domain to sign in to")
	}
	ci, err := graph.LookupCloud(cn.Cloud)
	if err != nil {
		return nil, usagef("--cloud: %v", err)
	}
	opts := azcore.ClientOptions{Cloud: ci.Authority}
	disableDiscovery := false
	if cn.AuthorityHost != "" {
		u, err := url.Parse(cn.AuthorityHost)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, usagef("--authority-host %q: want the https root of the sign-in service, e.g. https://login.microsoftonline.com/ (graphsim prints its own)", cn.AuthorityHost)
		}
		opts.Cloud.ActiveDirectoryAuthorityHost = strings.TrimRight(cn.AuthorityHost, "/") + "/"
		disableDiscovery = true // a private authority: no instance discovery at login.microsoft.com
	}
	if cn.HTTPClient != nil {
		opts.Transport = cn.HTTPClient
	}
	prompt := cn.Prompt
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: opts, TenantID: cn.TenantID, ClientID: cn.ClientID, DisableInstanceDiscovery: disableDiscovery,
		UserPrompt: func(ctx context.Context, m azidentity.DeviceCodeMessage) error {
			if prompt == nil {
				return usagef("--auth device-code: no way to show the sign-in code (no prompt)")
			}
			return prompt(ctx, DeviceCode{UserCode: m.UserCode, VerificationURL: m.VerificationURL, Message: m.Message})
		},
	})
	if err != nil {
		return nil, err
	}
	return cred, nil
}
