package importer

import (
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Summary describes what an export means for the ledger under a map: the
// figures are those of the whole export, whether or not an earlier import
// recorded them already (Written and Already say what this run did).
type Summary struct {
	// Events is every event the export maps to, including the product,
	// role and roadmap decisions the import's PM records.
	Events int `json:"events"`
	// Items are backlog items added; Requests, requests submitted
	// (re-submissions after a rejection included).
	Items    int `json:"items"`
	Requests int `json:"requests"`
	// Rejections are requests rejected plus accepted items removed for a
	// rejecting resolution.
	Rejections int `json:"rejections"`
	Deliveries int `json:"deliveries"`
	// Slips are moves of an item from one milestone to another.
	Slips int `json:"slips"`
	// Reopens are items reopened after delivery plus requests submitted
	// again after a rejection.
	Reopens int `json:"reopens"`
	// OutsideAuthority counts events of decisions whose actor lacked the
	// role the rules require, under the map's roles.
	OutsideAuthority int `json:"outsideAuthority"`
	// Actors are the distinct tracker people who took a decision.
	Actors int `json:"actors"`
	// LinksDropped counts the issues whose link was left out of their
	// events' provenance because it was not an http or https address
	// (javascript:, data:, file:, a relative path).
	LinksDropped int `json:"linksDropped,omitempty"`
	// FiledUnnamed counts the issues whose filing the export does not
	// record (a history-only export): their requests are dated at their
	// first change and submitted by UnnamedActor.
	FiledUnnamed int `json:"filedUnnamed,omitempty"`
	// Skipped counts the source changes with no ledger meaning, by field.
	Skipped Skipped `json:"skipped"`
	// From and To are the first and last source change mapped.
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
	// Written is how many events this run stored (or, on a dry run, would
	// store); Already, how many an earlier import stored.
	Written int `json:"written"`
	Already int `json:"already"`
}

func (s *Summary) count(f Fact, outside bool) {
	s.Events++
	if outside {
		s.OutsideAuthority++
	}
	switch p := f.Data.(type) {
	case domain.BacklogItemAdded:
		s.Items++
	case domain.RequestSubmitted:
		s.Requests++
		if p.Repeats != "" {
			s.Reopens++
		}
	case domain.RequestRejected:
		s.Rejections++
	case domain.WorkDelivered:
		s.Deliveries++
	case domain.WorkReopened:
		s.Reopens++
	}
}
