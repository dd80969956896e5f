package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlanARelease: the PM plans and reschedules for a release as for a
// quarter, the roadmap shows releases in version order, and a period the
// model cannot read is refused with the forms it takes.
func TestPlanARelease(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	c.ok("roadmap", "plan", "R1", "--title", "T", "--period", "release:2.0@2027-06-30", "--why", "W", "--as", "pam")
	c.ok("roadmap", "plan", "R2", "--title", "Fixes", "--period", "release:1.6.10", "--why", "W", "--as", "pam")
	c.ok("roadmap", "plan", "R3", "--title", "More fixes", "--period", "release:1.6.2", "--why", "W", "--as", "pam")
	c.ok("roadmap", "plan", "R4", "--title", "A quarter", "--period", "2027-Q1", "--why", "W", "--as", "pam")
	c.ok("roadmap", "reschedule", "R3", "--period", "release:1.6.3", "--why", "Slipped a patch", "--as", "pam")

	var v struct {
		Periods []struct {
			Period string `json:"period"`
			Items  []struct {
				ID     string `json:"id"`
				Period string `json:"period"`
			} `json:"items"`
		} `json:"periods"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("show", "roadmap", "--json")), &v))
	var names []string
	for _, p := range v.Periods {
		names = append(names, p.Period)
	}
	assert.Equal(t, []string{"2027-Q1", "release:1.6.3", "release:1.6.10", "release:2.0@2027-06-30"}, names,
		"versions as numbers, before the first dated release with a higher one")
	assert.Equal(t, "R1", v.Periods[3].Items[0].ID)

	table := c.ok("show", "roadmap")
	assert.Less(t, strings.Index(table, "release:1.6.3"), strings.Index(table, "release:1.6.10"), table)

	for _, tc := range []struct{ name, period, msg string }{
		{"ErrQuarter", "2027-Q5", `period "2027-Q5" is not a period: write it like 2027-Q1, 2027-H1, 2027-03, 2027-03-15, 2027 or release:NAME[@YYYY-MM-DD] (--period)`},
		{"ErrReleaseDate", "release:2.0@June", `the release date "June" is not a date: write it as YYYY-MM-DD (--period)`},
		{"ErrReleaseName", "release:", "names no release: write it like release:3.4 or release:3.4@2026-06-30 (--period)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := c.run("roadmap", "plan", "R9", "--title", "T", "--period", tc.period, "--why", "W", "--as", "pam")
			assert.Equal(t, exitRefused, o.code)
			require.Error(t, o.err)
			assert.Contains(t, o.err.Error(), tc.msg)
		})
	}

	help := c.ok("roadmap", "plan", "--help")
	assert.Contains(t, help, "release:NAME@YYYY-MM-DD")
	assert.Contains(t, help, "--period release:2.0@2027-06-30")
}

// TestShowSayDo: say/do per period, each release against its own plan; a
// release nothing was planned for has no ratio.
func TestShowSayDo(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	c.ok("roadmap", "plan", "R1", "--title", "T", "--period", "release:1.0", "--why", "W", "--as", "pam", "--at", "2026-01-07")
	c.ok("item", "refine", "A", "--roadmap", "R1", "--why", "For 1.0", "--as", "olga", "--at", "2026-01-07")
	c.ok("item", "refine", "B", "--roadmap", "R1", "--why", "For 1.0", "--as", "olga", "--at", "2026-01-07")
	c.ok("item", "deliver", "A", "--as", "tom", "--at", "2026-01-20")
	c.ok("roadmap", "plan", "R2", "--title", "Named as it shipped", "--period", "release:1.1", "--why", "W", "--as", "pam", "--at", "2026-02-01")
	c.ok("item", "add", "C", "--title", "Hotfix", "--roadmap", "R2", "--as", "olga", "--at", "2026-02-01")
	c.ok("item", "deliver", "C", "--as", "tom", "--at", "2026-02-01")

	out := c.ok("show", "saydo")
	lines := strings.Split(out, "\n")
	require.GreaterOrEqual(t, len(lines), 3, out)
	assert.Regexp(t, `^release:1\.0\s+50%\s+2\s+1\s+0\s+1\s+0\s+2026-01-19$`, lines[1], "A shipped in 1.0, B is still open")
	assert.Regexp(t, `^release:1\.1\s+-\s+0\s+0\s+0\s+0\s+1\s+2026-01-31$`, lines[2], "C was planned as it shipped")
	assert.Contains(t, out, "nothing was planned for the period then")
}
