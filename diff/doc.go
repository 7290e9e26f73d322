// Package diff compares two snapshots object by object: which objects were
// added, removed or changed, and for a changed object which properties, with
// sets compared as sets (a reordered set is no change, an added member is one
// line) and every id that names an object shown with that object's name.
//
// It is pure: it works on decoded objects (layout.Decode) and does no I/O.
// Rendering (text, markdown, JSON) is separate, in render.go.
package diff
