package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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

// OrderPeriods returns periods in the ledger's one order of periods, the
// order every view and edge shows them in. seen lists them in the order
// they first appeared in the product's history (a period listed twice
// keeps its first place and is returned once), and that order breaks the
// ties the rules below leave:
//
//  1. Dated periods (calendar periods and dated releases) by start, then
//     the shorter first (2027-01, then 2027-Q1, then 2027-H1), then by
//     version.
//  2. An undated release whose name holds a number is a version: it goes
//     right after the last dated release with a lower version (the
//     undated release:1.7 after release:1.6@2027-03-31), or before the
//     first versioned dated release when none is lower, or after every
//     dated period when no dated release has a version. Undated
//     releases in the same place go by version.
//  3. Then undated releases without a number (release:SaaS,
//     release:future), and last periods ParsePeriod cannot read, both by
//     first appearance.
//
// Versions compare part by part: the text before the first digit is a
// name and is left out (mozilla34 and "Firefox 37" are versions 34 and
// 37), numbers compare as numbers (1.6.2 before 1.6.10), text as text
// ignoring case, and a version that stops where another goes on with a
// number comes first (1.6 before 1.6.1) while one that goes on with text
// is a pre-release and comes first (1.6.0 M1 and 1.9.3a1 before 1.6.0 and
// 1.9.3).
func OrderPeriods(seen []string) []string {
	type entry struct {
		name    string
		appear  int
		p       Period
		version []versionPart
		slot    int
	}
	var dated, versioned, named, unreadable []*entry
	index := map[string]bool{}
	for i, name := range seen {
		if index[name] {
			continue
		}
		index[name] = true
		e := &entry{name: name, appear: i}
		p, err := ParsePeriod(name)
		switch {
		case err != nil:
			unreadable = append(unreadable, e)
			continue
		case p.Release != "":
			e.version = parseVersion(p.Release)
		}
		e.p = p
		switch {
		case p.Dated:
			dated = append(dated, e)
		case e.version != nil:
			versioned = append(versioned, e)
		default:
			named = append(named, e)
		}
	}
	byVersion := func(a, b *entry) int {
		if c := compareVersions(a.version, b.version); c != 0 {
			return c
		}
		return a.appear - b.appear
	}
	slices.SortFunc(dated, func(a, b *entry) int {
		if c := a.p.Start.Compare(b.p.Start); c != 0 {
			return c
		}
		if c := a.p.End.Compare(b.p.End); c != 0 {
			return c
		}
		return byVersion(a, b)
	})
	// Each undated version's slot is the index of the dated period it
	// goes before (len(dated): after them all).
	first := -1
	for i, d := range dated {
		if d.version != nil {
			first = i
			break
		}
	}
	for _, v := range versioned {
		v.slot = len(dated)
		if first < 0 {
			continue
		}
		v.slot = first
		for i := len(dated) - 1; i >= first; i-- {
			if dated[i].version != nil && compareVersions(dated[i].version, v.version) < 0 {
				v.slot = i + 1
				break
			}
		}
	}
	slices.SortFunc(versioned, func(a, b *entry) int {
		if a.slot != b.slot {
			return a.slot - b.slot
		}
		return byVersion(a, b)
	})
	out := make([]string, 0, len(index))
	j := 0
	for i := 0; i <= len(dated); i++ {
		for ; j < len(versioned) && versioned[j].slot == i; j++ {
			out = append(out, versioned[j].name)
		}
		if i < len(dated) {
			out = append(out, dated[i].name)
		}
	}
	for _, rest := range [][]*entry{named, unreadable} {
		for _, e := range rest { // already in the order of first appearance
			out = append(out, e.name)
		}
	}
	return out
}

// versionPart is one part of a version: a number (its decimal digits,
// without leading zeros) or a run of letters, lower-cased.
type versionPart struct {
	text   string
	number bool
}

// parseVersion reads the version in a release name: nil when the name
// holds no digit.
func parseVersion(name string) []versionPart {
	i := strings.IndexFunc(name, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return nil
	}
	var out []versionPart
	s := name[i:]
	for len(s) > 0 {
		c := s[0]
		switch {
		case c >= '0' && c <= '9':
			n := 1
			for n < len(s) && s[n] >= '0' && s[n] <= '9' {
				n++
			}
			digits := strings.TrimLeft(s[:n], "0")
			if digits == "" {
				digits = "0"
			}
			out = append(out, versionPart{text: digits, number: true})
			s = s[n:]
		case unicode.IsLetter(rune(c)) || c >= utf8.RuneSelf:
			n := 0
			for n < len(s) {
				r, size := utf8.DecodeRuneInString(s[n:])
				if !unicode.IsLetter(r) {
					break
				}
				n += size
			}
			if n == 0 { // a non-letter beyond ASCII: a separator
				_, size := utf8.DecodeRuneInString(s)
				s = s[size:]
				continue
			}
			out = append(out, versionPart{text: strings.ToLower(s[:n])})
			s = s[n:]
		default: // '.', '-', ' ', '_', '+': separators
			s = s[1:]
		}
	}
	return out
}

// compareVersions orders two versions part by part (see OrderPeriods): at
// each place a text part comes before the end of a version, which comes
// before a number.
func compareVersions(a, b []versionPart) int {
	rank := func(v []versionPart, i int) int {
		switch {
		case i >= len(v):
			return 1
		case v[i].number:
			return 2
		}
		return 0
	}
	for i := 0; ; i++ {
		ra, rb := rank(a, i), rank(b, i)
		if ra != rb {
			return ra - rb
		}
		switch ra {
		case 1:
			return 0
		case 2:
			x, y := a[i].text, b[i].text
			if len(x) != len(y) {
				return len(x) - len(y)
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		default:
			if c := strings.Compare(a[i].text, b[i].text); c != 0 {
				return c
			}
		}
	}
}

// Label is how a person reads the period: a calendar period as written,
// a release by its name, with its date when it has one ("3.4, 2026-06-30").
func (p Period) Label() string {
	switch {
	case p.Release == "":
		return p.Name
	case p.Dated:
		return p.Release + ", " + p.Start.Format(time.DateOnly)
	}
	return p.Release
}

// Kind names what the period is: "release", or the span of a calendar
// period: "year", "half", "quarter", "month" or "day".
func (p Period) Kind() string {
	switch {
	case p.Release != "":
		return "release"
	case len(p.Name) == 4:
		return "year"
	case strings.Contains(p.Name, "-H"):
		return "half"
	case strings.Contains(p.Name, "-Q"):
		return "quarter"
	case len(p.Name) == 7:
		return "month"
	}
	return "day"
}

// PeriodKind is Period.Kind for a period as stored: "period" for one
// ParsePeriod cannot read.
func PeriodKind(p string) string {
	pp, err := ParsePeriod(p)
	if err != nil {
		return "period"
	}
	return pp.Kind()
}

// PeriodLabel is Period.Label for a period as stored: one ParsePeriod
// cannot read is shown as it is.
func PeriodLabel(p string) string {
	pp, err := ParsePeriod(p)
	if err != nil {
		return p
	}
	return pp.Label()
}

// IsRelease reports whether p names a release or milestone rather than a
// span of the calendar.
func IsRelease(p string) bool { return strings.HasPrefix(p, ReleasePrefix) }

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
