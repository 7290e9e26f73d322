package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// page is one collection page as decoded: the items split out of the
// value array in the same pass (a page was read three times over, as a
// whole, then its value, then each item: issue #12, the export's CPU).
// Value is nil when the answer has no value array or a null one.
type page struct {
	Value     *[]json.RawMessage `json:"value"`
	NextLink  string             `json:"@odata.nextLink"`
	DeltaLink string             `json:"@odata.deltaLink"`
}

// checkPage is called before following link, a page of the list that
// starts at first: it refuses a nextLink that repeats an earlier page and a
// list longer than Config.MaxPages, so a server that never ends a list
// stops the walk with an error naming it.
func (c *Client) checkPage(first, link string, seen map[string]bool) error {
	sum := sha256.Sum256([]byte(link)) // bounded memory whatever the links' length
	key := string(sum[:])
	if seen[key] {
		return fmt.Errorf("graph: GET %s: nextLink repeats an earlier page of %s; the server's paging loops", shortPath(link), shortPath(first))
	}
	if len(seen) >= c.maxPages {
		return fmt.Errorf("graph: GET %s: the list has more than %d pages, the limit on one list; stopped (raise it with ENTRASNAP_MAX_PAGES only if the tenant really holds this much): %w", shortPath(first), c.maxPages, ErrLimit)
	}
	seen[key] = true
	return nil
}

// getPage fetches one collection page and splits its value array.
func (c *Client) getPage(ctx context.Context, link string, o reqOptions) (items []json.RawMessage, p page, err error) {
	resp, err := c.do(ctx, http.MethodGet, link, nil, o)
	if err != nil {
		return nil, page{}, err
	}
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && te.Field == "value" {
			return nil, page{}, fmt.Errorf("graph: GET %s: decoding value: %w", shortPath(link), err)
		}
		return nil, page{}, fmt.Errorf("graph: GET %s: decoding page: %w", shortPath(link), err)
	}
	if p.Value == nil {
		return nil, page{}, fmt.Errorf("graph: GET %s: answer is not a collection (no value array)", shortPath(link))
	}
	items = *p.Value
	if items == nil {
		items = []json.RawMessage{} // "value":[]: an empty page, not a missing array
	}
	return items, p, nil
}

// List reads a collection to its end, following @odata.nextLink. fn is
// called once per page, in order, possibly with zero items (Graph may send
// an empty page that still has a nextLink); an error from fn stops the walk
// and is returned as is. Headers set with opts (e.g. ConsistencyLevel) are
// sent on every page, since Graph does not carry them into nextLinks.
//
// If any page fails after its retries, List returns that error: callers
// never see a silently short list.
func (c *Client) List(ctx context.Context, path string, fn func(items []json.RawMessage) error, opts ...ReqOption) error {
	o := collect(opts)
	seen := map[string]bool{}
	for link := path; link != ""; {
		if err := c.checkPage(path, link, seen); err != nil {
			return err
		}
		items, p, err := c.getPage(ctx, link, o)
		if err != nil {
			return err
		}
		if err := fn(items); err != nil {
			return err
		}
		link = p.NextLink
	}
	return nil
}

// Delta runs one delta round: from a delta function path (e.g.
// "/v1.0/users/delta?$select=displayName") or a deltaLink saved from the
// previous round, it follows nextLinks and returns the new deltaLink. fn is
// called per page as in List.
//
// When Graph asks for a full resync (410 Gone, or codes resyncRequired /
// syncStateNotFound for an expired token) Delta returns *ErrResyncRequired;
// items already passed to fn belong to the abandoned round.
func (c *Client) Delta(ctx context.Context, pathOrDeltaLink string, fn func(items []json.RawMessage) error, opts ...ReqOption) (deltaLink string, err error) {
	o := collect(opts)
	seen := map[string]bool{}
	for link := pathOrDeltaLink; ; {
		if err := c.checkPage(pathOrDeltaLink, link, seen); err != nil {
			return "", err
		}
		items, p, err := c.getDeltaPage(ctx, link, o)
		if err != nil {
			return "", err
		}
		if err := fn(items); err != nil {
			return "", err
		}
		switch {
		case p.NextLink != "":
			link = p.NextLink
		case p.DeltaLink != "":
			return p.DeltaLink, nil
		default:
			return "", fmt.Errorf("graph: GET %s: delta page has neither nextLink nor deltaLink", shortPath(link))
		}
	}
}

func (c *Client) getDeltaPage(ctx context.Context, link string, o reqOptions) ([]json.RawMessage, page, error) {
	items, p, err := c.getPage(ctx, link, o)
	if err == nil {
		return items, p, nil
	}
	var ge *Error
	if errors.As(err, &ge) && (ge.Status == http.StatusGone ||
		strings.EqualFold(ge.Code, "resyncRequired") || strings.EqualFold(ge.Code, "syncStateNotFound")) {
		r := &ErrResyncRequired{Err: ge}
		if ge.Status == http.StatusGone {
			r.Location = ge.location
		}
		return nil, page{}, r
	}
	return nil, page{}, err
}

// ListObjects is List collecting every item as a JSON object, numbers kept
// exactly as Graph sent them (json.Number).
func (c *Client) ListObjects(ctx context.Context, path string, opts ...ReqOption) ([]map[string]any, error) {
	var out []map[string]any
	err := c.List(ctx, path, func(items []json.RawMessage) error {
		for _, it := range items {
			d := json.NewDecoder(bytes.NewReader(it))
			d.UseNumber()
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				return fmt.Errorf("graph: GET %s: an item is not a JSON object: %w", shortPath(path), err)
			}
			out = append(out, m)
		}
		return nil
	}, opts...)
	return out, err
}
