package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type compareOut struct {
	Periods []struct {
		Period string `json:"period"`
		Items  []struct {
			ID        string `json:"id"`
			Outcome   string `json:"outcome"`
			Period    string `json:"period"`
			PeriodNow string `json:"periodNow"`
			Causes    []struct {
				Type             string `json:"type"`
				Effect           string `json:"effect"`
				OutsideAuthority bool   `json:"outsideAuthority"`
				Source           *struct {
					System string `json:"system"`
					Key    string `json:"key"`
				} `json:"source"`
			} `json:"causes"`
		} `json:"items"`
	} `json:"periods"`
}

// rawBug is a Bugzilla bug as the raw file has it, read here without the
// importer, so that the expectations below are worked out on their own.
type rawBug struct {
	ID              int    `json:"id"`
	CreationTime    string `json:"creation_time"`
	TargetMilestone string `json:"target_milestone"`
	History         []struct {
		When    string `json:"when"`
		Changes []struct {
			Field   string `json:"field_name"`
			Removed string `json:"removed"`
			Added   string `json:"added"`
		} `json:"changes"`
	} `json:"history"`
}

func rawBugs(t *testing.T, path string) []rawBug {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []rawBug
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var b rawBug
		require.NoError(t, json.Unmarshal([]byte(l), &b))
		out = append(out, b)
	}
	return out
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

// TestImportCompareItemsMatchMilestones compares the Bugzilla fixture's
// plan of 12 August 2019 with what was delivered by the end of 2019 and
// checks each outcome against the raw file: a bug is planned when its
// target milestone at T0 was set; it is on time when FIXED by the
// milestone's date in the map file (or, for a milestone without a date,
// in the same milestone), and every slip the comparison cites is a change
// from one milestone to another in the file.
func TestImportCompareItemsMatchMilestones(t *testing.T) {
	c := newCLI(t)
	c.importJSON("bugzilla", mozilla, "--map", bzMap, "-p", "firefox")
	var cmp compareOut
	require.NoError(t, json.Unmarshal([]byte(c.ok("compare", "-p", "firefox", "--planned-as-of", "2019-08-12",
		"--delivered-as-of", "2019-12-31", "--level", "item", "--json")), &cmp))

	t0 := time.Date(2019, 8, 13, 0, 0, 0, 0, time.UTC)
	t1 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var m struct {
		Milestones map[string]string `json:"milestones"`
	}
	raw, err := os.ReadFile(bzMap)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &m))

	wantOutcome := map[string]string{}
	wantSlips := 0
	for _, b := range rawBugs(t, mozilla) {
		if !at(t, b.CreationTime).Before(t0) {
			continue
		}
		// The milestone at T0 and at the fix, from the raw history.
		ms := b.TargetMilestone
		for _, h := range b.History {
			for _, ch := range h.Changes {
				if ch.Field == "target_milestone" {
					ms = ch.Removed
					goto found
				}
			}
		}
	found:
		var fixed *time.Time
		msFix := ""
		for _, h := range b.History {
			when := at(t, h.When)
			for _, ch := range h.Changes {
				if ch.Field == "target_milestone" {
					if when.Before(t0) {
						ms = ch.Added
					} else if when.Before(t1) && ch.Removed != "---" && ch.Added != "---" {
						wantSlips++
					}
					if fixed == nil {
						msFix = ch.Added
					}
				}
			}
			for _, ch := range h.Changes {
				if ch.Field == "resolution" && ch.Added == "FIXED" && fixed == nil {
					fixed = &when
				}
			}
		}
		if msFix == "" {
			msFix = ms
		}
		id := "BZ-" + itoa(b.ID)
		switch {
		case ms == "---" || ms == "":
			if fixed != nil && !fixed.Before(t0) && fixed.Before(t1) {
				wantOutcome[id] = "unplanned"
			}
		case fixed != nil && fixed.Before(t1):
			wantOutcome[id] = "on-time"
			if d, ok := m.Milestones[ms]; ok {
				due, err := time.Parse(time.DateOnly, d)
				require.NoError(t, err)
				if !fixed.Before(due.AddDate(0, 0, 1)) {
					wantOutcome[id] = "late"
				}
			} else if msFix != ms {
				wantOutcome[id] = "late"
			}
		default:
			wantOutcome[id] = "open"
		}
	}

	got := map[string]string{}
	slips := 0
	for _, p := range cmp.Periods {
		for _, it := range p.Items {
			got[it.ID] = it.Outcome
			for _, cause := range it.Causes {
				if strings.HasPrefix(cause.Effect, "moved from ") {
					slips++
				}
				require.NotNil(t, cause.Source, "a cause of %s cites its source", it.ID)
			}
		}
	}
	assert.Equal(t, wantOutcome, got)
	assert.Equal(t, wantSlips, slips, "slips cited = milestone-to-milestone changes in the file between T0 and T1")
	outcomes := map[string]int{}
	for _, o := range got {
		outcomes[o]++
	}
	assert.Equal(t, map[string]int{"on-time": 29, "unplanned": 7}, outcomes,
		"Mozilla sets the milestone as a fix lands: what was planned by T0 had shipped, what shipped after was not planned")
}

// TestImportCompareSlips imports the hand-written lifecycle export, whose
// bug 100 is planned for 1.0 and moved to 1.1, then 1.2, then off the
// roadmap and back to 1.2 as it is fixed, reopened and fixed again.
func TestImportCompareSlips(t *testing.T) {
	c := newCLI(t)
	sum := c.importJSON("bugzilla", lifecycle, "--map", bzMap, "-p", "shop")
	assert.Equal(t, 2, sum.Slips)
	var cmp compareOut
	require.NoError(t, json.Unmarshal([]byte(c.ok("compare", "-p", "shop", "--planned-as-of", "2021-01-20",
		"--delivered-as-of", "2021-04-01", "--level", "item", "--json")), &cmp))
	require.Len(t, cmp.Periods, 1)
	require.Len(t, cmp.Periods[0].Items, 1)
	it := cmp.Periods[0].Items[0]
	assert.Equal(t, "BZ-100", it.ID)
	assert.Equal(t, "release:1.0", it.Period)
	assert.Equal(t, "release:1.2", it.PeriodNow)
	assert.Equal(t, "late", it.Outcome, "delivered for another milestone than planned")
	var effects []string
	for _, cause := range it.Causes {
		effects = append(effects, cause.Effect)
		require.NotNil(t, cause.Source)
		assert.Equal(t, "100", cause.Source.Key)
	}
	assert.Equal(t, []string{"moved from M-1-0 to M-1-1", "moved from M-1-1 to M-1-2", "taken off M-1-2", "moved to M-1-2"}, effects)

	// A release is a period like any other: compare keeps only it.
	assert.Contains(t, c.ok("compare", "-p", "shop", "--planned-as-of", "2021-01-20", "--delivered-as-of", "2021-04-01",
		"--level", "item", "--period", "release:1.0"), "BZ-100")

	var why struct {
		Decisions []struct {
			Type             string `json:"type"`
			OutsideAuthority bool   `json:"outsideAuthority"`
		} `json:"decisions"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("why", "BZ-100", "-p", "shop", "--json")), &why))
	var types []string
	for _, d := range why.Decisions {
		types = append(types, d.Type)
	}
	assert.Contains(t, types, "WorkReopened")
	assert.Contains(t, c.ok("why", "BZ-101-req2", "-p", "shop"), "re-submits BZ-101-req")
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestSayDoPerReleaseMatchesScript compares, for the fixtures with
// releases, compare's figures per release with those the fixture's
// script works out from the raw export at the same T0 and T1
// (testdata/outcomes.json "releases"): planned, shipped in it, shipped
// later or elsewhere, never; a release nothing was planned for has no
// say/do.
func TestSayDoPerReleaseMatchesScript(t *testing.T) {
	for _, tc := range []struct {
		format, export, mapFile, dir, product string
	}{
		{"bugzilla", mozilla, bzMap, bzData, "firefox"},
		{"jira", jiraCloud, jiraMap, jiraData, "ee"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(tc.dir, "outcomes.json"))
			require.NoError(t, err)
			type figures struct {
				Planned            int `json:"planned"`
				DeliveredInIt      int `json:"deliveredInIt"`
				DeliveredElsewhere int `json:"deliveredElsewhere"`
				NotDelivered       int `json:"notDelivered"`
			}
			var want struct {
				T0       time.Time          `json:"t0"`
				T1       time.Time          `json:"t1"`
				Releases map[string]figures `json:"releases"`
			}
			require.NoError(t, json.Unmarshal(raw, &want))
			require.NotEmpty(t, want.Releases)

			c := newCLI(t)
			c.importJSON(tc.format, tc.export, "--map", tc.mapFile, "-p", tc.product)
			var got struct {
				Periods []struct {
					Period                               string `json:"period"`
					Planned, OnTime, Late, Dropped, Open int
					SayDo                                *float64 `json:"sayDo"`
				} `json:"periods"`
			}
			out := c.ok("compare", "-p", tc.product, "--planned-as-of", want.T0.Format("2006-01-02"),
				"--delivered-as-of", want.T1.Format("2006-01-02"), "--level", "item", "--json")
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			have := map[string]figures{}
			for _, p := range got.Periods {
				name, ok := strings.CutPrefix(p.Period, "release:")
				if !ok || p.Planned == 0 {
					assert.Nil(t, p.SayDo, "%s: nothing planned is no 0%% period", p.Period)
					continue
				}
				name, _, _ = strings.Cut(name, "@")
				have[name] = figures{p.Planned, p.OnTime, p.Late, p.Dropped + p.Open}
				require.NotNil(t, p.SayDo)
				assert.InDelta(t, float64(p.OnTime)/float64(p.Planned), *p.SayDo, 1e-9)
			}
			assert.Equal(t, want.Releases, have)
		})
	}
}
