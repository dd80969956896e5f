package projections

import (
	"time"

	"github.com/decisionledger/ledger/domain"
)

// periodBounds reads a roadmap period as the half-open UTC interval
// [start, end) with domain.ParsePeriod, the one period model of the
// ledger. ok is false for an undated release or an unreadable period.
func periodBounds(p string) (start, end time.Time, ok bool) {
	start, end, err := domain.PeriodBounds(p)
	return start, end, err == nil
}
