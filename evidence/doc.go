// Package evidence makes the report an auditor can file about a backup
// repository (`entrasnap evidence`): the snapshot series over a window and
// its gaps (the recovery point objective achieved), completeness per kind,
// integrity (the repository check and the signatures), the restore
// rehearsals recorded under .entrasnap/rehearsals/, and the permissions
// the export ran with; each line names the controls it supports (ISO/IEC
// 27001:2022 A.8.13, SOC 2 A1.2 and A1.3, NIS2 article 21(2)(c)). It reads
// the repository only: no Graph access.
//
// Build makes the Report; Markdown, HTML and JSON render it. Every string
// from the repository (tags, kinds, reasons, rehearsal details, file
// names) is escaped in markdown (diff.MarkdownText) and HTML (layout.Safe,
// then html/template); JSON keeps it exactly.
//
// # JSON schema (entrasnap.evidence/v1)
//
// The JSON form is Report as encoding/json writes it. Fields are only ever
// added; a field whose meaning changes gets a new name and "schema" a new
// version. Times are RFC 3339 UTC; durations are seconds (float). Lists are
// never null.
//
//	schema        "entrasnap.evidence/v1"
//	repo, tool, generatedAt, tenantId
//	window        {from, to}: from is "0001-01-01T00:00:00Z" for the whole history
//	summary[]     {id, evidence, result, status, controls[]}: id is one of
//	              snapshots, rpo, gaps, partial, kinds, check, signatures,
//	              rehearsals, access; status ok | attention | missing;
//	              controls are ids of controls[]
//	snapshots     {count, complete, partial, first, last, before, largestGap,
//	              maxGapSeconds, gapsOverMax[], sinceLastSeconds, list[]}:
//	              a snapshot is {tag, commit, time, complete,
//	              incompleteKinds[], notLicensedKinds[], objects, signed}
//	              (null when absent), a gap {from, to, fromTime, toTime,
//	              seconds}; list is oldest first
//	completeness  {snapshot, commit, objects, complete, incomplete,
//	              notLicensed, notExported, readInPart (when not 0), kinds[]}:
//	              a kind is {kind, folder, objects, status, reason}, status
//	              complete | partial (read in part, counted complete; the
//	              reason says what was kept) | incomplete | not-licensed |
//	              not-exported
//	integrity     {check: {ok, all, snapshotsChecked, objectFiles,
//	              tagsChecked, errors, warnings, errorsShown[]},
//	              signatures: {verified, allowedSigners, commits, tags, good,
//	              failed, beforeSignedSince, failuresShown[]}}: an error shown
//	              is check's issue {severity, file, line, property, message}
//	              (empty ones left out), a failure {object, type (commit or
//	              tag), names[], status, detail}; at most 20 of each
//	rehearsals    {records[], olderThanWindow, broken[] {file, error}, hint,
//	              maxAgeSeconds (an older last rehearsal is flagged)}:
//	              a record is {file, version, startedAt, finishedAt, snapshot,
//	              commit, tool, throttle, scenarios[] {name, result, objects,
//	              restoreSeconds, detail}, passed, failed, skipped,
//	              maxRestoreSeconds}, newest first
//	appliesThatChangedNothing[]  the restore applies in the window whose
//	              writes all failed (no snapshot: an entrasnap/apply/* tag
//	              records each), newest first: {tag, commit, time, tenantId,
//	              plan, by, done, already, failed, skipped, notDone[] (one
//	              line per action not done, with Graph's error), signed,
//	              broken (why the tag is no apply record, when it is not)}
//	access        {recorded, snapshot, type, source (token | graph: where
//	              permissions were read), permissions[], directoryRoles[],
//	              needed[], writes[], writesToRead[] (the writes a kind in
//	              the snapshot is read with: "permission (kind, ...)"),
//	              extra[], missing[], readOnly, leastPrivilege}
//	controls[]    {id, framework, title}
package evidence

import (
	"io"

	"github.com/entrasnap/entrasnap/layout"
)

// JSON writes the report's machine form (the schema above), indented.
func (rep *Report) JSON(w io.Writer) error {
	return layout.WriteJSON(w, rep)
}
