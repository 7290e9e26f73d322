package main

import (
	"strings"

	"github.com/entrasnap/entrasnap/internal/complete"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "completion",
		Usage:       "print a shell completion script (bash, zsh or fish) for commands, flags and kind names",
		ArgsUsage:   "bash|zsh|fish",
		Description: helpText("completion"),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("completion takes one shell: bash, zsh or fish")
			}
			spec := completionSpec(c.App)
			switch c.Args().First() {
			case "bash":
				return complete.Bash(e.stdout, spec)
			case "zsh":
				return complete.Zsh(e.stdout, spec)
			case "fish":
				return complete.Fish(e.stdout, spec)
			}
			return usageErrorf("completion %q: want bash, zsh or fish", c.Args().First())
		},
	}
}

// completionSpec takes what the scripts complete from the command table
// and the catalog.
func completionSpec(app *cli.App) complete.Spec {
	spec := complete.Spec{Values: map[string]string{
		"format":   "text markdown json",
		"ca-state": "report-only as-is",
	}}
	spec.Values["kinds"] = strings.Join(layout.SelectNames(), " ")
	for _, c := range app.VisibleCommands() {
		cc := complete.Command{Name: c.Name, Usage: c.Usage}
		switch c.Name {
		case "restore", "show", "log":
			cc.KindArgs = true
		case "completion":
			cc.Args = []string{"bash", "zsh", "fish"}
		}
		for _, f := range c.VisibleFlags() {
			_, isBool := f.(*cli.BoolFlag)
			usage := ""
			if df, ok := f.(cli.DocGenerationFlag); ok {
				usage = df.GetUsage()
			}
			for _, n := range f.Names() {
				if len(n) > 1 {
					cc.Flags = append(cc.Flags, complete.Flag{Name: n, Usage: usage, TakesValue: !isBool})
				}
			}
		}
		spec.Commands = append(spec.Commands, cc)
	}
	return spec
}
