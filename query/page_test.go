package query

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
)

// listOptions are options every list view of the catalogue answers on the
// demo with, its subject and required options filled in.
func listOptions(v *View) Options {
	o := Options{}
	if !v.Ledger {
		o.Product = "checkout"
	}
	examples := map[string]string{"id": "CARD-2"}
	for _, p := range v.Params {
		if p.Required {
			_ = p.Set(&o, examples[p.Name])
		}
	}
	if v.Name == ViewBacklog {
		o.Status = "all" // more than one page of the demo's
	}
	return o
}

// collect asks for every page of v, size elements a page, following
// Next, and returns them merged, and how many pages it took.
func collect(t *testing.T, q *Service, v *View, o Options, size int) (any, int) {
	t.Helper()
	o.Limit = size
	first, err := q.View(context.Background(), v.Name, o)
	require.NoError(t, err)
	all := reflect.New(reflect.TypeOf(first))
	all.Elem().Set(reflect.ValueOf(first))
	pages := 1
	for p, _ := PageOf(first); p.Next != ""; pages++ {
		o.After = p.Next
		next, err := q.View(context.Background(), v.Name, o)
		require.NoError(t, err)
		n, _ := v.Len(next)
		require.Positive(t, n, "a page with a next cursor is followed by elements")
		require.True(t, v.Merge(all.Interface(), next))
		p, _ = PageOf(next)
		require.Less(t, pages, 1000)
	}
	return all.Elem().Interface(), pages
}

// elements is an answer's JSON without what says how it was built.
func elements(t *testing.T, answer string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(answer), &m))
	delete(m, "asOf")
	delete(m, "replayed")
	return m
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestPagesAddUpToTheWhole walks the catalogue's lists: for every list
// view, its pages, followed by their next cursors, are the whole answer,
// element for element, whatever the page size; the previous cursors lead
// back to the first page; and Pages streams the same.
func TestPagesAddUpToTheWhole(t *testing.T) {
	s := eventstoretest.Demo(t)
	q := New(s, s.Snapshots())
	ctx := context.Background()
	lists := 0
	for _, v := range Catalogue() {
		if !v.Paged() {
			continue
		}
		lists++
		t.Run(v.Name, func(t *testing.T) {
			o := listOptions(v)
			whole, err := q.View(ctx, v.Name, o)
			require.NoError(t, err)
			n, ok := v.Len(whole)
			require.True(t, ok)
			for _, size := range []int{1, 3, 10, n + 1} {
				got, pages := collect(t, q, v, o, size)
				assert.JSONEq(t, jsonOf(t, whole), jsonOf(t, got), "pages of %d", size)
				if size < n && v.Name != ViewProducts {
					assert.Greater(t, pages, 1, "pages of %d", size)
				}
			}

			// Back from the last page of 3 to the first.
			o.Limit = 3
			page, err := q.View(ctx, v.Name, o)
			require.NoError(t, err)
			first := jsonOf(t, page)
			forward := 0
			for p, _ := PageOf(page); p.Next != ""; p, _ = PageOf(page) {
				o.After = p.Next
				page, err = q.View(ctx, v.Name, o)
				require.NoError(t, err)
				forward++
			}
			if v.Name != ViewLog { // the log is read forward only
				back := 0
				for p, _ := PageOf(page); p.Prev != ""; p, _ = PageOf(page) {
					o.After = p.Prev
					if p.Prev == "0" {
						o.After = "" // the first page: after nothing
					}
					page, err = q.View(ctx, v.Name, o)
					require.NoError(t, err)
					back++
				}
				assert.Equal(t, forward, back)
				// The same page, of the list as it stood then (its
				// position is named now), whatever was built how.
				assert.Equal(t, elements(t, first), elements(t, jsonOf(t, page)), "prev leads back to the first page")
			}

			// Pages streams them.
			o.After = ""
			var streamed any
			require.NoError(t, q.Pages(ctx, v.Name, o, func(page any) error {
				if streamed == nil {
					p := reflect.New(reflect.TypeOf(page))
					p.Elem().Set(reflect.ValueOf(page))
					streamed = p.Interface()
					return nil
				}
				require.True(t, v.Merge(streamed, page))
				return nil
			}))
			assert.JSONEq(t, jsonOf(t, whole), jsonOf(t, streamed))
		})
	}
	assert.Equal(t, 7, lists, "products, backlog, roadmap, requests, why, log and decisions are lists")
}

// TestPageCursorsRefused: a cursor that is no cursor of the list, and a
// negative limit, are malformed, naming the option.
func TestPageCursorsRefused(t *testing.T) {
	q, _ := demoService(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, view, after string
		limit             int
		field             string
	}{
		{"ErrSeqCursor", ViewLog, "5@12", 0, "after"},
		{"ErrOffsetCursor", ViewBacklog, "seq:5", 0, "after"},
		{"ErrNegativeLimit", ViewDecisions, "", -1, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := q.View(ctx, tc.view, Options{Product: "checkout", After: tc.after, Limit: tc.limit})
			assert.Equal(t, domain.KindMalformed, domain.KindOf(err), "%v", err)
			assert.Equal(t, tc.field, domain.FieldOf(err))
		})
	}
	_, err := q.View(ctx, ViewCompare, Options{Product: "checkout", PlannedAsOf: "2026-04-01", Limit: 2})
	assert.ErrorContains(t, err, "the compare view takes no limit", "a report is no list")
}

// TestOffsetPagesAreOfOneList: the pages of the backlog after its first
// are of the backlog as it stood when the first was answered, whatever
// was decided meanwhile: no item is shown twice or skipped.
func TestOffsetPagesAreOfOneList(t *testing.T) {
	s := eventstoretest.Demo(t)
	q := New(s, s.Snapshots())
	ctx := context.Background()
	whole, err := q.Backlog(ctx, "checkout", Latest, BacklogFilter{}, 0)
	require.NoError(t, err)
	first, err := q.View(ctx, ViewBacklog, Options{Product: "checkout", Limit: 4})
	require.NoError(t, err)
	p1 := first.(Backlog)
	require.NotEmpty(t, p1.Next)
	assert.Contains(t, p1.Next, fmt.Sprintf("@%d", p1.Position), "the cursor names the list's position")

	// The last item goes to the top meanwhile.
	last := whole.Items[len(whole.Items)-1].ID
	_, err = command.New(s, nil).Do(ctx, command.Request{Action: "item.rank", Product: "checkout", Actor: "nina",
		Args: json.RawMessage(fmt.Sprintf(`{"id":%q,"top":true,"why":"Moved up while a page was read"}`, last))})
	require.NoError(t, err)

	ids := []string{}
	for _, it := range p1.Items {
		ids = append(ids, it.ID)
	}
	o := Options{Product: "checkout", Limit: 4, After: p1.Next}
	for o.After != "" {
		v, err := q.View(ctx, ViewBacklog, o)
		require.NoError(t, err)
		for _, it := range v.(Backlog).Items {
			ids = append(ids, it.ID)
		}
		o.After = v.(Backlog).Next
	}
	var want []string
	for _, it := range whole.Items {
		want = append(want, it.ID)
	}
	assert.Equal(t, want, ids, "every page is of the backlog the first page was of")
	now, err := q.Backlog(ctx, "checkout", Latest, BacklogFilter{}, 0)
	require.NoError(t, err)
	assert.Equal(t, last, now.Items[0].ID, "and the ledger has moved on")
}

// TestLogPagesKeepTheVerdicts: a page of the log that starts anywhere
// (inside an atomic decision too) marks each entry as the whole log
// does, though it folds only from the nearest snapshot, or from where the
// page before ended: a forged event after the cursor is quarantined on
// its page, for a reason the history before the cursor gives (who holds
// which role).
func TestLogPagesKeepTheVerdicts(t *testing.T) {
	s := eventstoretest.Demo(t)
	ctx := context.Background()
	last, err := s.LastSeq(ctx, "checkout")
	require.NoError(t, err)
	evs := eventstoretest.Events(t, s, "checkout")
	at := evs[len(evs)-1].OccurredAt.Add(time.Hour)
	forged := domain.Event{ID: domain.EventID("checkout", "forged", at, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: "checkout", Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "OPS"}, Actor: domain.Actor{ID: "mallory", Role: domain.RolePO},
		OccurredAt: at, Why: "I am the PO now", Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, CommandID: "forged"}
	_, err = s.Append(ctx, []domain.Event{forged}, last)
	require.NoError(t, err)
	_, err = Rebuild(ctx, s, s.Snapshots(), "checkout", Latest, 20, true, nil)
	require.NoError(t, err)
	q := New(s, s.Snapshots())

	whole, err := q.Log(ctx, "checkout", Latest)
	require.NoError(t, err)
	require.Equal(t, 1, whole.Quarantined)
	require.NotEmpty(t, whole.Entries[len(whole.Entries)-1].Quarantined, "the forgery is refused")
	for after := uint64(0); after <= last; after++ {
		page, err := q.LogPage(ctx, "checkout", Latest, after, 0)
		require.NoError(t, err)
		var want []LogEntry
		for _, e := range whole.Entries {
			if e.Seq > after {
				want = append(want, e)
			}
		}
		require.Equal(t, jsonOf(t, want), jsonOf(t, page.Entries), "after %d", after)
		assert.Equal(t, whole.Quarantined, page.Quarantined, "after %d", after)
		assert.Equal(t, whole.Position, page.Position)
	}

	// Page after page, each going on from where the fold stood at the end
	// of the page before (remembered, not folded again): the same verdicts.
	var paged []LogEntry
	var page Log
	for after, pages := uint64(0), 0; ; pages++ {
		page, err = q.LogPage(ctx, "checkout", Latest, after, 3)
		require.NoError(t, err)
		paged = append(paged, page.Entries...)
		if page.Next == "" {
			break
		}
		require.Less(t, pages, 1000)
		g, _, ok := q.gates.get("checkout", page.Entries[len(page.Entries)-1].Seq)
		require.True(t, ok, "the fold at the page's end is remembered")
		require.NotNil(t, g)
		after, err = seqCursor(page.Next)
		require.NoError(t, err)
	}
	assert.Equal(t, jsonOf(t, whole.Entries), jsonOf(t, paged))
	assert.Equal(t, whole.Quarantined, page.Quarantined, "the last page counts what the whole log does")
}

// TestSortedRequestsPage: the requests sorted by waiting are sorted
// before they are paged, so the pages add up to the sorted list, and a
// page after the first counts the ages to the clock, as the first does,
// (here asOf's date), not to the last event of the list it is pinned to.
func TestSortedRequestsPage(t *testing.T) {
	s := eventstoretest.Demo(t)
	q := New(s, s.Snapshots())
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	q.SetClock(func() time.Time { return now })
	ctx := context.Background()
	v, _ := Lookup(ViewRequests)
	o := Options{Product: "checkout", Sort: "waiting", AsOf: "2026-05-21"}
	whole, err := q.View(ctx, ViewRequests, o)
	require.NoError(t, err)
	rs := whole.(Requests).Requests
	require.Greater(t, len(rs), 4)
	require.NotEmpty(t, rs[0].Waiting, "the longest waiting pending request first")
	got, pages := collect(t, q, v, o, 1)
	assert.Greater(t, pages, 2)
	assert.Equal(t, jsonOf(t, rs), jsonOf(t, got.(Requests).Requests), "the pages are of the sorted list, ages to the clock")
}
