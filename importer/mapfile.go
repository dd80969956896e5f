package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// DefaultImporter is the ledger id of the Product Manager who records an
// import when the map file names none.
const DefaultImporter = "importer"

// Map is the map file: how a tracker's people and values mean ledger
// decisions. Every field is optional; a format's defaults fill in what
// the file leaves out (see Defaults).
type Map struct {
	// Name is the product's name when the import creates it.
	Name string `json:"name,omitempty"`
	// Importer is the PM who runs the import: the product's first PM, who
	// records the role decisions and plans the milestones' roadmap items.
	Importer string `json:"importer,omitempty"`
	// URL is the tracker's base address, for source links.
	URL string `json:"url,omitempty"`
	// People maps tracker logins to ledger ids and roles. Everyone else
	// is a stakeholder.
	People map[string]Person `json:"people,omitempty"`
	// Priorities lists the priority values (Jira: their ids) that order
	// the backlog, the most urgent first; a value not listed is not a
	// priority (Bugzilla "--") and ranks nothing.
	Priorities []string `json:"priorities,omitempty"`
	// Resolutions says what a resolution (Jira: its id; GitHub: a close
	// reason) means.
	Resolutions map[string]Outcome `json:"resolutions,omitempty"`
	// Labels says what adding a label means (GitHub); a label not listed
	// is counted as skipped.
	Labels map[string]Outcome `json:"labels,omitempty"`
	// Triage names the milestones that are triage states rather than
	// releases (GitHub projects often use them so) and what each means; an
	// empty outcome means nothing and is counted as skipped.
	Triage map[string]Outcome `json:"triage,omitempty"`
	// Milestones gives milestone and release dates (YYYY-MM-DD): an item
	// delivered after its milestone's date is late in compare.
	Milestones map[string]string `json:"milestones,omitempty"`
	// Unassigned lists the logins a tracker assigns new issues to by
	// default (Bugzilla's nobody@mozilla.org): being assigned to one is not
	// triage.
	Unassigned []string `json:"unassigned,omitempty"`
	// Statuses names the statuses (Jira: their ids) that mean the team took
	// the issue on (accept), work started (start) or delivered.
	Statuses map[string]Outcome `json:"statuses,omitempty"`
	// DefaultPriority is the priority the tracker files issues with
	// (Eclipse's P3): a change away from it is triage. Empty: the priority
	// each issue was filed with.
	DefaultPriority string `json:"defaultPriority,omitempty"`
	// Types names what an issue type (Jira: its id, or its name) is as a
	// backlog item: epic, story, bug or spike.
	Types map[string]domain.ItemKind `json:"types,omitempty"`
	// Projects names the tracker projects (Jira project keys) to import
	// into the product, when the export holds several.
	Projects []string `json:"projects,omitempty"`
}

// Person is one tracker login in the map file.
type Person struct {
	// ID is the ledger id; empty means DeriveID(login).
	ID string `json:"id,omitempty"`
	// Roles the person held: "po", or {"role":"team","from":"2019-01-01","to":"2020-06-30"}.
	Roles []RoleSpan `json:"roles,omitempty"`
}

// RoleSpan is a role held from From (inclusive; empty: from the start of
// the import) to To (exclusive; empty: still).
type RoleSpan struct {
	Role domain.Role `json:"role"`
	From string      `json:"from,omitempty"`
	To   string      `json:"to,omitempty"`

	from, to time.Time
}

// UnmarshalJSON reads "po" or {"role":"po",...}, the object as strictly
// as the rest of the map file (a decoder's DisallowUnknownFields does not
// reach a type that decodes itself).
func (r *RoleSpan) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.Role)
	}
	type plain RoleSpan
	if err := domain.CheckStrict(b, (*plain)(r), "a role", nil); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(r))
}

// Outcome is what a resolution, label or status means. With both Deliver
// and Reject it delivers an item taken on and rejects a request never
// taken on (GitHub's close without a reason).
type Outcome struct {
	// Reject is the reason code of a rejection (or a removal, once the
	// request was accepted).
	Reject domain.ReasonCode `json:"reject,omitempty"`
	// Defer postpones the request.
	Defer bool `json:"defer,omitempty"`
	// Deliver delivers the item.
	Deliver bool `json:"deliver,omitempty"`
	// Start starts work on the item (statuses).
	Start bool `json:"start,omitempty"`
	// Accept accepts the request (a triage label or status).
	Accept bool `json:"accept,omitempty"`
}

// ParseMap reads a map file strictly (an unknown field is an error: a
// typo must not silently change what history means) and merges it over
// defaults.
func ParseMap(data []byte, defaults Map) (*Map, error) {
	var m Map
	if len(bytes.TrimSpace(data)) > 0 {
		if err := domain.CheckStrict(data, &m, "the map file", nil); err != nil {
			return nil, fmt.Errorf("reading the map file: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("reading the map file: %w", err)
		}
	}
	out := defaults
	if m.Name != "" {
		out.Name = m.Name
	}
	if m.Importer != "" {
		out.Importer = m.Importer
	}
	if m.URL != "" {
		out.URL = strings.TrimRight(m.URL, "/")
	}
	if m.People != nil {
		out.People = m.People
	}
	if m.Priorities != nil {
		out.Priorities = m.Priorities
	}
	if m.Unassigned != nil {
		out.Unassigned = m.Unassigned
	}
	if m.DefaultPriority != "" {
		out.DefaultPriority = m.DefaultPriority
	}
	if m.Projects != nil {
		out.Projects = m.Projects
	}
	out.Types = merged(defaults.Types, m.Types)
	out.Resolutions = merged(defaults.Resolutions, m.Resolutions)
	out.Labels = merged(defaults.Labels, m.Labels)
	out.Statuses = merged(defaults.Statuses, m.Statuses)
	out.Triage = merged(defaults.Triage, m.Triage)
	out.Milestones = merged(defaults.Milestones, m.Milestones)
	if out.Importer == "" {
		out.Importer = DefaultImporter
	}
	if err := out.check(); err != nil {
		return nil, err
	}
	return &out, nil
}

func merged[V any](a, b map[string]V) map[string]V {
	out := make(map[string]V, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func (m *Map) check() error {
	if err := domain.CheckID("importer", m.Importer); err != nil {
		return fmt.Errorf("map file: %w", err)
	}
	for login, p := range m.People {
		if p.ID != "" {
			if err := domain.CheckID("people."+login+".id", p.ID); err != nil {
				return fmt.Errorf("map file: %w", err)
			}
		}
		for i := range p.Roles {
			r := &p.Roles[i]
			if !slices.Contains(domain.Roles, r.Role) {
				return fmt.Errorf("map file: %s has role %q: use pm, po, stakeholder or team", login, r.Role)
			}
			var err error
			if r.from, err = mapDate(r.From); err != nil {
				return fmt.Errorf("map file: %s role %s from: %w", login, r.Role, err)
			}
			if r.to, err = mapDate(r.To); err != nil {
				return fmt.Errorf("map file: %s role %s to: %w", login, r.Role, err)
			}
		}
	}
	for name, o := range merged(merged(merged(m.Resolutions, m.Labels), m.Statuses), m.Triage) {
		if o.Reject != "" && !domain.ValidReason(o.Reject) {
			return fmt.Errorf("map file: %q rejects with unknown reason code %q", name, o.Reject)
		}
	}
	for name, k := range m.Types {
		if !slices.Contains([]domain.ItemKind{domain.ItemEpic, domain.ItemStory, domain.ItemBug, domain.ItemSpike}, k) {
			return fmt.Errorf("map file: type %q is %q: use epic, story, bug or spike", name, k)
		}
	}
	for name, d := range m.Milestones {
		if _, err := mapDate(d); err != nil {
			return fmt.Errorf("map file: milestone %q: %w", name, err)
		}
	}
	return nil
}

func mapDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: write it as YYYY-MM-DD", s)
	}
	if t.Year() < domain.MinYear || t.Year() > domain.MaxYear {
		return time.Time{}, fmt.Errorf("%q is not a plausible date: give a year from %d to %d", s, domain.MinYear, domain.MaxYear)
	}
	return t, nil
}

// Rank is the position of a priority value in Priorities, the most urgent
// 0; ok is false for a value that is not a priority.
func (m *Map) Rank(priority string) (rank int, ok bool) {
	i := slices.Index(m.Priorities, priority)
	return i, i >= 0
}

// ReleasePeriod is the roadmap period of a milestone, with its date from
// the map file when it has one.
func (m *Map) ReleasePeriod(milestone string) string {
	d, _ := mapDate(m.Milestones[milestone])
	return domain.ReleasePeriod(milestone, d)
}

// Assignable reports whether login is a person an issue can be assigned
// to, rather than where a tracker parks new issues: the map's Unassigned
// logins, and by default any address or name that reads as an inbox
// (nobody@mozilla.org, platform-ui-inbox@eclipse.org, gtk-bugs@gtk.org,
// jdt-core-triaged@eclipse.org, gnome-maint@gnome.bugs, "unassigned").
func (m *Map) Assignable(login string) bool {
	if slices.Contains(m.Unassigned, login) {
		return false
	}
	l := strings.ToLower(strings.TrimSpace(login))
	local, domainPart, _ := strings.Cut(l, "@")
	if strings.HasSuffix(domainPart, ".bugs") {
		return false
	}
	for _, w := range []string{"nobody", "noone", "no-one", "unassigned", "inbox", "triage", "-bugs", "bugs-", "-maint", "default-assignee"} {
		if strings.Contains(local, w) {
			return false
		}
	}
	switch local {
	case "none", "bugs", "bugzilla", "issues", "webmaster":
		return false
	}
	return true
}
