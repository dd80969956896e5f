package importer

import (
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Issue is one tracker issue as a format reads it from an export, in
// terms every tracker shares: who filed it and when (when the export
// says), what its fields were, and every later change. Run turns issues
// into the ledger's decisions by one set of rules (lifecycle.go); a
// format only reads its export.
type Issue struct {
	// Key is the tracker's key: a bug id, an issue number, PROJ-12.
	Key string
	// ItemPrefix starts the ids of the issue's request and item ("BZ-",
	// "GH-"; "" where the key says enough, as Jira's).
	ItemPrefix string
	// URL is the issue's page, "" when the export holds no link and the
	// user gave no base address: a link is never guessed.
	URL string
	// Project is the tracker project the issue belongs to (Jira's project
	// key), "" when the format has none.
	Project string
	// Filed says who filed the issue and when; nil when the export does
	// not (a Bugzilla history-only export): the issue was filed before its
	// first change by someone the export does not name.
	Filed *Filing
	// Title is the issue's title when it was filed (the format works it
	// out from the first title change when the current one was edited).
	Title string
	// Kind is what its backlog item is; "" for a bug.
	Kind domain.ItemKind
	// Epic is the key of the issue's epic, or of its parent in the
	// tracker's hierarchy (a sub-task's story), when it was filed.
	Epic string
	// Now holds the issue's current field values, as the export gives
	// them (none for a history-only export): the values at filing are
	// what the first change of each field removed, else these.
	Now map[Field]string
	// Changes are the issue's changes, in any order.
	Changes []Change
	// Comments explain changes: a comment by a change's author at the
	// change's instant is its why.
	Comments []Comment
}

// Filing is who filed an issue, when, and what they wrote.
type Filing struct {
	At time.Time
	By User
	// Why is the description or first comment, "" for none.
	Why string
	// Field names the export's field At was read from.
	Field string
}

// User is someone in a tracker: Login is the stable account (an e-mail
// address, a user name, a Jira account id), kept in every event's source;
// Name is how the tracker shows them (a Jira display name), "" when the
// export gives none. The ledger's actor id comes from the map file, else
// from the name, else from the login (Map.Actor).
type User struct {
	Login string
	Name  string
}

// Field is a field every tracker has, under the lifecycle's name.
type Field string

// The fields the lifecycle gives meaning to. A format maps its own
// fields to these; any other change is counted in Skipped by its name in
// the export.
const (
	// FieldStatus is the workflow status (NEW, ASSIGNED, In Progress).
	FieldStatus Field = "status"
	// FieldResolution is how the issue was closed ("" when open): FIXED,
	// WONTFIX, a Jira resolution id, GitHub's completed and not_planned.
	FieldResolution Field = "resolution"
	// FieldAssignee is the login the issue is assigned to.
	FieldAssignee Field = "assignee"
	// FieldPriority is the priority value (Jira: its id).
	FieldPriority Field = "priority"
	// FieldMilestone is the target milestone, fix version or GitHub
	// milestone: a release, or (GitHub) a triage state the map names.
	FieldMilestone Field = "milestone"
	// FieldSprint is the sprint the issue is planned into.
	FieldSprint Field = "sprint"
	// FieldTitle is the summary or title.
	FieldTitle Field = "title"
	// FieldEpic is the key of the issue's epic or parent.
	FieldEpic Field = "epic"
	// FieldLabel is a label added (GitHub): a priority or an outcome the
	// map names.
	FieldLabel Field = "label"
)

// Change is what one person changed at one instant: one history entry,
// one issue event. Its items are one decision, recorded together.
type Change struct {
	At time.Time
	By User
	// ID identifies the change in provenance: a history id, an event id,
	// the entry's time.
	ID string
	// Seq orders the issue's changes of one instant as the export lists
	// them.
	Seq int
	// Field names the export's field At was read from.
	Field string
	// Items are the fields it changed.
	Items []Item
	// Why is the change's own explanation, when the format has one; else
	// a comment of the same author at the same instant, else a line the
	// lifecycle writes.
	Why string
}

// Item is one field a change changed. Raw is the export's name for it:
// an item whose Field is "" has no meaning for the ledger and is counted
// in Skipped under Raw. From and To are the values as the rules read
// them (ids for Jira); FromName and ToName, as people read them, "" when
// the same.
type Item struct {
	Field            Field
	Raw              string
	From, To         string
	FromName, ToName string
}

// Comment is one comment on an issue.
type Comment struct {
	ID   string
	By   User
	At   time.Time
	Text string
	// Description marks the issue's description (Bugzilla's comment 0),
	// which is the filing's why, never a change's.
	Description bool
}

// Name returns how people read the item's new value.
func (it Item) name(to bool) string {
	if to {
		if it.ToName != "" {
			return it.ToName
		}
		return it.To
	}
	if it.FromName != "" {
		return it.FromName
	}
	return it.From
}
