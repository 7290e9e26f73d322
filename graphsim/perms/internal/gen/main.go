// Command gen writes graphsim/perms/table_gen.go from Graph's permission map.
//
//	go run ./internal/gen -in ../../../shared/graph-metadata/permissions.json -out table_gen.go
//
// It is run by `go generate` in graphsim/perms. The output is committed, since
// CI has only this repository and not ../shared.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/entrasnap/entrasnap/graphsim/perms/internal/gen/permgen"
)

func main() {
	in := flag.String("in", "", "path of permissions.json")
	out := flag.String("out", "table_gen.go", "output Go file")
	verbose := flag.Bool("v", false, "list every change the generator made to the json")
	scheme := flag.String("scheme", permgen.Application, "permission scheme: Application or DelegatedWork")
	least := flag.Bool("least", false, "write the least-privileged application table (least_gen.go) instead")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "gen: -in is required")
		os.Exit(2)
	}
	if *least {
		if err := runLeast(*in, *out); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*in, *out, *scheme, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out, scheme string, verbose bool) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	src, lg, err := permgen.GenerateScheme(f, filepath.Base(in), scheme)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d json rows, %d read permissions dropped from writes, %d rows emptied, %d ReadWrite permissions implied on reads, %d permissions added by aliases and overrides; wrote %s (%d bytes)\n",
		in, lg.JSONRows, len(lg.DroppedRead), len(lg.EmptiedRows), len(lg.ImpliedReadWrite), len(lg.OverrideAdded), out, len(src))
	if verbose {
		for _, s := range lg.DroppedRead {
			fmt.Fprintln(os.Stderr, "  dropped", s)
		}
		for _, s := range lg.EmptiedRows {
			fmt.Fprintln(os.Stderr, "  emptied", s)
		}
		for _, s := range lg.ImpliedReadWrite {
			fmt.Fprintln(os.Stderr, "  implied", s)
		}
		for _, s := range lg.OverrideAdded {
			fmt.Fprintln(os.Stderr, "  added  ", s)
		}
	}
	return nil
}

func runLeast(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := permgen.GenerateLeast(f, filepath.Base(in))
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %s: wrote %s (%d bytes)\n", in, out, len(src))
	return nil
}
