package domain

import (
	"strconv"
	"strings"
	"time"
)

// ReleasePrefix starts a roadmap period that is a named release or
// milestone rather than a span of the calendar: "release:3.4", or with the
// release's date "release:3.4@2026-06-30".
const ReleasePrefix = "release:"

// Period is a roadmap target read by ParsePeriod, the one period model every
// package uses. A calendar period (2027, 2027-H1, 2027-Q1, 2027-03,
// 2027-03-15) is the half-open UTC interval [Start, End). A named release
// is dated when it names its date: it then runs until the end of that day
// (delivered on the day is on time) and starts on it, for ordering; an
// undated release has no bounds, and Dated is false.
type Period struct {
	Name    string
	Release string
	Start   time.Time
	End     time.Time
	Dated   bool
}

// ParsePeriod reads a roadmap period. A release name is any text without
// control characters after ReleasePrefix, up to an optional "@YYYY-MM-DD".
// A dated period must start in a year from MinYear to MaxYear.
func ParsePeriod(p string) (Period, error) {
	pp, err := parsePeriod(p)
	if err != nil {
		return Period{}, err
	}
	if err := plausibleYear(pp); err != nil {
		return Period{}, err
	}
	return pp, nil
}

func parsePeriod(p string) (Period, error) {
	if rest, ok := strings.CutPrefix(p, ReleasePrefix); ok {
		name, date, hasDate := strings.Cut(rest, "@")
		if strings.TrimSpace(name) == "" {
			return Period{}, invalid("period", "period %q names no release: write it like release:3.4 or release:3.4@2026-06-30", p)
		}
		out := Period{Name: p, Release: name}
		if !hasDate {
			return out, nil
		}
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return Period{}, invalid("period", "period %q: the release date %q is not a date: write it as YYYY-MM-DD", p, date)
		}
		out.Start, out.End, out.Dated = d, d.AddDate(0, 0, 1), true
		return out, nil
	}
	start, end, ok := calendarBounds(p)
	if !ok {
		return Period{}, invalid("period", "period %q is not a period: write it like 2027-Q1, 2027-H1, 2027-03, 2027-03-15, 2027 or release:NAME[@YYYY-MM-DD]", p)
	}
	return Period{Name: p, Start: start, End: end, Dated: true}, nil
}

// plausibleYear refuses a dated period that starts outside the years a
// decision may be dated in (MinYear to MaxYear): 0000-Q1 reads as a
// quarter, but no roadmap targets it, and it sorts before every real one.
func plausibleYear(p Period) error {
	if y := p.Start.Year(); p.Dated && (y < MinYear || y > MaxYear) {
		return invalid("period", "period %q is in the year %04d: give a period from %d to %d, like 2027-Q1", p.Name, y, MinYear, MaxYear)
	}
	return nil
}

// checkPeriodYear refuses a period that reads as a date of an implausible
// year. A period it cannot read at all passes: imported milestones name
// releases freely (an "@" in a milestone's name reads as a bad date), and
// the import rules never required them to parse.
func checkPeriodYear(p string) error {
	pp, err := parsePeriod(p)
	if err != nil {
		return nil
	}
	return plausibleYear(pp)
}

// ReleasePeriod names the period of a release, with its date when due is
// not zero.
func ReleasePeriod(name string, due time.Time) string {
	if due.IsZero() {
		return ReleasePrefix + name
	}
	return ReleasePrefix + name + "@" + due.UTC().Format(time.DateOnly)
}

// PeriodLess orders periods: dated ones by start, then the shorter first,
// then by name; undated releases and unreadable periods last, by name.
func PeriodLess(a, b string) bool {
	pa, aerr := ParsePeriod(a)
	pb, berr := ParsePeriod(b)
	ad, bd := aerr == nil && pa.Dated, berr == nil && pb.Dated
	switch {
	case ad != bd:
		return ad
	case !ad:
		return a < b
	case !pa.Start.Equal(pb.Start):
		return pa.Start.Before(pb.Start)
	case !pa.End.Equal(pb.End):
		return pa.End.Before(pb.End)
	}
	return a < b
}

// calendarBounds reads 2027, 2027-H1, 2027-Q1, 2027-03 and 2027-03-15.
func calendarBounds(p string) (start, end time.Time, ok bool) {
	if len(p) < 4 {
		return start, end, false
	}
	year, err := strconv.Atoi(p[:4])
	if err != nil {
		return start, end, false
	}
	month, months := 1, 12
	switch rest := p[4:]; {
	case rest == "":
	case len(rest) == 3 && rest[:2] == "-Q" && rest[2] >= '1' && rest[2] <= '4':
		month, months = 1+3*int(rest[2]-'1'), 3
	case len(rest) == 3 && rest[:2] == "-H" && (rest[2] == '1' || rest[2] == '2'):
		month, months = 1+6*int(rest[2]-'1'), 6
	case len(rest) == 3 && rest[0] == '-':
		m, err := strconv.Atoi(rest[1:])
		if err != nil || m < 1 || m > 12 {
			return start, end, false
		}
		month, months = m, 1
	case len(rest) == 6 && rest[0] == '-':
		d, err := time.Parse(time.DateOnly, p)
		if err != nil {
			return start, end, false
		}
		return d, d.AddDate(0, 0, 1), true
	default:
		return start, end, false
	}
	start = time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, months, 0), true
}

// String is the period's name.
func (p Period) String() string { return p.Name }
