package query

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/replay"
)

// Page says where one page of a list view stands. Next is the cursor of
// the page after it, "" on the last page; Prev the cursor of the page
// before it, "" on the first (and on a log page, which is read forward
// only). An edge asks for the next page with the same options and
// after=Next.
//
// A cursor is a stream sequence for the lists in stream order (the log,
// decisions, why's chain: the elements after that sequence), and
// OFFSET@SEQ for the others (the backlog, the roadmap, the requests: the
// elements after the first OFFSET of the list as it stood at sequence
// SEQ, so that every page of one answer is of the same list, whatever
// was decided meanwhile); the products' is an offset.
//
// Total counts the elements of the whole list the page is of, when it is
// known: on every list but the log, which is read a page at a time.
type Page struct {
	Next  string `json:"next,omitempty"`
	Prev  string `json:"prev,omitempty"`
	Total int    `json:"total,omitempty"`
}

func (p Page) pageOf() Page { return p }

// PageOf returns the Page of an answer of a list view.
func PageOf(answer any) (Page, bool) {
	if p, ok := answer.(interface{ pageOf() Page }); ok {
		return p.pageOf(), true
	}
	return Page{}, false
}

// The options of every list view.
var (
	limitParam = Param{Name: "limit", Doc: "at most this many elements: a page of the list, whose next cursor says where the following one starts; 0 or none for the whole list"}
	afterParam = Param{Name: "after", Doc: "the cursor of the page to answer: the next (or prev) of the page before; none for the first"}
)

// pager is what a list view adds to its entry: how long a page is, and
// how pages add up to the whole list.
type pager struct {
	len   func(answer any) (int, bool)
	merge func(dst, page any) bool
}

// pagesOf adapts the typed length and merge of a list view's answer.
// merge appends page's elements to dst's and takes page's Next.
func pagesOf[A any](n func(A) int, merge func(dst *A, page A)) *pager {
	val := func(v any) (A, bool) {
		switch a := v.(type) {
		case A:
			return a, true
		case *A:
			if a != nil {
				return *a, true
			}
		}
		var zero A
		return zero, false
	}
	return &pager{
		len: func(v any) (int, bool) {
			a, ok := val(v)
			if !ok {
				return 0, false
			}
			return n(a), true
		},
		merge: func(dst, page any) bool {
			d, ok := dst.(*A)
			p, ok2 := val(page)
			if !ok || !ok2 || d == nil {
				return false
			}
			merge(d, p)
			return true
		},
	}
}

// Paged reports whether the view is a list that answers in pages.
func (v *View) Paged() bool { return v.pages != nil }

// Len returns how many elements an answer of the view holds; ok is false
// when the view is no list or answer is not its answer.
func (v *View) Len(answer any) (n int, ok bool) {
	if v.pages == nil {
		return 0, false
	}
	return v.pages.len(answer)
}

// Merge appends the elements of page, the answer to the view with
// after=Next of dst, to dst, a pointer to the answer before it, which
// takes page's Next. It reports false when the view is no list or the
// answers are not its.
func (v *View) Merge(dst, page any) bool {
	return v.pages != nil && v.pages.merge(dst, page)
}

// Pages calls fn with each page of the view in turn, from o.After on,
// o.Limit elements a page (PageSize when 0), until the last page or fn's
// first error. The log is read from the stream once, page after page;
// another list is answered again for each page. A view that is no list
// is one page.
func (s *Service) Pages(ctx context.Context, name string, o Options, fn func(page any) error) error {
	v, ok := Lookup(name)
	if !ok {
		return unknownView(name)
	}
	if !v.Paged() {
		a, err := s.View(ctx, name, o)
		if err != nil {
			return err
		}
		return fn(a)
	}
	if o.Limit == 0 {
		o.Limit = PageSize
	}
	if name == ViewLog {
		if err := v.Check(o); err != nil {
			return err
		}
		if err := domain.CheckID("product", o.Product); err != nil {
			return err
		}
		pos, err := Pos("asOf", o.AsOf)
		if err != nil {
			return err
		}
		after, err := seqCursor(o.After)
		if err != nil {
			return err
		}
		return s.logPages(ctx, o.Product, pos, after, o.Limit, false, func(l Log) error { return fn(l) })
	}
	for {
		a, err := s.View(ctx, name, o)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		p, _ := PageOf(a)
		if n, _ := v.Len(a); p.Next == "" || n == 0 {
			return nil
		}
		o.After = p.Next
	}
}

// PageSize is the page Pages reads when given no limit.
const PageSize = 1000

// checkLimit refuses a negative limit.
func checkLimit(o Options) error {
	if o.Limit < 0 {
		return domain.Malformed("limit", "limit must be 0 (the whole list) or more, not %d", o.Limit)
	}
	return nil
}

// seqCursor reads the cursor of a list in stream order: a stream
// sequence, 0 for none.
func seqCursor(after string) (uint64, error) {
	if after == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(after, 10, 64)
	if err != nil {
		return 0, domain.Malformed("after", "after %q is no cursor of this list: give the next of a page, a stream sequence", after)
	}
	return n, nil
}

// seqPage returns the elements of list (in stream order) after the
// cursor o.After, at most o.Limit of them, and where the page stands.
func seqPage[T any](list []T, seq func(T) uint64, o Options) ([]T, Page, error) {
	if err := checkLimit(o); err != nil {
		return nil, Page{}, err
	}
	after, err := seqCursor(o.After)
	if err != nil {
		return nil, Page{}, err
	}
	start := 0
	for start < len(list) && seq(list[start]) <= after {
		start++
	}
	end := len(list)
	if o.Limit > 0 {
		end = min(start+o.Limit, len(list))
	}
	p := Page{Total: len(list)}
	if end < len(list) && end > start {
		p.Next = strconv.FormatUint(seq(list[end-1]), 10)
	}
	if start > 0 && o.Limit > 0 {
		if back := start - o.Limit; back > 0 {
			p.Prev = strconv.FormatUint(seq(list[back-1]), 10)
		} else {
			p.Prev = "0"
		}
	}
	return list[start:end], p, nil
}

// offsetCursor reads the cursor of a list not in stream order: the
// offset, and the sequence the list is taken at (0 when the cursor names
// none).
func offsetCursor(after string) (offset int, seq uint64, err error) {
	if after == "" {
		return 0, 0, nil
	}
	off, at, pinned := strings.Cut(after, "@")
	n, err1 := strconv.Atoi(off)
	var err2 error
	if pinned {
		seq, err2 = strconv.ParseUint(at, 10, 64)
	}
	if err1 != nil || err2 != nil || n < 0 || (pinned && seq == 0) {
		return 0, 0, domain.Malformed("after", "after %q is no cursor of this list: give the next of a page, OFFSET@SEQ", after)
	}
	return n, seq, nil
}

// listPos is the position a list not in stream order is answered at: the
// one its cursor names (every page of an answer is of one list), else
// asOf's.
func listPos(o Options) (Position, error) {
	_, seq, err := offsetCursor(o.After)
	if err != nil {
		return Latest, err
	}
	if seq != 0 {
		return replay.AtSeq(seq), nil
	}
	return Pos("asOf", o.AsOf)
}

// offsetPage returns the elements of list after the cursor's offset, at
// most o.Limit of them, and where the page stands; at is the sequence the
// list was taken at, which its cursors name (0: none).
func offsetPage[T any](list []T, o Options, at uint64) ([]T, Page, error) {
	if err := checkLimit(o); err != nil {
		return nil, Page{}, err
	}
	start, _, err := offsetCursor(o.After)
	if err != nil {
		return nil, Page{}, err
	}
	start = min(start, len(list))
	end := len(list)
	if o.Limit > 0 {
		end = min(start+o.Limit, len(list))
	}
	cursor := func(n int) string {
		if at == 0 {
			return strconv.Itoa(n)
		}
		return fmt.Sprintf("%d@%d", n, at)
	}
	p := Page{Total: len(list)}
	if end < len(list) {
		p.Next = cursor(end)
	}
	if start > 0 && o.Limit > 0 {
		p.Prev = cursor(max(0, start-o.Limit))
	}
	return list[start:end], p, nil
}

// nonNil keeps an empty page a list in JSON ([]), as the whole list is.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// roadmapPage pages the roadmap by its items, period after period: a
// period whose items fall on two pages is on both, with the items of
// each.
func roadmapPage(periods []Period, o Options, at uint64) ([]Period, Page, error) {
	type spot struct{ period, item int }
	var spots []spot
	for i, p := range periods {
		for j := range p.Items {
			spots = append(spots, spot{i, j})
		}
	}
	page, pg, err := offsetPage(spots, o, at)
	if err != nil {
		return nil, Page{}, err
	}
	out := []Period{}
	for _, sp := range page {
		p := periods[sp.period]
		if n := len(out); n == 0 || out[n-1].Name != p.Name {
			out = append(out, Period{Name: p.Name})
		}
		out[len(out)-1].Items = append(out[len(out)-1].Items, p.Items[sp.item])
	}
	if o.Limit == 0 && o.After == "" {
		return nonNil(periods), pg, nil // the whole roadmap, its empty periods too
	}
	return out, pg, nil
}

func roadmapItems(r Roadmap) int {
	n := 0
	for _, p := range r.Periods {
		n += len(p.Items)
	}
	return n
}

// mergeRoadmap appends a page of the roadmap to d, joining the period
// the two pages share.
func mergeRoadmap(d *Roadmap, p Roadmap) {
	for i, per := range p.Periods {
		if n := len(d.Periods); i == 0 && n > 0 && d.Periods[n-1].Name == per.Name {
			d.Periods[n-1].Items = append(d.Periods[n-1].Items, per.Items...)
			continue
		}
		d.Periods = append(d.Periods, per)
	}
	d.Next = p.Next
}
