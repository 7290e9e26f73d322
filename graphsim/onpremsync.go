package graphsim

import "encoding/json"

// On-premises directory synchronization settings (graphsim/doc.go,
// "On-premises synchronization"):
//
//   - GET /directory/onPremisesSynchronization lists the tenant's one
//     object, whose id is the tenant's id; GET and PATCH .../{id}
//     (onpremisesdirectorysynchronization-get, -update). "Only the read
//     and update operations are supported on this resource; create and
//     delete aren't supported" (resources/onpremisesdirectorysynchronization):
//     POST and DELETE → 405.
//   - configuration.accidentalDeletionPrevention (synchronizationPreventionType
//     one of onPremisesDirectorySynchronizationDeletionPreventionType,
//     alertThreshold an Int32) and features (Booleans) are written; a
//     value outside the enumeration, a negative threshold or a feature
//     that is not a Boolean → 400 (strict: the update page names the
//     types only).
//   - Every page: "Application: Not supported", delegated
//     OnPremDirectorySynchronization.Read.All to read and .ReadWrite.All to
//     update, and Global Administrator the only role for either (delegated.go
//     readerRoles, roleWrites: any other role → 403); permissions.json lists
//     DelegatedWork only, so an app-only token gets 403 whatever it holds
//     (the permission table has no application row).

const onPremSyncKindName = "onPremisesDirectorySynchronization"

var onPremSyncKind = &Kind{
	Name: onPremSyncKindName, ODataType: "#microsoft.graph.onPremisesDirectorySynchronization",
	Paths: []string{"directory/onPremisesSynchronization"}, Throttle: "directory", ReadCost: 1,
	NoCreate: true, NoDelete: true,
	ReadOnly:   []string{"id"},
	Filterable: []string{"id"},
}

// deletionPreventionTypes are onPremisesDirectorySynchronizationDeletionPreventionType's members (v1.0 CSDL).
var deletionPreventionTypes = []string{"disabled", "enabledForCount", "enabledForPercentage", "unknownFutureValue"}

func init() {
	patchHooks[onPremSyncKindName] = func(_ *Server, _ *record, body map[string]any) *apiError {
		if c, ok := body["configuration"]; ok && c != nil {
			conf, _ := c.(map[string]any)
			if conf == nil {
				return badRequest("Invalid value for property 'configuration': an object is expected.")
			}
			if p, ok := conf["accidentalDeletionPrevention"]; ok && p != nil {
				adp, _ := p.(map[string]any)
				if adp == nil {
					return badRequest("Invalid value for property 'accidentalDeletionPrevention': an object is expected.")
				}
				if aerr := oneOf(adp, "synchronizationPreventionType", deletionPreventionTypes); aerr != nil {
					return aerr
				}
				if t, ok := adp["alertThreshold"]; ok && t != nil {
					n, isNum := number(t)
					if !isNum || n < 0 || n != float64(int32(n)) {
						return badRequest("Invalid value '%v' for property 'alertThreshold': a non-negative Int32 is expected.", t)
					}
				}
			}
		}
		if f, ok := body["features"]; ok && f != nil {
			feats, _ := f.(map[string]any)
			if feats == nil {
				return badRequest("Invalid value for property 'features': an object is expected.")
			}
			for name, v := range feats {
				if _, isBool := v.(bool); !isBool && name != "@odata.type" {
					return badRequest("Invalid value '%v' for property '%s': a Boolean is expected.", v, name)
				}
			}
		}
		return nil
	}
}

// number is v as a float64 when v is a JSON number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// demoOnPremSync is the tenant's synchronization settings as Microsoft
// Entra Connect leaves them for an organization that syncs passwords
// and writes them back: accidental deletion prevention at 500 objects.
// Its id is the tenant's, no id is drawn.
func (g *generator) demoOnPremSync() {
	g.seed(onPremSyncKindName, map[string]any{"id": g.t.id,
		"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"synchronizationPreventionType": "enabledForCount", "alertThreshold": 500}},
		"features": map[string]any{
			"blockCloudObjectTakeoverThroughHardMatchEnabled": true, "blockSoftMatchEnabled": false, "bypassDirSyncOverridesEnabled": false,
			"cloudPasswordPolicyForPasswordSyncedUsersEnabled": false, "concurrentCredentialUpdateEnabled": false, "concurrentOrgIdProvisioningEnabled": true,
			"deviceWritebackEnabled": false, "directoryExtensionsEnabled": false, "fopeConflictResolutionEnabled": false, "groupWriteBackEnabled": false,
			"passwordSyncEnabled": true, "passwordWritebackEnabled": true, "quarantineUponProxyAddressesConflictEnabled": true,
			"quarantineUponUpnConflictEnabled": true, "softMatchOnUpnEnabled": true, "synchronizeUpnForManagedUsersEnabled": true,
			"unifiedGroupWritebackEnabled": false, "userForcePasswordChangeOnLogonEnabled": false, "userWritebackEnabled": false,
			"allowOnPremUpdateOfOnPremisesObjectIdentifierEnabled": false,
		}})
}
