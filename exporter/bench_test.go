package exporter

import (
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// benchExport exports sim into a fresh repository per iteration and reports
// Graph requests, resource units and objects per export.
func benchExport(b *testing.B, sim *graphsim.Server) {
	c := newClient(b, sim, nil, "")
	var res *Result
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := newRepo(b, true)
		b.StartTimer()
		res = mustExport(b, c, r, nil)
		if !res.Complete() {
			b.Fatalf("incomplete: %+v", res.Incomplete())
		}
	}
	b.ReportMetric(float64(res.Requests), "requests/op")
	b.ReportMetric(float64(res.ResourceUnits), "RU/op")
	b.ReportMetric(float64(res.Objects()), "objects/op")
}

func BenchmarkExportDemo(b *testing.B) {
	benchExport(b, newSim(b, graphsim.Options{}))
}

// BenchmarkExportLarge exports a generated tenant of 20,000 users and 2,000
// groups.
func BenchmarkExportLarge(b *testing.B) {
	sim := newSim(b, graphsim.Options{Profile: "large", Sizes: graphsim.Sizes{Users: 20000, Groups: 2000}})
	benchExport(b, sim)
}
