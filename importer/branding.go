package importer

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of company branding (layout/catalog_tenant2.go):
//
//   - a localization is created with its id, the locale (POST .../localizations,
//     organizationalbranding-post-localizations), and PATCHed
//     (organizationalbrandinglocalization-update); one added since REV is
//     deleted; the default branding ("0") is never created or deleted by
//     restore: Graph makes it with the first localization and deletes it
//     only through DELETE /branding once no localization is left;
//   - its images are written by PUT of the stream, one request each, never
//     with other properties ("You can't update Stream types with other data
//     types in the same request": organizationalbranding-update): the plan
//     names the snapshot's file and its SHA-256, and apply sends that file's
//     bytes as read at the plan's commit, after checking the hash;
//   - an image set in the tenant but not at REV is left: Graph documents no
//     removal of a branding image; the plan says to remove it in the Entra
//     admin center;
//   - customCSS (layout.CustomCSS, the sign-in page's style sheet) is a
//     stream kept and written as the images are, with Content-Type text/css.

const brandingKind = "branding"

func init() {
	createOnly[brandingKind] = []string{"id"} // the locale: the caller's id
}

// Stream is an image a request writes: the snapshot's file (repository
// path) with the bytes to send, their SHA-256 and media type.
type Stream struct {
	File        string `json:"file"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
}

// images plans the PUT of each image of s that the tenant lacks or holds
// different bytes of, after the object's create or update.
func (pl *planner) images(s *objState) {
	k := s.k
	if len(k.Images) == 0 || s.mode == modeSkip {
		return
	}
	var deps []string
	if s.main != "" {
		deps = append(deps, s.main)
	}
	deps = append(deps, pl.objActions[k.Name+"/"+strings.ToLower(s.key)]...)
	key := s.key
	if s.mode == modeCreate {
		key = s.d.Key
	}
	for _, prop := range k.Images {
		want, wok, werr := layout.ImageOf(s.d.Data, prop)
		var have layout.Image
		hok := false
		if s.live != nil && s.mode == modeLive {
			have, hok, _ = layout.ImageOf(s.live.Data, prop)
		}
		if werr != nil {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: %s is not restored: %v", layout.Safe(s.d.Path), prop, werr))
			continue
		}
		if !wok {
			if hok {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: the tenant's %s was added since the snapshot; Graph documents no removal of a branding image: remove it in the Entra admin center (Company branding) if it should go",
					layout.Safe(s.d.Path), prop))
			}
			continue
		}
		if hok && have.SHA256 == want.SHA256 {
			continue
		}
		change := Change{Path: prop, Action: "replaced", After: want.Value()}
		if hok {
			change.Before = have.Value()
		}
		pl.add(s, Action{Op: OpUpdate, Relationship: prop,
			Request: Request{Method: http.MethodPut, Path: itemPath(k, key) + "/" + prop,
				Stream: &Stream{File: k.ImagePath(want.File), SHA256: want.SHA256, ContentType: want.ContentType}},
			Changes: []Change{change}, DependsOn: deps,
			Warnings: []string{prop + " is written with PUT of the " + streamNoun(prop) + " file " + layout.Safe(want.File) + " (" + fmt.Sprint(want.Size) + " bytes)"}})
	}
}

// streamNoun is what a stream property holds: company branding's customCSS
// is a style sheet (text/css), the others images.
func streamNoun(prop string) string {
	if prop == layout.CustomCSS {
		return "style sheet"
	}
	return "image"
}

// streamBody reads the image a request writes from the repository at the
// plan's commit and checks it is the one reviewed.
func (r *runner) streamBody(ctx context.Context, st *Stream) ([]byte, error) {
	return r.documentBody(ctx, st.File, st.SHA256, layout.MaxImageSize)
}

// documentBody reads file (a repository path) at the plan's commit and
// checks it is the one reviewed: at most max bytes with that SHA-256.
func (r *runner) documentBody(ctx context.Context, file, sha256 string, max int) ([]byte, error) {
	if r.o.Repo == nil {
		return nil, fmt.Errorf("the file %s cannot be read: no repository", layout.Safe(file))
	}
	data, err := r.o.Repo.ReadFile(ctx, r.p.Commit, file)
	if err != nil {
		return nil, fmt.Errorf("the file %s of the snapshot cannot be read: %w", layout.Safe(file), err)
	}
	if len(data) > max || layout.SHA256Hex(data) != sha256 {
		return nil, fmt.Errorf("the file %s at %s is not the one the plan was made with (SHA-256 differs): not sent; plan again", layout.Safe(file), shortHash(r.p.Commit))
	}
	return data, nil
}

// sendStream PUTs an image.
func (r *runner) sendStream(ctx context.Context, method, path string, st *Stream) (*graph.Response, error) {
	data, err := r.streamBody(ctx, st)
	if err != nil {
		return nil, err
	}
	return r.o.Client.Do(ctx, method, path, bytes.Clone(data), graph.WithHeader("Content-Type", st.ContentType))
}

// brandingCannotCreate says why a branding object cannot be created: the
// default branding ("0") is made by Graph with the first localization.
func brandingCannotCreate(k *layout.Kind, data map[string]any) string {
	if k.Name == brandingKind && str(data["id"]) == "0" {
		return "Graph creates the default branding (id 0) with the first localization, never on its own: restore a localization (or set the default in the Entra admin center, Company branding), then restore this file again"
	}
	return ""
}

// brandingDefaultKept reports whether live object o is the default
// branding, which restore never deletes (Graph deletes it only with
// DELETE /branding once no localization is left); the plan says so.
func (pl *planner) brandingDefaultKept(k *layout.Kind, o *Object) bool {
	if k.Name != brandingKind || o.Key != "0" {
		return false
	}
	pl.p.Warnings = append(pl.p.Warnings, "the default branding (id 0) was not in the snapshot and is not deleted: delete it in the Entra admin center (Company branding) if it should go")
	return true
}
