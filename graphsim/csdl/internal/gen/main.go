// Command gen generates graphsim/csdl's type table from Graph's CSDL:
//
//	go run ./internal/gen -in ../../../shared/graph-metadata/v1.0-Prod.csdl -out types_gen.go
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	in := flag.String("in", "", "CSDL file to read")
	out := flag.String("out", "types_gen.go", "Go file to write")
	pkg := flag.String("pkg", "csdl", "package name of the output")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "gen: -in is required")
		os.Exit(2)
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	src, missing, err := Generate(data, Options{
		Package:    *pkg,
		SourceName: filepath.Base(*in),
		Roots:      DefaultRoots,
		NoDerived:  NoDerived,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "gen: warning: root types not in %s: %s\n", filepath.Base(*in), strings.Join(missing, ", "))
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
