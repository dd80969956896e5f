package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// loadEvents stores the events of a recorded product (testdata/*-events.jsonl,
// one envelope per line as "ledger log --json" prints it) as the import
// that wrote them did: in order, in batches, each expecting the last.
func loadEvents(t *testing.T, s *eventstore.Store, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var batch []domain.Event
	var expect uint64
	flush := func() {
		if len(batch) == 0 {
			return
		}
		seqs, err := s.Append(context.Background(), batch, expect)
		require.NoError(t, err)
		expect, batch = seqs[len(seqs)-1], nil
	}
	for sc.Scan() {
		e, err := domain.Decode(sc.Bytes())
		require.NoError(t, err, "%s: %s", path, sc.Text())
		batch = append(batch, e)
		if len(batch) == 200 {
			flush()
		}
	}
	require.NoError(t, sc.Err())
	flush()
}

// trainVersion is the name of the i-th release of the train: 1.0 to 5.9.
func trainVersion(i int) string { return fmt.Sprintf("%d.%d", 1+i/10, i%10) }

// train records product "train": fifty releases, 1.0 to 5.9, the first
// 35 dated at the end of a month from January 2020, the rest undated,
// planned in a scrambled order. Each has three items: the first ships in
// it, the second slips to the next release every third release, the
// third is removed every fifth and left open every seventh.
func train(t *testing.T, h *command.Handler) {
	t.Helper()
	ctx := context.Background()
	n := 0
	at := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	do := func(day time.Time, actor, why string, a domain.Action) {
		t.Helper()
		n++
		if day.After(at) {
			at = day
		}
		at = at.Add(time.Minute)
		_, err := h.Execute(ctx, domain.Command{ID: fmt.Sprintf("train-%d", n), Product: "train", Actor: actor, Why: why, At: at, Action: a})
		require.NoError(t, err, "%s by %s", a.Verb(), actor)
	}
	start := at
	do(start, "pam", "", domain.CreateProduct{Name: "Release train", PM: "pam", PO: "olga"})
	do(start, "pam", "builds it", domain.AssignRole{Actor: "tom", Role: domain.RoleTeam})
	const releases, dated = 50, 35
	due := func(i int) time.Time {
		return time.Date(2020, time.Month(2+i), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	}
	for k := range releases {
		i := k * 7 % releases // every release once, out of order
		period := "release:" + trainVersion(i)
		if i < dated {
			period += "@" + due(i).Format(time.DateOnly)
		}
		do(start, "pam", "the release plan", domain.PlanRoadmapItem{ID: fmt.Sprintf("R-%d", i), Title: "Release " + trainVersion(i), Period: period})
	}
	for i := range releases {
		for _, x := range "abc" {
			do(start, "olga", "", domain.AddItem{ID: fmt.Sprintf("I-%d%c", i, x), Title: fmt.Sprintf("Work %c for %s", x, trainVersion(i)),
				Roadmap: fmt.Sprintf("R-%d", i)})
		}
	}
	var slipped string
	for i := range releases {
		day := due(i).AddDate(0, 0, -10)
		do(day, "tom", "", domain.DeliverWork{ID: fmt.Sprintf("I-%da", i)})
		if slipped != "" {
			do(day, "tom", "", domain.DeliverWork{ID: slipped})
			slipped = ""
		}
		b := fmt.Sprintf("I-%db", i)
		if i%3 == 0 && i+1 < releases {
			do(day, "olga", "not ready for "+trainVersion(i), domain.RefineItem{ID: b, Roadmap: fmt.Sprintf("R-%d", i+1)})
			slipped = b
		} else {
			do(day, "tom", "", domain.DeliverWork{ID: b})
		}
		c := fmt.Sprintf("I-%dc", i)
		switch {
		case i%5 == 0:
			do(day, "olga", "no longer needed", domain.RemoveItem{ID: c})
		case i%7 == 0:
		default:
			do(day, "tom", "", domain.DeliverWork{ID: c})
		}
	}
}

// TestOverviewOfAnImport: the overview of the Bugzilla sample, as the
// CLI imports it, names its releases and says what happened in them.
func TestOverviewOfAnImport(t *testing.T) {
	f := newFixture(t, options{})
	loadEvents(t, f.s, "testdata/firefox-events.jsonl")
	a := f.do(call{path: "/p/firefox/"})
	require.Equal(t, 200, a.status, "%s", a.body)
	body := string(a.body)
	for _, want := range []string{
		"Say/do ratio per release",
		"mozilla34, 2014-12-01", "Firefox 37", "mozilla1.9.3a1",
		// Mozilla names the target milestone as the fix lands: nothing
		// was planned ahead of a release, which is not a 0% release.
		"nothing planned ahead; 10 delivered unplanned",
	} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "No period on the roadmap has begun")
	assert.NotContains(t, body, "0% · 0 of")
	assert.Less(t, strings.Index(body, ">mozilla36, 2015-02-24<"), strings.Index(body, ">Firefox 37<"), "releases in the period order")
	assert.Less(t, strings.Index(body, ">Firefox 37<"), strings.Index(body, ">mozilla44, 2016-01-26<"))
}

// TestRoadmapOfFiftyReleases: the roadmap page of fifty releases lists
// them in the period order (1.9 before 1.10 would be text order; these
// are 1.0 to 5.9, dated then undated), each once, with an index to jump.
func TestRoadmapOfFiftyReleases(t *testing.T) {
	f := newFixture(t, options{})
	train(t, f.h)
	a := f.do(call{path: "/p/train/roadmap"})
	require.Equal(t, 200, a.status, "%s", a.body)
	body := string(a.body)
	assert.Contains(t, body, `<nav class="period-index" aria-label="Periods">`)
	last := -1
	for i := range 50 {
		at := strings.Index(body, `<h2 title="release:`+trainVersion(i))
		require.Positive(t, at, "release %s", trainVersion(i))
		assert.Greater(t, at, last, "release %s in order", trainVersion(i))
		last = at
	}
	assert.Contains(t, body, "50 periods, 50 roadmap items")
}

// TestBrowserReleases looks, in Debian's chromium, headless, at what a
// reader of an imported product sees: the overview, roadmap and compare
// pages of the Bugzilla sample, and the roadmap and overview of fifty
// releases, which must fit the window's width. It saves a screenshot of
// each in $LEDGER_SCREENSHOTS (or a temporary folder it names in the log).
func TestBrowserReleases(t *testing.T) {
	b := newChromium(t)
	f := newFixture(t, options{})
	loadEvents(t, f.s, "testdata/firefox-events.jsonl")
	train(t, f.h)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	fits := func(what string) {
		t.Helper()
		w, err := chromedp.Run(b.tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		require.NoError(t, err)
		assert.LessOrEqual(t, w, browserWidth, "%s: nothing scrolls sideways", what)
	}

	ff := f.url + "/p/firefox"
	b.do(chromedp.Navigate(ff+"/"), chromedp.WaitVisible(css(`#saydo-h`)))
	assert.Equal(t, "Say/do ratio per release", b.text(`#saydo-h`))
	fits("firefox overview")
	b.shot("firefox-overview")

	b.do(chromedp.Navigate(ff+"/roadmap"), chromedp.WaitVisible(css(`section[aria-label="release:mozilla34@2014-12-01"]`)))
	assert.Contains(t, b.text(`section[aria-label="release:mozilla34@2014-12-01"]`), "10/10 items")
	fits("firefox roadmap")
	b.shot("firefox-roadmap")

	// The README's question: the plan of 12 August 2019 against the end
	// of 2019, bug by bug.
	b.do(chromedp.Navigate(ff+"/compare?plannedAsOf=2019-08-12&deliveredAsOf=2019-12-31&level=item"),
		chromedp.WaitVisible(css(`section[aria-label="release:mozilla70@2019-10-22"]`)))
	assert.Contains(t, b.text(`details.settled summary`), "delivered in full before the plan was taken")
	assert.Contains(t, b.text(`section[aria-label="release:mozilla70@2019-10-22"]`), "2 planned: 2 shipped in it, 0 later, 0 never")
	fits("firefox compare")
	b.shot("firefox-compare")

	tr := f.url + "/p/train"
	b.do(chromedp.Navigate(tr+"/roadmap"), chromedp.WaitVisible(css(`section[aria-label="release:5.9"]`)))
	fits("train roadmap")
	b.shot("train-roadmap")
	b.do(chromedp.Navigate(tr+"/"), chromedp.WaitVisible(css(`#saydo-h`)))
	fits("train overview")
	b.shot("train-overview")
}

// TestPlanAReleaseOverHTTP: the HTTP edge takes every period the model
// reads, as the CLI does, and refuses one it cannot read, naming the field.
func TestPlanAReleaseOverHTTP(t *testing.T) {
	f := newFixture(t, options{})
	const path = "/api/v1/products/checkout/commands"
	pam := map[string]string{"Content-Type": "application/json", "X-Ledger-Actor": "pam"}
	a := f.do(call{method: "POST", path: path, header: pam,
		body: `{"action":"roadmap.plan","args":{"id":"R-SSO","title":"Single sign-on","period":"release:2.0@2027-06-30","why":"Enterprise deals wait for it"}}`})
	require.Equal(t, 201, a.status, "%s", a.body)
	a = f.do(call{method: "POST", path: path, header: pam,
		body: `{"action":"roadmap.reschedule","args":{"id":"R-SSO","period":"2027-Q5","why":"Slipped"}}`})
	require.Equal(t, 422, a.status, "%s", a.body)
	assertError(t, a.json(t), 422, "period")

	a = f.do(call{path: "/p/checkout/roadmap"})
	require.Equal(t, 200, a.status)
	assert.Contains(t, string(a.body), `<section class="period" id="period-4" aria-label="release:2.0@2027-06-30">`)
	assert.Contains(t, string(a.body), `<h2 title="release:2.0@2027-06-30">2.0, 2027-06-30</h2>`)
}
