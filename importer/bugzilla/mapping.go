package bugzilla

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
)

// System is the source system name of Bugzilla imports.
const System = "bugzilla"

// Defaults is the default Bugzilla mapping (docs/import.md): P1 to P5
// order the backlog; FIXED delivers; WONTFIX, INVALID, DUPLICATE,
// WORKSFORME, INCOMPLETE, MOVED and EXPIRED reject; LATER and REMIND
// defer; ASSIGNED takes a bug on and IN_PROGRESS starts work. No base
// address: a bug links to its tracker only when the map (or --url) says
// where that is, since a Bugzilla export names no site.
func Defaults() importer.Map {
	return importer.Map{
		Priorities: []string{"P1", "P2", "P3", "P4", "P5"},
		Unassigned: []string{"nobody@mozilla.org"},
		Resolutions: map[string]importer.Outcome{
			"FIXED":      {Deliver: true},
			"WONTFIX":    {Reject: domain.ReasonOutOfScope},
			"INVALID":    {Reject: domain.ReasonNotFeasible},
			"DUPLICATE":  {Reject: domain.ReasonDuplicate},
			"WORKSFORME": {Reject: domain.ReasonOther},
			"INCOMPLETE": {Reject: domain.ReasonOther},
			"MOVED":      {Reject: domain.ReasonOther},
			"EXPIRED":    {Reject: domain.ReasonOther},
			"LATER":      {Defer: true},
			"REMIND":     {Defer: true},
		},
		Statuses: map[string]importer.Outcome{
			"ASSIGNED":    {Accept: true},
			"IN_PROGRESS": {Start: true},
		},
	}
}

// Result is what an export maps to.
type Result struct {
	Ops     []importer.Op
	Skipped importer.Skipped
}

// fields maps Bugzilla's field names to the lifecycle's.
var fields = map[string]importer.Field{
	"status":           importer.FieldStatus,
	"resolution":       importer.FieldResolution,
	"assigned_to":      importer.FieldAssignee,
	"priority":         importer.FieldPriority,
	"target_milestone": importer.FieldMilestone,
	"summary":          importer.FieldTitle,
}

// Map maps bugs to the decisions they record, by the lifecycle every
// tracker shares (importer.Run). A bug's filing is its creation_time and
// creator; an export of /rest/bug/{id}/history holds neither, and its
// bugs are submitted at their first change by no one named.
func Map(bugs []Bug, m *importer.Map) (Result, error) {
	issues, err := Issues(bugs, m)
	if err != nil {
		return Result{}, err
	}
	ops, skipped, err := importer.Run(System, issues, m)
	if err != nil {
		return Result{}, err
	}
	return Result{Ops: ops, Skipped: skipped}, nil
}

// Issues reads bugs as the lifecycle's issues.
func Issues(bugs []Bug, m *importer.Map) ([]importer.Issue, error) {
	out := make([]importer.Issue, 0, len(bugs))
	for i := range bugs {
		b := &bugs[i]
		k := key(b.ID)
		is := importer.Issue{Key: k, ItemPrefix: "BZ-", Title: b.Summary, Kind: kind(b)}
		if m.URL != "" {
			is.URL = m.URL + "/show_bug.cgi?id=" + k
		}
		if b.CreationTime != "" {
			at, err := parseTime(b.CreationTime)
			if err != nil {
				return nil, fmt.Errorf("bug %d: creation_time: %w", b.ID, err)
			}
			is.Filed = &importer.Filing{At: at, By: importer.User{Login: b.Creator}, Field: "creation_time"}
			is.Now = map[importer.Field]string{
				importer.FieldPriority: b.Priority, importer.FieldMilestone: b.TargetMilestone,
				importer.FieldAssignee: b.AssignedTo, importer.FieldStatus: b.Status,
				importer.FieldResolution: b.Resolution, importer.FieldTitle: b.Summary,
			}
		} else if b.Summary == "" {
			is.Title = "Bug " + k
		}
		for j, h := range b.History {
			at, err := parseTime(h.When)
			if err != nil {
				return nil, fmt.Errorf("bug %d: history entry %d: %w", b.ID, j, err)
			}
			c := importer.Change{At: at, By: importer.User{Login: h.Who}, ID: h.When, Seq: j, Field: "history[].when"}
			for _, ch := range h.Changes {
				c.Items = append(c.Items, importer.Item{Field: fields[ch.FieldName], Raw: ch.FieldName, From: ch.Removed, To: ch.Added})
			}
			is.Changes = append(is.Changes, c)
		}
		for _, c := range b.Comments {
			at, err := parseTime(c.CreationTime)
			if err != nil {
				continue
			}
			author := c.By()
			if author == "" && c.Count == 0 {
				// Exports may leave out the author of the description:
				// comment 0 is the reporter's.
				author = b.Creator
			}
			is.Comments = append(is.Comments, importer.Comment{ID: strconv.Itoa(c.ID), By: importer.User{Login: author}, At: at, Text: c.Text, Description: c.Count == 0})
			if c.Count == 0 && is.Filed != nil {
				is.Filed.Why = c.Text
			}
		}
		if is.Filed != nil && strings.TrimSpace(is.Filed.Why) == "" {
			is.Filed.Why = importer.WithLink(fmt.Sprintf("bugzilla: bug %s filed", k), is.URL)
		}
		out = append(out, is)
	}
	return out, nil
}

// kind is the item a bug becomes: a story for an enhancement or a task.
func kind(b *Bug) domain.ItemKind {
	if t := strings.ToLower(b.Type); t == "enhancement" || t == "task" || strings.EqualFold(b.Severity, "enhancement") {
		return domain.ItemStory
	}
	return domain.ItemBug
}
