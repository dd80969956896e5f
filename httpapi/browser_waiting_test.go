package httpapi_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// TestBrowserWaitingAndLinks drives chromium through what issue 22
// changed on the dashboard: the requests page's Waiting column, sorted
// from its header; an item's link to its epic's decisions and the
// product's link to its own. Screenshots: requests-waiting,
// requests-by-waiting, item-links, epic-decisions, product-decisions.
func TestBrowserWaitingAndLinks(t *testing.T) {
	b := newChromium(t)
	f := newFixture(t, options{})
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	base := f.url + "/p/checkout"

	b.do(chromedp.Navigate(base+"/requests?asOf=2026-05-21"), chromedp.WaitVisible(css(`#req-REQ-13`)))
	assert.Equal(t, "3d 12h", b.text(`#req-REQ-13 td.waiting`))
	b.shot("requests-waiting")
	b.do(chromedp.Click(css(`th a.sort[href*="sort=waiting"]`)), chromedp.WaitVisible(css(`th[aria-sort=descending]`)))
	assert.Contains(t, b.text(`table.requests tbody tr:first-child`), "REQ-13", "the longest waiting first")
	b.shot("requests-by-waiting")

	b.do(chromedp.Navigate(base+"/why/CARD-2"), chromedp.WaitVisible(css(`#timeline`)))
	assert.Contains(t, b.text(`main p`), "its epic's decisions (CARDS)")
	b.shot("item-links")
	b.do(chromedp.Click(css(`a[href$="epic=CARDS"]`)), chromedp.WaitVisible(css(`table.decisions`)))
	assert.Contains(t, b.text(`main p.muted`), "epic CARDS")
	b.shot("epic-decisions")

	b.do(chromedp.Navigate(base+"/why/checkout"), chromedp.WaitVisible(css(`#timeline`)),
		chromedp.Click(css(`a[href*="type=ProductCreated"]`)), chromedp.WaitVisible(css(`table.decisions`)))
	assert.Contains(t, b.text(`main p.muted`), "11 decision(s)")
	b.shot("product-decisions")
}
