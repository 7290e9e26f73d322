package exporter

import (
	"context"
	"errors"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// ReadOptions configure Read.
type ReadOptions struct {
	Client *graph.Client
	// Kinds to read; nil means every kind.
	Kinds []*layout.Kind
	// Progress receives per-kind progress (Done is not called); nil means none.
	Progress Progress
	// Concurrency bounds the kinds read at once (default 4).
	Concurrency int
}

// Live is the tenant as Read saw it: each object's file exactly as Run would
// commit it, by repository path. Kinds that could not be read completely
// have no files (never an empty kind) and are listed by Incomplete.
type Live struct {
	TenantID string            `json:"tenantId"`
	Files    map[string][]byte `json:"-"`
	Kinds    []KindResult      `json:"kinds"`
	Warnings []Warning         `json:"warnings,omitempty"`
	// Graph traffic of the read, from graph.Client.Stats.
	Requests      int64 `json:"requests"`
	ResourceUnits int64 `json:"resourceUnits"`
	Retries       int64 `json:"retries"`
	Throttled     int64 `json:"throttled"`
}

// Incomplete lists the kinds that could not be read completely, except
// those the tenant is not licensed for.
func (l *Live) Incomplete() []KindResult { return incomplete(l.Kinds) }

// NotLicensed lists the kinds the tenant is not licensed for (no files).
func (l *Live) NotLicensed() []KindResult { return notLicensed(l.Kinds) }

// Read reads the selected kinds from Graph the way Run does (same requests,
// same canonical files) and writes nothing: drift and restore compare the
// live tenant with a snapshot through it. It returns an error when the
// context ends or Graph cannot be reached or refuses the credentials; a kind
// that fails is reported in Kinds, not as an error.
func Read(ctx context.Context, o ReadOptions) (*Live, error) {
	if o.Client == nil {
		return nil, errors.New("exporter: ReadOptions.Client is required")
	}
	if o.Progress == nil {
		o.Progress = NoProgress{}
	}
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = layout.Kinds()
	}
	stats0 := o.Client.Stats()
	live := &Live{Files: map[string][]byte{}}
	var err error
	live.TenantID, err = preflight(ctx, o.Client)
	if err != nil {
		return nil, err
	}
	rd := &reader{c: o.Client, progress: o.Progress}
	reads, err := rd.readAll(ctx, kinds, o.Concurrency)
	if err != nil {
		return nil, err
	}
	for _, kr := range reads {
		if live.TenantID == "" && kr.organizationID != "" {
			live.TenantID = kr.organizationID
		}
	}
	b, kindResults, err := results(reads)
	if err != nil {
		return nil, err
	}
	live.Kinds = kindResults
	live.Files = b.files
	live.Warnings = b.warnings
	live.Requests, live.ResourceUnits, live.Retries, live.Throttled = trafficSince(o.Client, stats0)
	return live, nil
}
