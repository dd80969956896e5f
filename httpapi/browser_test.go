package httpapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browserWidth is the width of the browser's window, in CSS pixels.
const browserWidth = 1400

// chromium is a headless chromium the test drives, and the folder its
// screenshots go to.
type chromium struct {
	t   *testing.T
	tab context.Context
	dir string
}

// newChromium starts Debian's chromium, headless, for the test, or skips
// the test when it is not installed. Screenshots go to
// $LEDGER_SCREENSHOTS, or a temporary folder it names in the log.
func newChromium(t *testing.T) *chromium {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed: run `apt-get update && apt-get install -y chromium` (Debian) to run the browser test")
	}
	dir := os.Getenv("LEDGER_SCREENSHOTS")
	if dir == "" {
		dir, err = os.MkdirTemp("", "ledger-screenshots-")
		require.NoError(t, err)
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots in %s", dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(browserWidth, 1000), chromedp.Flag("lang", "en-GB"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	tab, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate("about:blank")), "start chromium")
	return &chromium{t: t, tab: tab, dir: dir}
}

// doIn runs steps in tab, each bounded; the browser itself lives as long
// as the test.
func (b *chromium) doIn(tab context.Context, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, steps...))
}

func (b *chromium) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.doIn(b.tab, steps...)
}

// textIn is the text of the first element sel finds in tab.
func (b *chromium) textIn(tab context.Context, sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(b.t, err, sel)
	return s
}

func (b *chromium) text(sel string) string {
	b.t.Helper()
	return b.textIn(b.tab, sel)
}

// shotOf saves a screenshot of the whole page in tab as name.png.
func (b *chromium) shotOf(tab context.Context, name string) {
	b.t.Helper()
	buf, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(filepath.Join(b.dir, name+".png"), buf, 0o644))
}

func (b *chromium) shot(name string) {
	b.t.Helper()
	b.shotOf(b.tab, name)
}

// TestBrowser drives Debian's chromium, headless, through the dashboard
// on the demo data: the overview, the backlog, an item's timeline and
// compare, a date in the as-of picker, and a decision taken through the
// requests page's form that shows up, live, on a second page. It saves a
// screenshot of every step in $LEDGER_SCREENSHOTS (or a temporary folder
// it names in the log).
func TestBrowser(t *testing.T) {
	b := newChromium(t)
	f := newFixture(t, options{})
	tab1 := b.tab
	tab2, cancel2 := chromedp.NewContext(tab1)
	defer cancel2()
	require.NoError(t, chromedp.Do(tab2, chromedp.Navigate("about:blank")), "open a second tab")

	// A user's text that ran as script would open a dialog.
	dialogs := make(chan string, 4)
	for _, tab := range []context.Context{tab1, tab2} {
		evs := chromedp.Events(tab, page.JavascriptDialogOpening)
		go func() {
			for ev, err := range evs {
				if err != nil {
					return
				}
				dialogs <- ev.Message
				_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}()
	}
	do := func(tab context.Context, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		b.doIn(tab, steps...)
	}
	text := func(tab context.Context, sel string) string {
		t.Helper()
		return b.textIn(tab, sel)
	}
	shot := func(tab context.Context, name string) {
		t.Helper()
		b.shotOf(tab, name)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	base := f.url + "/p/checkout"

	do(tab1, chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(`#latest`)))
	title, err := chromedp.Run(tab1, chromedp.Evaluate[string](`document.querySelector('#saydo-title').textContent`))
	require.NoError(t, err)
	assert.Equal(t, "Say/do ratio per quarter", title, "the chart has a title")
	w, err := chromedp.Run(tab1, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	require.NoError(t, err)
	assert.LessOrEqual(t, w, browserWidth, "nothing scrolls sideways")
	assert.NotEqual(t, "none yet", text(tab1, `#median`))
	shot(tab1, "overview")

	do(tab1, chromedp.Navigate(base+"/backlog"), chromedp.WaitVisible(css(`#item-BNPL-3`)))
	shot(tab1, "backlog")

	do(tab1, chromedp.Navigate(base+"/roadmap"), chromedp.WaitVisible(css(`section[aria-label="2026-Q3"]`)))
	shot(tab1, "roadmap")

	do(tab1, chromedp.Navigate(base+"/why/CARD-2"), chromedp.WaitVisible(css(`#timeline`)))
	assert.Contains(t, text(tab1, `#timeline`), "PSD2")
	shot(tab1, "item")

	do(tab1, chromedp.Navigate(base+"/compare"),
		chromedp.SetValue(css(`input[name=plannedAsOf]`), "2026-04-01"),
		chromedp.SetValue(css(`input[name=deliveredAsOf]`), "2026-10-01"),
		chromedp.Click(css(`form.filters button`)),
		chromedp.WaitVisible(css(`section[aria-label="2026-Q2"]`)))
	assert.Contains(t, text(tab1, `section[aria-label="2026-Q2"]`), "R-WALLETS")
	shot(tab1, "compare")

	// My requests: in local mode the stakeholder chooses who they are.
	do(tab1, chromedp.Navigate(base+"/mine"),
		chromedp.SetValue(css(`#mine-actor`), "sally"),
		chromedp.Click(css(`form.filters button`)),
		chromedp.WaitVisible(css(`#mine`)))
	assert.Contains(t, text(tab1, `#req-REQ-16`), "rejected by nina (po) duplicate")
	shot(tab1, "my-requests")

	// The as-of picker in the header.
	do(tab1, chromedp.Navigate(base+"/backlog"),
		chromedp.SetValue(css(`#asof-date`), "2026-01-08"),
		chromedp.Click(css(`form.asof button`)),
		chromedp.WaitVisible(css(`#past-banner`)))
	banner := text(tab1, `#past-banner`)
	assert.Contains(t, banner, "Showing the past")
	assert.Contains(t, banner, "2026-01-08")
	shot(tab1, "backlog-past")

	// A stakeholder's request whose title is markup, then a second tab on
	// its timeline, following the stream.
	a := f.post("sally", `{"action":"request.submit","args":{"id":"REQ-B","title":"<script>alert(1)</script>","why":"Shown as text, never run"}}`)
	require.Equal(t, 201, a.status, "%s", a.body)
	do(tab2, chromedp.Navigate(base+"/why/REQ-B"), chromedp.WaitVisible(css(`body[data-live-open]`)))

	// The PO rejects the request through the form on the first tab.
	do(tab1, chromedp.Navigate(base+"/requests?status=pending"), chromedp.WaitVisible(css(`#req-REQ-B`)))
	assert.Equal(t, "<script>alert(1)</script>", text(tab1, `#req-REQ-B .title`), "the title shows as text")
	do(tab1,
		chromedp.Click(css(`#req-REQ-B details.decide summary`)),
		chromedp.WaitVisible(css(`#req-REQ-B input[value=reject]`)),
		chromedp.SetValue(css(`#req-REQ-B select[name=actor]`), "nina"),
		chromedp.Click(css(`#req-REQ-B input[value=reject]`)),
		chromedp.SetValue(css(`#req-REQ-B select[name=reason]`), "not-feasible"),
		chromedp.SendKeys(css(`#req-REQ-B textarea[name=why]`), "Script payloads are not a payment method"))
	shot(tab1, "decide-form")
	do(tab1, chromedp.Click(css(`#req-REQ-B button[type=submit]`)), chromedp.WaitVisible(css(`p.flash`)))
	shot(tab1, "decided")

	// It appears on the second tab without a reload.
	ctx, cancelPoll := context.WithTimeout(tab2, 10*time.Second)
	defer cancelPoll()
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#timeline').textContent.includes('RequestRejected')`,
		chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the decision did not appear live on the second page")
	live := text(tab2, `#timeline`)
	assert.Contains(t, live, "Script payloads are not a payment method")
	assert.True(t, strings.Contains(live, "not-feasible"))
	shot(tab2, "live-second-page")
	select {
	case msg := <-dialogs:
		t.Fatalf("a script ran in the page: dialog %q", msg)
	default:
	}
}
