package importer

import (
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Op is one decision a tracker recorded, as a format maps it: who took it
// (a ledger actor id; the login stays in Source.Author), when, why, and
// the facts it establishes, recorded atomically. Formats return ops in
// the order they happened: by instant, then by issue, then by source
// order.
type Op struct {
	At     time.Time
	Actor  string
	Source domain.Source
	Why    string
	Reason domain.ReasonCode
	Facts  []Fact
	// Needs names the milestones whose roadmap items must exist before
	// the op: the import's PM plans each the first time one is needed.
	Needs []Milestone
	// Slip marks a move from one milestone to another.
	Slip bool
	// Part tells ops of one source change apart (0, 1, ...): with the
	// source's system, key and change it makes the op's command id.
	Part int
	// Field names the export's field At was read from ("created_at",
	// "events[].created_at"), for the message that refuses it.
	Field string
}

// DatedBy names the export's field a change's time comes from: created
// for the creation (change "created"), else history.
func DatedBy(change, created, history string) string {
	if change == "created" {
		return created
	}
	return history
}

// Fact is one event an op records: its aggregate and payload.
type Fact struct {
	Kind domain.AggregateKind
	ID   string
	Data domain.Payload
}

// Milestone is a tracker milestone or release: a roadmap item.
type Milestone struct {
	ID     string // roadmap item id
	Name   string // as the tracker names it
	Period string // domain period: release:NAME[@date]
}

// Skipped counts the source changes an import has no meaning for, by
// field, so that nothing is lost unnoticed.
type Skipped map[string]int

// Add counts one skipped change of field.
func (s Skipped) Add(field string) { s[field]++ }
