package exporter

import (
	"context"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// repoConfig is the repository's settings (layout.ConfigPath): the one
// this run writes (Options.Files), else the one of the snapshot it starts
// from; nil when there is none. A file that does not read is an error: an
// export never writes what the administrator's allow-list may exclude.
func repoConfig(ctx context.Context, o Options, prev *previous) (*layout.Config, error) {
	data, given := o.Files[layout.ConfigPath]
	if !given {
		if _, ok := prev.blobs[layout.ConfigPath]; !ok || prev.rev == "" {
			return nil, nil
		}
		var err error
		if data, err = o.Repo.ReadFile(ctx, prev.rev, layout.ConfigPath); err != nil {
			return nil, fmt.Errorf("reading %s: %w", layout.ConfigPath, err)
		}
	}
	if data == nil {
		return nil, nil
	}
	cfg, err := layout.DecodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%w; nothing was exported: fix the file and commit it", err)
	}
	return cfg, nil
}

// deltaQuery is what a kind's delta state is valid for: the properties its
// round tracks and, for users, the allow-list (a new list means a full
// read, so every user's file follows it).
func deltaQuery(kind string, userProps []string) string {
	q := live.DeltaQuery(kind)
	if kind == "users" && userProps != nil {
		q += "|keep=" + strings.Join(userProps, ",")
	}
	return q
}
