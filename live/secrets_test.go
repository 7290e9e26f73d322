package live

import "testing"

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"clientSecret": true, "secret": true, "password": true, "secretText": true, "key": true, "privateKey": true,
		"token": true, "refresh_token": true, "credentialValue": true, "apiKey": true, "connectionString": true, "pwd": true,
		"keyId": false, "hint": false, "displayName": false, "region": false, "customKeyIdentifier": false, "usage": false,
		"endDateTime": false, "thumbprint": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}
