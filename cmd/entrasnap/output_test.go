package main

import (
	"flag"
	"testing"

	"github.com/urfave/cli/v2"
)

// The output a command writes is decided once from its flags and the
// streams: --json chooses JSON over any --format, and colour goes only to
// text on a terminal.
func TestOutputOfFlagsAndStreams(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		withFormat bool // the command has --format (default text)
		terminal   bool
		want       output
	}{
		{nil, false, false, output{format: "text"}},
		{nil, false, true, output{format: "text", color: true}},
		{[]string{"--json"}, false, true, output{format: "json"}},
		{[]string{"--json"}, false, false, output{format: "json"}},
		{nil, true, true, output{format: "text", color: true}},
		{[]string{"--format", "markdown"}, true, true, output{format: "markdown"}},
		{[]string{"--format", "json"}, true, true, output{format: "json"}},
	} {
		set := flag.NewFlagSet("test", flag.ContinueOnError)
		set.Bool("json", false, "")
		if tc.withFormat {
			set.String("format", "text", "")
		}
		if err := set.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		e := &env{streams: streams{color: tc.terminal}}
		if got := e.outputOf(cli.NewContext(nil, set, nil)); got != tc.want {
			t.Errorf("%q (terminal %v): %+v, want %+v", tc.args, tc.terminal, got, tc.want)
		}
		if got := e.outputOf(cli.NewContext(nil, set, nil)).json(); got != (tc.want.format == "json") {
			t.Errorf("%q: json() %v", tc.args, got)
		}
	}
}
