package domain

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePeriod(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		name, in   string
		start, end time.Time
		dated      bool
		release    string
	}{
		{"Quarter", "2027-Q1", d(2027, 1, 1), d(2027, 4, 1), true, ""},
		{"Half", "2027-H2", d(2027, 7, 1), d(2028, 1, 1), true, ""},
		{"Month", "2027-03", d(2027, 3, 1), d(2027, 4, 1), true, ""},
		{"Day", "2027-03-15", d(2027, 3, 15), d(2027, 3, 16), true, ""},
		{"Year", "2027", d(2027, 1, 1), d(2028, 1, 1), true, ""},
		{"Release", "release:mozilla1.9.1", time.Time{}, time.Time{}, false, "mozilla1.9.1"},
		{"DatedRelease", "release:3.4@2026-06-30", d(2026, 6, 30), d(2026, 7, 1), true, "3.4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePeriod(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.start, p.Start)
			assert.Equal(t, tc.end, p.End)
			assert.Equal(t, tc.dated, p.Dated)
			assert.Equal(t, tc.release, p.Release)
		})
	}
	for _, bad := range []string{"", "Q1", "2027-Q5", "2027-13", "release:", "release:3.4@soon", "2027-02-30"} {
		_, err := ParsePeriod(bad)
		assert.Error(t, err, bad)
	}
}

// TestParsePeriodRefusesImplausibleYears: every form of period is held to
// the years a decision may be dated in, and the message says which.
func TestParsePeriodRefusesImplausibleYears(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"ErrQuarterYear0", "0000-Q1"},
		{"ErrQuarterYear1", "0001-Q1"},
		{"ErrHalfYear1", "0001-H1"},
		{"ErrMonthBefore1970", "1969-12"},
		{"ErrDayYear0", "0000-03-15"},
		{"ErrYearAfter2999", "3000"},
		{"ErrReleaseDateYear0", "release:3.4@0000-06-30"},
		{"ErrReleaseDateYear9999", "release:3.4@9999-12-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePeriod(tc.in)
			require.Error(t, err)
			assert.Equal(t, KindInvalid, KindOf(err))
			assert.Equal(t, "period", FieldOf(err))
			assert.Contains(t, err.Error(), "give a period from 1970 to 2999")
		})
	}
	for _, ok := range []string{"1970-Q1", "2999-H2", "2999-12-31", "release:3.4@1970-01-01", "release:undated"} {
		_, err := ParsePeriod(ok)
		assert.NoError(t, err, ok)
	}
}

// TestOrderPeriods holds the one order of periods to its rules: dated
// periods by date, undated releases by version among them, named releases
// and unreadable periods last, and first appearance (the order given)
// breaking every tie.
func TestOrderPeriods(t *testing.T) {
	cases := []struct {
		name string
		seen []string // in the order of first appearance
		want []string
	}{
		{"CalendarByStartThenShorter",
			[]string{"2027", "2027-H1", "2027-Q2", "2027-Q1", "2027-01", "2026-Q4"},
			[]string{"2026-Q4", "2027-01", "2027-Q1", "2027-H1", "2027", "2027-Q2"}},
		{"NumbersAsNumbers",
			[]string{"release:1.6.10", "release:1.6.2", "release:1.10", "release:1.9", "release:1.6.9"},
			[]string{"release:1.6.2", "release:1.6.9", "release:1.6.10", "release:1.9", "release:1.10"}},
		{"ShorterFirstButPreReleasesBefore",
			[]string{"release:1.6.0.1", "release:1.6.0", "release:1.6.0 M2", "release:1.6.0 M1", "release:1.6", "release:1.6.0-rc1"},
			[]string{"release:1.6", "release:1.6.0 M1", "release:1.6.0 M2", "release:1.6.0-rc1", "release:1.6.0", "release:1.6.0.1"}},
		{"NamePrefixLeftOut",
			// Mozilla renamed its milestones: Firefox 37 follows mozilla36,
			// and mozilla1.9.3a1 is an alpha of 1.9.3.
			[]string{"release:mozilla34", "release:Firefox 37", "release:mozilla36", "release:mozilla1.9.3a1", "release:v2"},
			[]string{"release:mozilla1.9.3a1", "release:v2", "release:mozilla34", "release:mozilla36", "release:Firefox 37"}},
		{"EqualVersionsByFirstAppearance",
			[]string{"release:mozilla57", "release:Firefox 57", "release:1.06", "release:1.6"},
			[]string{"release:1.06", "release:1.6", "release:mozilla57", "release:Firefox 57"}},
		{"DatedByDateNotVersion",
			// A maintenance release dated after the next minor one stays
			// where its date puts it.
			[]string{"release:1.7.0@2027-03-01", "release:1.6.5@2027-04-01", "release:1.6.4@2027-01-15"},
			[]string{"release:1.6.4@2027-01-15", "release:1.7.0@2027-03-01", "release:1.6.5@2027-04-01"}},
		{"UndatedAfterLastLowerDated",
			[]string{"release:2.0", "release:1.6.6", "release:1.7.0@2027-03-01", "release:1.6.5@2027-04-01", "release:2.1@2027-09-30", "release:0.9"},
			[]string{"release:0.9", "release:1.7.0@2027-03-01", "release:1.6.5@2027-04-01", "release:1.6.6", "release:2.0", "release:2.1@2027-09-30"}},
		{"UndatedBesideItsDatedSpelling",
			[]string{"release:2.0@2027-06-30", "release:2.0", "release:1.9@2027-03-31"},
			[]string{"release:1.9@2027-03-31", "release:2.0", "release:2.0@2027-06-30"}},
		{"CalendarAndReleasesInterleaveByDate",
			[]string{"2027-Q2", "release:x@2027-02-01", "2027-Q1", "2027-01"},
			[]string{"2027-01", "2027-Q1", "release:x@2027-02-01", "2027-Q2"}},
		{"UndatedVersionsAfterCalendarWhenNoReleaseIsDated",
			[]string{"release:1.10", "2027-Q1", "release:1.2", "2026-Q4"},
			[]string{"2026-Q4", "2027-Q1", "release:1.2", "release:1.10"}},
		{"UndatedVersionsBeforeTheFirstHigherDatedRelease",
			[]string{"2026-Q4", "release:3.0@2027-06-30", "release:2.5", "2027-Q3"},
			[]string{"2026-Q4", "release:2.5", "release:3.0@2027-06-30", "2027-Q3"}},
		{"NamedReleasesThenUnreadableByFirstAppearance",
			[]string{"someday", "release:SaaS", "release:1.0", "release:future", "2027-Q1", "release:backlog", "later"},
			[]string{"2027-Q1", "release:1.0", "release:SaaS", "release:future", "release:backlog", "someday", "later"}},
		{"DuplicatesOnce",
			[]string{"release:b", "2027-Q1", "release:b", "release:a"},
			[]string{"2027-Q1", "release:b", "release:a"}},
		{"Empty", nil, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, OrderPeriods(tc.seen))
		})
	}
}

// TestOrderPeriodsIsAnOrder: whatever order the periods first appeared
// in, those the rules tell apart come out the same; only ties move.
func TestOrderPeriodsIsAnOrder(t *testing.T) {
	ps := []string{"release:1.6.10", "release:1.6.2", "release:2.0@2027-06-30", "2027-Q1", "release:1.6.0 M1",
		"release:mozilla1.9.3a1", "release:2.1", "release:1.7.0@2027-03-01", "2026-H2", "release:3"}
	want := OrderPeriods(ps)
	for i := range ps {
		rot := append(append([]string{}, ps[i:]...), ps[:i]...)
		assert.Equal(t, want, OrderPeriods(rot), "rotated by %d", i)
		slices.Reverse(rot)
		assert.Equal(t, want, OrderPeriods(rot), "rotated by %d and reversed", i)
	}
}

func TestPeriodKind(t *testing.T) {
	for in, want := range map[string]string{
		"2027": "year", "2027-H1": "half", "2027-Q1": "quarter", "2027-03": "month", "2027-03-15": "day",
		"release:2.0": "release", "release:2.0@2027-06-30": "release", "someday": "period",
	} {
		assert.Equal(t, want, PeriodKind(in), in)
	}
}

func TestPeriodLabel(t *testing.T) {
	for in, want := range map[string]string{
		"2027-Q1":                      "2027-Q1",
		"release:1.6.0 M1":             "1.6.0 M1",
		"release:mozilla34@2014-12-01": "mozilla34, 2014-12-01",
		"not a period":                 "not a period",
	} {
		assert.Equal(t, want, PeriodLabel(in), in)
	}
}

func TestSlipInsideAQuarter(t *testing.T) {
	// Two day periods of one quarter are two periods: moving between them
	// is a reschedule the roadmap can see, though the quarter is the same.
	a, err := ParsePeriod("2027-02-01")
	require.NoError(t, err)
	b, err := ParsePeriod("2027-03-15")
	require.NoError(t, err)
	assert.Equal(t, PeriodOf(a.Start), PeriodOf(b.Start))
	assert.True(t, a.End.Before(b.End))
}
