package domain

import (
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

func TestPeriodLess(t *testing.T) {
	// Dated periods by start then length, undated releases last by name.
	in := []string{"release:b", "2027-Q2", "release:a", "release:x@2027-02-01", "2027-Q1", "2027-01"}
	want := []string{"2027-01", "2027-Q1", "release:x@2027-02-01", "2027-Q2", "release:a", "release:b"}
	got := append([]string(nil), in...)
	for i := range got {
		for j := i + 1; j < len(got); j++ {
			if PeriodLess(got[j], got[i]) {
				got[i], got[j] = got[j], got[i]
			}
		}
	}
	assert.Equal(t, want, got)
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
