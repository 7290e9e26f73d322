package layout

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// The output formats of the commands' Render functions: the commands
// with a --json flag write JSON when it is given and text otherwise;
// "" is text.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// WriteJSON writes v as JSON indented by two spaces, ending in a newline:
// the --json output of the commands (check, snapshots, log, kinds).
// Strings are escaped only as JSON requires: <, > and & stay as they are
// (not \u003c, \u003e, \u0026: the output is no HTML).
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// FormatError is the error of a Render given a format it does not write;
// want lists the formats it writes.
func FormatError(format string, want ...string) error {
	return fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(want, ", "))
}

// RenderKinds writes what `entrasnap kinds` prints in format (text or
// json): the catalog of kinds (WriteKinds, KindInfos), or with
// permissionsOnly the permission sets (WritePermissions), audit being the
// optional permission of who changed what.
func RenderKinds(w io.Writer, format string, permissionsOnly bool, audit string) error {
	switch format {
	case "", FormatText:
		if permissionsOnly {
			WritePermissions(w, audit)
			return nil
		}
		return WriteKinds(w)
	case FormatJSON:
		if permissionsOnly {
			dRead, dWrite := DelegatedPermissions(Kinds())
			return WriteJSON(w, map[string][]string{"export": ExportPermissions(Kinds()), "restore": RestorePermissions(Kinds()),
				"audit": {audit}, "delegatedExport": dRead, "delegatedRestore": dWrite,
				"optInReadWithWrite": ReadWithWritePermissions(Kinds())})
		}
		return WriteJSON(w, KindInfos())
	}
	return FormatError(format, FormatText, FormatJSON)
}
