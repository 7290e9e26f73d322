// Command entrasnap keeps a Microsoft Entra ID tenant's configuration as code:
// it exports every object as YAML into a git repository, shows history and
// drift from git, and restores objects from any snapshot.
package main

import "os"

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
