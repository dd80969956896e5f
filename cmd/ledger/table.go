package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// tableWidth is the width human tables fit in: the terminal's when it is
// wider, and 100 columns otherwise.
func tableWidth(w io.Writer) int {
	width := 100
	if f, ok := file(w); ok && term.IsTerminal(int(f.Fd())) {
		if tw, _, err := term.GetSize(int(f.Fd())); err == nil && tw > width {
			width = tw
		}
	}
	return width
}

// table prints aligned columns; the last column is clipped so that every
// line fits in width. Cells are single-line.
type table struct {
	header []string
	rows   [][]string
	// limits caps the width of inner columns (by index); longer cells are
	// clipped with an ellipsis.
	limits map[int]int
	// widths, when set, are the column widths of the pages printed before
	// (a table printed page after page): columns only widen, and the
	// header is printed with the first page only.
	widths []int
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print(w io.Writer, width int) error {
	n := len(t.header)
	for _, r := range t.rows {
		for i, lim := range t.limits {
			if i < len(r) && i < n-1 {
				r[i] = clip(r[i], lim)
			}
		}
	}
	widths := make([]int, n)
	all := append([][]string{t.header}, t.rows...)
	if t.widths != nil {
		copy(widths, t.widths)
		all = all[1:]
	}
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i := 0; i < n-1 && i < len(r); i++ {
			widths[i] = max(widths[i], utf8.RuneCountInString(r[i]))
		}
	}
	used := 0
	for i := 0; i < n-1; i++ {
		used += widths[i] + 2
	}
	last := max(width-used, 12)
	var b strings.Builder
	for _, r := range all {
		b.Reset()
		for i := 0; i < n; i++ {
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			if i == n-1 {
				b.WriteString(clip(cell, last))
				break
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	t.widths = widths
	return nil
}
