package live

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestConnectionConfigFromEnv(t *testing.T) {
	t.Setenv(MaxResponseSizeEnv, "3 MiB")
	t.Setenv(MaxPagesEnv, " 7 ")
	cfg, err := Connection{Cloud: "china", Timeout: time.Hour, UserAgent: "ua/1"}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxResponseBytes != 3<<20 || cfg.MaxPages != 7 || cfg.Timeout != time.Hour || cfg.UserAgent != "ua/1" {
		t.Errorf("config %+v: want 3 MiB, 7 pages, 1h, ua/1", cfg)
	}
	if cfg.BaseURL != "https://microsoftgraph.chinacloudapi.cn" {
		t.Errorf("BaseURL %q: want the China cloud's Graph root", cfg.BaseURL)
	}
	cfg, err = Connection{Cloud: "global", GraphURL: "http://127.0.0.1:9"}.Config()
	if err != nil || cfg.BaseURL != "http://127.0.0.1:9" {
		t.Errorf("--graph-url: BaseURL %q, %v", cfg.BaseURL, err)
	}

	t.Setenv(MaxResponseSizeEnv, "")
	t.Setenv(MaxPagesEnv, "")
	if cfg, err := (Connection{Cloud: "global"}).Config(); err != nil || cfg.MaxResponseBytes != 0 || cfg.MaxPages != 0 {
		t.Errorf("unset limits: %d bytes, %d pages, %v; want the client's defaults (0)", cfg.MaxResponseBytes, cfg.MaxPages, err)
	}
}

// Each value the user gave wrong is a *UsageError naming the flag or
// variable.
func TestConnectionUsageErrors(t *testing.T) {
	for _, v := range []string{"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_USE_MSI", "IDENTITY_ENDPOINT", "AZURE_TENANT_ID", MaxResponseSizeEnv, MaxPagesEnv} {
		t.Setenv(v, "")
	}
	noAz := func(string) (string, error) { return "", os.ErrNotExist }
	for _, tc := range []struct {
		env, val string
		cn       Connection
		want     string
	}{
		{cn: Connection{Cloud: "mars"}, want: "--cloud"},
		{cn: Connection{Cloud: "global", Timeout: -time.Second}, want: "--timeout -1s"},
		{env: MaxResponseSizeEnv, val: "lots", cn: Connection{Cloud: "global"}, want: MaxResponseSizeEnv},
		{env: MaxPagesEnv, val: "0", cn: Connection{Cloud: "global"}, want: MaxPagesEnv},
		{env: MaxPagesEnv, val: "x\x1b", cn: Connection{Cloud: "global"}, want: `"x\x1b"`},
		{cn: Connection{Cloud: "global", GraphURL: "http://graph.example.com", AccessToken: "t"}, want: "plain http is allowed only to a loopback host"},
		{cn: Connection{Cloud: "global"}, want: "no credentials: give --tenant-id"},
		{cn: Connection{Cloud: "global", TenantID: "00000000-0000-0000-0000-000000000001", LookPath: noAz}, want: "no Azure CLI on PATH"},
	} {
		if tc.env != "" {
			t.Setenv(tc.env, tc.val)
		}
		_, err := tc.cn.Client()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v (%s=%q): error %v; want a UsageError containing %q", tc.cn, tc.env, tc.val, err, tc.want)
		}
		if tc.env != "" {
			t.Setenv(tc.env, "")
		}
	}
}

func TestConnectionClientWithToken(t *testing.T) {
	c, err := Connection{Cloud: "global", GraphURL: "http://127.0.0.1:9", AccessToken: "tok"}.Client()
	if err != nil || c == nil {
		t.Fatalf("client: %v", err)
	}
}

// A client whose credential signs in as an application says so
// (graph.Client.AppOnly), so restore does not ask Graph whether a user is
// signed in; an access token given as is, and the Azure CLI's credential
// (a user's or a service principal's), are not known to be app-only.
func TestConnectionClientAppOnly(t *testing.T) {
	for _, v := range []string{"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_USE_MSI", "IDENTITY_ENDPOINT", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"} {
		t.Setenv(v, "")
	}
	az := func(string) (string, error) { return "/usr/bin/az", nil }
	cn := Connection{Cloud: "global", TenantID: "00000000-0000-0000-0000-000000000001", ClientID: "00000000-0000-0000-0000-000000000002", LookPath: az}
	for _, tc := range []struct {
		env, val string
		appOnly  bool
	}{{"AZURE_CLIENT_SECRET", "s3cret", true}, {"AZURE_USE_MSI", "1", true}, {"", "", false}} {
		if tc.env != "" {
			t.Setenv(tc.env, tc.val)
		}
		c, err := cn.Client()
		if err != nil || c.AppOnly() != tc.appOnly {
			t.Errorf("%s=%q: client %v, AppOnly %v; want %v", tc.env, tc.val, err, c != nil && c.AppOnly(), tc.appOnly)
		}
		if tc.env != "" {
			t.Setenv(tc.env, "")
		}
	}
	t.Setenv("AZURE_CLIENT_SECRET", "s3cret")
	if c, err := (Connection{Cloud: "global", GraphURL: "http://127.0.0.1:9", AccessToken: "opaque"}).Client(); err != nil || c.AppOnly() {
		t.Errorf("an access token given as is: AppOnly %v, %v; want not known (false)", c != nil && c.AppOnly(), err)
	}
}
