package importer

import (
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
	yaml "go.yaml.in/yaml/v3"
)

// TenantName is the live organization's name (or the live tenant id): the
// name of the tenant being written, not the snapshot's, as a whole-tenant
// restore asks for it to be typed.
func (in *Input) TenantName() string {
	for _, o := range in.Live["organization"] {
		if n, ok := o.Data["displayName"].(string); ok && strings.TrimSpace(n) != "" {
			return strings.TrimSpace(n)
		}
	}
	return in.TenantID
}

// ReadBreakGlass reads file (none when "") with check.ReadCapped and
// ParseBreakGlass; errors name it.
func ReadBreakGlass(file string) ([]string, error) {
	if file == "" {
		return nil, nil
	}
	data, err := check.ReadCapped(file)
	if err != nil {
		return nil, err
	}
	list, err := ParseBreakGlass(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layout.Safe(file), err)
	}
	return list, nil
}

// ParseBreakGlass reads a break-glass file (Options.BreakGlass): a YAML
// list of ids or user principal names, or a mapping whose breakGlass key
// holds one.
func ParseBreakGlass(data []byte) ([]string, error) {
	var list []string
	if err := yaml.Unmarshal(data, &list); err != nil {
		var m struct {
			BreakGlass []string `yaml:"breakGlass"`
		}
		if err2 := yaml.Unmarshal(data, &m); err2 != nil || len(m.BreakGlass) == 0 {
			return nil, fmt.Errorf("want a YAML list of object ids or user principal names: %v", err)
		}
		list = m.BreakGlass
	}
	return list, nil
}
