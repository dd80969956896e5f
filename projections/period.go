package projections

import (
	"strconv"
	"time"
)

// periodBounds reads a roadmap period (2027-Q1, 2027-H2, 2027-03 or 2027)
// as the half-open UTC interval [start, end). ok is false for any other
// form, which then sorts by name after every period it can read.
func periodBounds(p string) (start, end time.Time, ok bool) {
	if len(p) < 4 {
		return start, end, false
	}
	year, err := strconv.Atoi(p[:4])
	if err != nil || year < 1 {
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
	default:
		return start, end, false
	}
	start = time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, months, 0), true
}

// periodLess orders periods by start, then the shorter first, then by
// name; periods it cannot read come last.
func periodLess(a, b string) bool {
	as, ae, aok := periodBounds(a)
	bs, be, bok := periodBounds(b)
	switch {
	case aok != bok:
		return aok
	case !aok:
		return a < b
	case !as.Equal(bs):
		return as.Before(bs)
	case !ae.Equal(be):
		return ae.Before(be)
	}
	return a < b
}
