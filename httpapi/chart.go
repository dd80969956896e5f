package httpapi

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// chart is the say/do chart, drawn on the server as SVG: one row per
// period in the period order, its bar the items planned for it split
// into on time (for a release, shipped in it), late and never, so that
// the green share is the say/do ratio. Rows grow downwards, so fifty
// releases stay readable. The template gives it a title, a description
// and a table as its text equivalent.
type chart struct {
	Rows []row
	// What the periods are: "quarter", "release" or "period".
	Noun string
	// Title is Noun, capitalised, for a column head.
	Title string
	// Summary sums the rows up in a sentence.
	Summary string
	// Geometry, set by layout.
	Width, Height        int
	Left, Top, PlotW     int
	Bottom, ValueX, RowH int
	Ticks                []tick
}

type row struct {
	Period, Label string
	Release       bool
	Level         string
	PlannedAsOf   string
	P             query.SayDoPeriod
	Text          string // the figures in words, beside the bar
	Detail        string // and in full, for the tooltip and the table
	// Geometry, set by layout.
	Y, TextY, BarH int
	TextX          int
	Segs           []seg
	Link           string
}

type seg struct {
	Class   string
	X, W    int
	Count   int
	Meaning string
}

type tick struct {
	X     int
	Label string
}

// newChart lays out the say/do of every period begun.
func newChart(s *query.SayDo) chart {
	c := chart{Noun: "period"}
	kinds := map[string]bool{}
	for _, p := range s.Periods {
		r := row{Period: p.Period, Label: domain.PeriodLabel(p.Period), Release: domain.IsRelease(p.Period),
			Level: string(p.Level), PlannedAsOf: p.PlannedAsOf.UTC().Format(time.DateOnly), P: p}
		kinds[domain.PeriodKind(p.Period)] = true
		r.Text, r.Detail = sayDoWords(p, r.Release)
		c.Rows = append(c.Rows, r)
	}
	if len(kinds) == 1 { // all quarters, all releases...: say which
		for k := range kinds {
			c.Noun = k
		}
	}
	c.Title = strings.ToUpper(c.Noun[:1]) + c.Noun[1:]
	c.Summary = c.summary()
	c.layout()
	return c
}

// summary is what the rows come to: "17 releases from mozilla1.9.3a1 to
// mozilla72: nothing planned ahead of any; 33 items delivered unplanned."
func (c *chart) summary() string {
	n := len(c.Rows)
	if n == 0 {
		return ""
	}
	var planned, onTime, unplanned, none int
	for _, r := range c.Rows {
		planned += r.P.Planned
		onTime += r.P.OnTime
		unplanned += r.P.Unplanned
		if r.P.SayDo == nil {
			none++
		}
	}
	noun := c.Noun + "s"
	if n == 1 {
		noun = c.Noun
	}
	s := fmt.Sprintf("%d %s", n, noun)
	if n > 1 {
		s += fmt.Sprintf(" from %s to %s", c.Rows[0].Label, c.Rows[n-1].Label)
	}
	onTimeWord := "on time"
	if c.Noun == "release" {
		onTimeWord = "shipped in their release"
	}
	switch {
	case planned == 0:
		s += ": nothing was planned ahead of any"
	default:
		s += fmt.Sprintf(": %d of %d planned %s (%.0f%%)", onTime, planned, onTimeWord, 100*float64(onTime)/float64(planned))
		if none > 0 {
			s += fmt.Sprintf("; nothing was planned ahead of %d", none)
		}
	}
	if unplanned > 0 {
		s += fmt.Sprintf("; %d delivered without being planned ahead", unplanned)
	}
	return s + "."
}

// sayDoWords says a period's figures: short beside its bar, and in full.
func sayDoWords(p query.SayDoPeriod, release bool) (short, full string) {
	unit := "roadmap item"
	if string(p.Level) == query.LevelItem {
		unit = "item"
	}
	if p.Planned != 1 {
		unit += "s"
	}
	extra := ""
	if p.Unplanned > 0 {
		extra = fmt.Sprintf(", +%d unplanned", p.Unplanned)
	}
	never := p.Dropped + p.Open
	if p.SayDo == nil {
		short = "nothing planned ahead"
		if p.Unplanned > 0 {
			short = fmt.Sprintf("nothing planned ahead; %d delivered unplanned", p.Unplanned)
		}
		return short, short + fmt.Sprintf(" (plan of %s)", p.PlannedAsOf.UTC().Format(time.DateOnly))
	}
	short = fmt.Sprintf("%.0f%% · %d of %d%s", *p.SayDo*100, p.OnTime, p.Planned, extra)
	onTime, late := "on time", "late"
	if release {
		onTime, late = "shipped in it", "later"
	}
	full = fmt.Sprintf("of %d %s planned by %s: %d %s, %d %s, %d never (%d dropped, %d open",
		p.Planned, unit, p.PlannedAsOf.UTC().Format(time.DateOnly), p.OnTime, onTime, p.Late, late, never, p.Dropped, p.Open)
	if p.Overdue > 0 {
		full += fmt.Sprintf(", %d overdue", p.Overdue)
	}
	full += ")"
	if p.Unplanned > 0 {
		full += fmt.Sprintf("; %d delivered unplanned", p.Unplanned)
	}
	return short, full
}

func (c *chart) layout() {
	c.RowH = 24
	longest := 0
	for _, r := range c.Rows {
		longest = max(longest, utf8.RuneCountInString(r.Label))
	}
	c.Left = min(max(longest*7+16, 80), 240)
	c.PlotW = 360
	c.ValueX = c.Left + c.PlotW + 12
	c.Width = c.ValueX + 200
	c.Top = 24
	c.Bottom = c.Top + c.RowH*len(c.Rows)
	c.Height = c.Bottom + 40
	for i := 0; i <= 4; i++ {
		c.Ticks = append(c.Ticks, tick{X: c.Left + c.PlotW*i/4, Label: fmt.Sprintf("%d%%", 25*i)})
	}
	for i := range c.Rows {
		r := &c.Rows[i]
		r.Y = c.Top + c.RowH*i + 4
		r.BarH = c.RowH - 8
		r.TextY = r.Y + r.BarH - 4
		r.TextX = c.ValueX
		p := r.P
		if p.Planned == 0 {
			r.TextX = c.Left + 8 // no bar: the words take its place
			continue
		}
		onTime, late := "on time", "late"
		if r.Release {
			onTime, late = "shipped in it", "later"
		}
		x := c.Left
		for _, s := range []seg{{"seg-ontime", 0, 0, p.OnTime, onTime}, {"seg-late", 0, 0, p.Late, late},
			{"seg-never", 0, 0, p.Dropped + p.Open, "never"}} {
			if s.Count == 0 {
				continue
			}
			s.X, s.W = x, c.PlotW*s.Count/p.Planned
			x += s.W
			r.Segs = append(r.Segs, s)
		}
		if n := len(r.Segs); n > 0 { // rounding: the last segment ends at 100%
			r.Segs[n-1].W += c.Left + c.PlotW - x
		}
	}
}
