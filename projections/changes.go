package projections

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/decisionledger/ledger/domain"
)

// The change lines of the transparency log read "field old -> new", or
// "field new" when the field was first set. Free text is quoted.

func change(field, old, new string) []string {
	switch {
	case old == new:
		return nil
	case old == "":
		return []string{field + " " + new}
	case new == "":
		return []string{field + " " + old + " -> (none)"}
	}
	return []string{field + " " + old + " -> " + new}
}

// textChange is change of free text, quoted: most decisions leave the
// text as it was, which needs no quoting to tell.
func textChange(field, old, new string) []string {
	if old == new {
		return nil
	}
	return change(field, text(old), text(new))
}

// numChange is change of a number that may be unset; the fold replaces
// a number's pointer, never writes through it, so the same pointer is the
// same number.
func numChange(field string, old, new *float64) []string {
	if old == new {
		return nil
	}
	return change(field, numPtr(old), numPtr(new))
}

// scoreChange is change of a score, under the same rule as numChange.
func scoreChange(old, new *Score) []string {
	if old == new {
		return nil
	}
	return change("score", scoreText(old), scoreText(new))
}

func text(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func numPtr(f *float64) string {
	if f == nil {
		return ""
	}
	return num(*f)
}

func scoreText(s *Score) string {
	switch {
	case s == nil:
		return ""
	case s.Value == nil:
		return s.Framework + " (no value)"
	}
	return s.Formula + " " + num(*s.Value)
}

// itemChanges says what a decision changed on a backlog item. The rank is
// reported on rank decisions (always, old and new) and on creation.
func itemChanges(before Item, had bool, after Item, ranked bool) []string {
	out := []string{}
	if !had {
		out = append(out, change("title", "", text(after.Title))...)
		out = append(out, change("kind", "", string(after.Kind))...)
		out = append(out, change("status", "", string(after.Status))...)
		out = append(out, fmt.Sprintf("rank %d", after.Rank))
		before = Item{Title: after.Title, Kind: after.Kind, Status: after.Status}
	}
	out = append(out, textChange("title", before.Title, after.Title)...)
	out = append(out, textChange("detail", before.Detail, after.Detail)...)
	out = append(out, change("epic", before.Epic, after.Epic)...)
	out = append(out, change("roadmap", before.Roadmap, after.Roadmap)...)
	out = append(out, change("request", before.Request, after.Request)...)
	out = append(out, change("status", string(before.Status), string(after.Status))...)
	if ranked {
		out = append(out, "rank "+strconv.Itoa(before.Rank)+" -> "+strconv.Itoa(after.Rank))
	}
	out = append(out, numChange("estimate", before.Estimate, after.Estimate)...)
	out = append(out, scoreChange(before.Score, after.Score)...)
	out = append(out, change("release", before.Release, after.Release)...)
	return out
}

// roadmapChanges says what a decision changed on a roadmap item; the rank
// within the period is reported when withRank is set.
func roadmapChanges(before RoadmapItem, had bool, after RoadmapItem, withRank bool) []string {
	out := []string{}
	if !had {
		before = RoadmapItem{}
	}
	out = append(out, textChange("title", before.Title, after.Title)...)
	out = append(out, textChange("objective", before.Objective, after.Objective)...)
	out = append(out, change("period", before.Period, after.Period)...)
	out = append(out, change("status", string(before.Status), string(after.Status))...)
	if withRank {
		if had {
			out = append(out, fmt.Sprintf("rank %d -> %d", before.Rank, after.Rank))
		} else {
			out = append(out, fmt.Sprintf("rank %d", after.Rank))
		}
	}
	out = append(out, servingChanges(before.Items, after.Items)...)
	if had && before.Progress.Delivered != after.Progress.Delivered {
		out = append(out, fmt.Sprintf("delivered %d/%d -> %d/%d", before.Progress.Delivered,
			before.Progress.Total, after.Progress.Delivered, after.Progress.Total))
	}
	if after.Late && !before.Late {
		out = append(out, "delivered after its period "+after.Period)
	}
	return out
}

// servingChanges lists the items added to a roadmap item's serving list
// (in after's order), then those taken out (in before's order). Most
// decisions change nothing there, and a long list is compared as a set.
func servingChanges(before, after []string) []string {
	if slices.Equal(before, after) {
		return nil
	}
	in := func(ids []string) func(string) bool {
		if len(ids) < 16 {
			return func(id string) bool { return slices.Contains(ids, id) }
		}
		set := make(map[string]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
		return func(id string) bool { return set[id] }
	}
	var out []string
	inBefore, inAfter := in(before), in(after)
	for _, id := range after {
		if !inBefore(id) {
			out = append(out, "serving item +"+id)
		}
	}
	for _, id := range before {
		if !inAfter(id) {
			out = append(out, "serving item -"+id)
		}
	}
	return out
}

// requestChanges says what a decision changed on a request.
func requestChanges(before Request, had bool, after Request) []string {
	out := []string{}
	if !had {
		before = Request{}
		out = append(out, change("title", "", text(after.Title))...)
		out = append(out, change("requester", "", after.Requester)...)
		out = append(out, change("repeats", "", after.Repeats)...)
		if after.Comeback {
			out = append(out, "comeback after rejection of "+after.Repeats)
		}
	}
	out = append(out, change("status", string(before.Status), string(after.Status))...)
	out = append(out, change("deferred until", before.DeferredUntil, after.DeferredUntil)...)
	out = append(out, change("item", before.Item, after.Item)...)
	return out
}

// productChanges says what a product decision changed and keeps pr up to
// date with it.
func productChanges(pr *product, e domain.Event) []string {
	c := productChange{pr: pr, out: []string{}}
	productFold.Apply(&c, e)
	return c.out
}

// productChange is what productFold folds a product decision into: the
// product as the log knows it, and the change lines.
type productChange struct {
	pr  *product
	out []string
}

// productFold is the transparency log's case for each product decision.
var productFold = domain.NewFold("product decisions in the transparency log (productChanges)",
	domain.On(func(c *productChange, _ domain.Event, p domain.ProductCreated) {
		c.out = append(c.out, change("name", text(c.pr.Name), text(p.Name))...)
		c.out = append(c.out, change("pm", "", p.PM)...)
		c.out = append(c.out, change("po", "", p.PO)...)
		c.pr.Name = p.Name
	}),
	domain.On(func(c *productChange, _ domain.Event, p domain.RoleAssigned) {
		c.out = append(c.out, fmt.Sprintf("role %s assigned to %s", p.Role, p.Actor))
	}),
	domain.On(func(c *productChange, _ domain.Event, p domain.RoleRevoked) {
		c.out = append(c.out, fmt.Sprintf("role %s revoked from %s", p.Role, p.Actor))
	}),
	domain.On(func(c *productChange, _ domain.Event, p domain.VisionStated) {
		c.out = append(c.out, change("vision", text(c.pr.Vision), text(p.Vision))...)
		old, cur := strings.Join(c.pr.Metrics, "; "), strings.Join(p.Metrics, "; ")
		c.out = append(c.out, change("metrics", text(old), text(cur))...)
		c.pr.Vision, c.pr.Metrics = p.Vision, cloneSlice(p.Metrics)
	}),
	domain.On(func(c *productChange, _ domain.Event, p domain.ProductGoalSet) {
		c.out = append(c.out, change("goal", text(c.pr.Goal), text(p.Goal))...)
		c.pr.Goal = p.Goal
	}),
	// The log records the other kinds' decisions on their own chains.
	domain.SkipKinds[*productChange](domain.KindRoadmap, domain.KindItem, domain.KindRequest),
)
