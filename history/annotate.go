package history

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

var quotedID = regexp.MustCompile(`"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"`)

// Annotate writes the object file data (at path) line by line, escaped for
// a terminal (a hand-edited file need not escape controls and bidi
// characters as entrasnap writes them), with the names of the objects its
// quoted ids name as a comment ("  # Finance Admins"); the object's own id
// line is not annotated.
func (ix *Index) Annotate(w io.Writer, path string, data []byte) error {
	_, self, _ := strings.Cut(path, ".")
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := layout.Safe(sc.Text())
		var names []string
		for _, m := range quotedID.FindAllStringSubmatch(line, -1) {
			if strings.Contains(self, m[1]) && strings.HasPrefix(strings.TrimSpace(line), "id:") {
				continue
			}
			if n, ok := ix.Name(m[1]); ok {
				names = append(names, layout.Safe(n))
			}
		}
		if len(names) > 0 {
			line += "  # " + strings.Join(names, ", ")
		}
		fmt.Fprintln(w, line)
	}
	return sc.Err()
}
