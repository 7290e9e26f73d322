package live

// The user attribute allow-list (layout.Config: .entrasnap/config.yaml
// users.keepProperties): a user's file holds only the listed properties;
// the others are read (one $select serves every setting) but dropped
// before the file is made, so no excluded value reaches the snapshot, its
// warnings or its history.

func keepSet(props []string) map[string]bool {
	if props == nil {
		return nil
	}
	m := make(map[string]bool, len(props))
	for _, p := range props {
		m[p] = true
	}
	return m
}

// keepOnly removes from obj every property keep does not list (annotations
// such as @odata.type stay); a nil keep keeps all.
func keepOnly(obj map[string]any, keep map[string]bool) {
	if keep == nil {
		return
	}
	for p := range obj {
		if len(p) > 0 && p[0] == '@' {
			continue
		}
		if !keep[p] {
			delete(obj, p)
		}
	}
}
