// Package reliability is entrasnap's proof suite: table-driven scenarios
// that run the real product binary (built once) against graphsim and check
// the promises a backup tool must keep under faults, crashes, hostile input
// and misuse. Each scenario has a name, what it checks and a result ("holds"
// or why not); together they are the "Reliability" table in README.md.
//
// The package holds tests only:
//
//	go test ./reliability              # run the suite; fails if a row fails or README's table differs
//	go test ./reliability -update      # rewrite README's table from this run
//	go test ./reliability -v -run 'TestReliability/SIGKILL'  # some rows (README is then not compared)
//
// The table sits in README.md between <!-- reliability-table:start --> and
// <!-- reliability-table:end -->; it is produced by the suite, never edited by
// hand.
//
// The suite runs on Linux (it watches repositories with inotify to kill the
// binary at each write step); elsewhere the package has no tests.
package reliability
