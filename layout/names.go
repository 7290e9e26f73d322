package layout

import (
	"sort"
)

// SelectNames is every value Select takes, sorted: the kind names, each
// kind's folder and the folders above it ("policies",
// "policies/cross-tenant-access", ...). Shell completion offers them.
func SelectNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, k := range kinds {
		add(k.Name)
		for i := range len(k.Folder) {
			if k.Folder[i] == '/' {
				add(k.Folder[:i])
			}
		}
		add(k.Folder)
	}
	sort.Strings(out)
	return out
}

// KindInfo is a kind as `entrasnap kinds` lists it.
type KindInfo struct {
	Name             string   `json:"name"`
	Title            string   `json:"title"`
	Folder           string   `json:"folder"`
	GraphPath        string   `json:"graphPath"`
	ReadPermissions  []string `json:"readPermissions"`
	WritePermissions []string `json:"writePermissions"`
}

// KindInfos describes every kind, in catalog order.
func KindInfos() []KindInfo {
	var out []KindInfo
	for _, k := range kinds {
		out = append(out, KindInfo{Name: k.Name, Title: k.Title, Folder: k.Folder, GraphPath: "/" + k.APIVersion + k.ListPath,
			ReadPermissions: KindReadPermissions(k), WritePermissions: k.WritePermissions})
	}
	return out
}
