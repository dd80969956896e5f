package httpapi

import "fmt"

// chart is the say/do bar chart, drawn on the server as SVG: each bar a
// period's ratio of items delivered on time to items planned. The
// template gives it a title, axis labels and a table as its text
// equivalent.
type chart struct {
	Bars   []bar
	Width  int
	Height int
	Ticks  []tick
	// The plot area.
	Left, Top, Bottom, PlotW, PlotH int
}

type bar struct {
	Label  string
	Value  *float64
	Detail string
	// Geometry, set by layout.
	X, Y, W, H  int
	LabelX      int
	ValueText   string
	ValueY      int
	NoPlan      bool
	NoPlanLabel string
}

type tick struct {
	Y     int
	Label string
}

func (c *chart) layout() {
	c.Width, c.Height = 640, 280
	c.Left, c.Top, c.Bottom = 64, 20, 230
	c.PlotH = c.Bottom - c.Top
	c.PlotW = c.Width - c.Left - 20
	for i := 0; i <= 4; i++ {
		c.Ticks = append(c.Ticks, tick{Y: c.Bottom - c.PlotH*i/4, Label: fmt.Sprintf("%d%%", 25*i)})
	}
	if len(c.Bars) == 0 {
		return
	}
	slot := c.PlotW / len(c.Bars)
	w := min(slot*6/10, 90)
	for i := range c.Bars {
		b := &c.Bars[i]
		b.W = w
		b.X = c.Left + slot*i + (slot-w)/2
		b.LabelX = b.X + w/2
		if b.Value == nil {
			b.NoPlan, b.ValueText, b.ValueY = true, "nothing planned", c.Bottom-6
			continue
		}
		b.H = int(float64(c.PlotH) * min(max(*b.Value, 0), 1))
		b.Y = c.Bottom - b.H
		b.ValueText = fmt.Sprintf("%.0f%%", *b.Value*100)
		b.ValueY = b.Y - 6
	}
}
