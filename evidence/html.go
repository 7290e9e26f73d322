package evidence

import (
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// HTML writes the report as one self-contained HTML page: inline CSS, no
// script, nothing fetched. html/template escapes every value, after
// layout.Safe has made controls, bidi overrides and invalid UTF-8 visible.
func (rep *Report) HTML(w io.Writer) error {
	list, more := newest(rep.Snapshots.List)
	return htmlPage.Execute(w, struct {
		*Report
		Newest []Snap
		More   int
	}{rep, list, more})
}

var htmlPage = template.Must(template.New("evidence").Funcs(template.FuncMap{
	"safe":        layout.Safe,
	"human":       Human,
	"stamp":       stamp,
	"short":       short,
	"tool":        toolName,
	"list":        func(l []string) string { return layout.Safe(list(l)) },
	"source":      accessSource,
	"join":        func(l []string) string { return layout.Safe(strings.Join(l, ", ")) },
	"window":      func(r *Report) string { return r.windowText() },
	"lines":       linesOf,
	"inc":         func(i int) int { return i + 1 },
	"notExported": func(c Completeness) string { return layout.Safe(strings.Join(c.notExported(), ", ")) },
	"yesno":       yesNo,
	"gaptext":     func(sec float64) string { return gapText(time.Duration(sec * float64(time.Second))) },
	"plural":      pl,
	"status": func(s string) string {
		switch s {
		case StatusOK, StatusAttention:
			return s
		}
		return StatusMissing
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Backup evidence: {{if .TenantID}}{{safe .TenantID}}{{else}}(unknown tenant){{end}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:2rem auto;max-width:70rem;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}h3{font-size:1rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f8fa;white-space:nowrap}td.num{text-align:right;white-space:nowrap}
.meta{color:#57606a}.status{font-weight:600;white-space:nowrap;border-radius:4px;padding:0 .4rem}
.ok{background:#dafbe1;color:#116329}.attention{background:#fff8c5;color:#7d4e00}.missing{background:#ffebe9;color:#a40e26}
code{background:#f6f8fa;padding:0 .2rem}
@media print{body{margin:0;max-width:none}}
</style>
</head>
<body>
<h1>Backup evidence: Microsoft Entra tenant <span id="tenant">{{if .TenantID}}{{safe .TenantID}}{{else}}(unknown tenant){{end}}</span></h1>
<p class="meta">Repository <code id="repo">{{safe .Repo}}</code>, {{window .Report}}. Generated {{stamp .GeneratedAt}} by entrasnap {{safe .Tool}} from the repository alone (no tenant access).</p>

<h2 id="summary">Summary</h2>
<table><thead><tr><th>#</th><th>Evidence</th><th>Result</th><th>Status</th><th>Supports</th></tr></thead><tbody>
{{range $i, $l := .Summary}}<tr id="line-{{$l.ID}}"><td class="num">{{inc $i}}</td><td>{{$l.Evidence}}</td><td>{{safe $l.Result}}</td><td><span class="status {{status $l.Status}}">{{$l.Status}}</span></td><td>{{join $l.Controls}}</td></tr>
{{end}}</tbody></table>

<h2 id="series">1. Snapshot series</h2>
{{with .Snapshots}}<p>{{.Count}} {{plural .Count "snapshot" "snapshots"}} ({{.Complete}} complete, {{.Partial}} partial).
{{with .LargestGap}}Largest gap between consecutive snapshots (recovery point objective achieved): <strong id="largest-gap">{{human .Seconds}}</strong> ({{safe .From}} to {{safe .To}}).{{end}}
{{with .Before}}The first gap is counted from {{safe .Tag}}, the last snapshot before the window.{{end}}
{{if or .Last .Before}}Age of the last snapshot at report time: {{human .SinceLastSeconds}}.{{end}}</p>
<p>Gaps longer than {{gaptext .MaxGapSeconds}}: <span id="gaps-over">{{len .GapsOver}}</span>.</p>
{{if .GapsOver}}<table id="gaps"><thead><tr><th>From</th><th>To</th><th>Gap</th></tr></thead><tbody>
{{range .GapsOver}}<tr><td>{{safe .From}} ({{stamp .FromTime}})</td><td>{{safe .To}} ({{stamp .ToTime}})</td><td class="num">{{human .Seconds}}</td></tr>
{{end}}</tbody></table>{{end}}{{end}}
{{if .Newest}}<table id="snapshots"><thead><tr><th>Snapshot</th><th>Time</th><th>Objects</th><th>Complete</th><th>Signed</th></tr></thead><tbody>
{{range .Newest}}<tr><td>{{safe .Tag}}</td><td>{{stamp .Time}}</td><td class="num">{{.Objects}}</td><td>{{if .Complete}}yes{{else}}<strong>no</strong>: {{join .Incomplete}}{{end}}</td><td>{{yesno .Signed}}</td></tr>
{{end}}</tbody></table>{{if .More}}<p>{{.More}} older snapshots are not listed (--format json lists them all).</p>{{end}}{{end}}

<h2 id="completeness">2. Completeness per kind</h2>
{{with .Completeness}}{{if .Snapshot}}<p>From the manifest of {{safe .Snapshot}} ({{short .Commit}}): {{.Complete}} complete, {{.Incomplete}} incomplete, {{.NotLicensed}} not licensed, {{.Skipped}} skipped, {{.NotExported}} not exported; {{.Objects}} objects.</p>
<table id="kinds"><thead><tr><th>Kind</th><th>Folder</th><th>Objects</th><th>Status</th><th>Reason</th></tr></thead><tbody>
{{range .Kinds}}{{if ne .Status "not-exported"}}<tr><td>{{safe .Kind}}</td><td>{{safe .Folder}}</td><td class="num">{{.Objects}}</td><td>{{.Status}}</td><td>{{safe .Reason}}</td></tr>
{{end}}{{end}}</tbody></table>{{with notExported .}}<p id="not-exported">Not exported (in the catalog, not in this repository: an export with --kinds, or an older entrasnap): {{.}}.</p>{{end}}{{else}}<p>No snapshot to read a manifest from.</p>{{end}}{{end}}

<h2 id="integrity">3. Integrity</h2>
{{with .Integrity.Check}}<p>Repository check: <strong id="check-result">{{if .OK}}passed{{else}}failed{{end}}</strong> ({{.Snapshots}} {{plural .Snapshots "snapshot" "snapshots"}}, {{.Files}} object files, {{.TagsChecked}} {{plural .TagsChecked "tag" "tags"}} checked; {{.Errors}} {{plural .Errors "error" "errors"}}, {{.Warnings}} {{plural .Warnings "warning" "warnings"}}).{{if not .All}} The latest snapshot was checked; <code>--check-all</code> checks every tagged snapshot.{{end}}</p>
{{if .Issues}}<ul>{{range .Issues}}<li>{{safe .String}}</li>{{end}}</ul>{{end}}{{end}}
{{with .Integrity.Signatures}}{{if .Verified}}<p id="signatures">Signatures, against {{safe .AllowedSigners}}: {{.Commits}} commits and {{.Tags}} snapshot tags, {{.Good}} good, {{.Failed}} not trusted{{if .Before}}, {{.Before}} before --signed-since{{end}}.</p>
{{if .Failures}}<ul>{{range .Failures}}<li>{{safe .Type}} {{short .Object}} {{join .Names}}: {{safe .Status}} {{safe .Detail}}</li>{{end}}</ul>{{end}}
{{else}}<p id="signatures">Signatures: <strong>not verified</strong> (give <code>--allowed-signers FILE</code>).</p>{{end}}{{end}}

<h2 id="rehearsals">4. Restore rehearsals</h2>
{{with .Rehearsals}}{{if not .Records}}<p>No rehearsal recorded in the window. To make one: {{safe .Hint}}.</p>{{end}}
{{range .Records}}<h3>{{stamp .StartedAt}}: {{.Passed}} passed, {{.Failed}} failed, {{.Skipped}} skipped</h3>
<p>Snapshot {{safe .Snapshot}} ({{short .Commit}}), throttling {{safe .Throttle}}, {{safe (tool .Tool)}}, record {{safe .File}}.</p>
{{range .Notes}}<p>Note: {{safe .}}</p>
{{end}}{{if .Scenarios}}<table class="rehearsal"><thead><tr><th>Scenario</th><th>Result</th><th>Objects</th><th>Restore time</th><th>Detail</th></tr></thead><tbody>
{{range .Scenarios}}<tr><td>{{safe .Name}}</td><td>{{safe .Result}}</td><td class="num">{{.Objects}}</td><td class="num">{{human .RestoreSeconds}}</td><td>{{safe .Detail}}</td></tr>
{{end}}</tbody></table>{{end}}{{end}}
{{if .Older}}<p>{{.Older}} older rehearsals outside the window.</p>{{end}}
{{if .Broken}}<ul id="broken">{{range .Broken}}<li>could not read {{safe .File}}: {{safe .Error}}</li>{{end}}</ul>{{end}}{{end}}

<h2 id="access">5. Backup app's permissions</h2>
{{with .Access}}{{if not .Recorded}}<p>Not recorded in the manifest of {{if .Snapshot}}{{safe .Snapshot}}{{else}}(no snapshot){{end}}. The least set that reads these kinds (<code>entrasnap kinds --permissions</code>): {{list .Needed}}.</p>
{{else}}<p>The export of {{safe .Snapshot}} ran with a {{safe .Type}} token holding: {{list .Permissions}} (<span id="access-source">{{source .Source}}</span>).{{if .DirectoryRoles}} Directory roles (template ids): {{list .DirectoryRoles}}.{{end}}</p>
<ul><li>Read-only: <strong id="read-only">{{yesno .ReadOnly}}</strong>{{if .Writes}} (writes: {{list .Writes}}){{end}}</li>
{{if .WritesToRead}}<li id="writes-to-read">Write permissions needed to read a kind in the snapshot (Graph has no read-only permission for it): {{list .WritesToRead}}</li>{{end}}
<li>Least privilege (nothing beyond the read set <code>entrasnap kinds --permissions</code> lists): <strong id="least-privilege">{{yesno .LeastPrivilege}}</strong>{{if .Extra}} (beyond it: {{list .Extra}}){{end}}</li>
{{if .Missing}}<li>Needed and not held (their kinds are incomplete): {{list .Missing}}</li>{{end}}</ul>{{end}}{{end}}

<h2 id="controls">Controls</h2>
<table><thead><tr><th>Control</th><th>Framework</th><th>Requirement</th><th>Lines</th></tr></thead><tbody>
{{range .Controls}}<tr><td>{{.ID}}</td><td>{{.Framework}}</td><td>{{.Title}}</td><td>{{lines $.Report .ID}}</td></tr>
{{end}}</tbody></table>
</body>
</html>
`))
