package replay

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// ViewsVersion is the version of a Views snapshot; it embeds the versions
// of its members, so a change to any of them retires old snapshots.
const ViewsVersion = "views/1+" + projections.BacklogVersion + "+" +
	projections.RoadmapVersion + "+" + projections.RequestsVersion

// Views are the read models whose size follows the number of items and
// requests, not the length of history: the backlog, the roadmap and the
// requests. They are what "show" needs as of a date and what Compare and
// Diff read, and the projection a Snapshotter snapshots by default.
// Not safe for concurrent use.
type Views struct {
	Backlog  *projections.Backlog
	Roadmap  *projections.Roadmap
	Requests *projections.Requests
}

var _ Projection = (*Views)(nil)

// NewViews returns empty Views.
func NewViews() *Views {
	return &Views{Backlog: projections.NewBacklog(), Roadmap: projections.NewRoadmap(),
		Requests: projections.NewRequests()}
}

// ViewsOf returns Views that share the members of a Set, so that a live
// Set can be snapshotted as Views. Events go to the Set; applying them
// through the Views too would be harmless (a member ignores an event it
// has seen) but wasted.
func ViewsOf(set *projections.Set) *Views {
	if set.Backlog == nil || set.Roadmap == nil || set.Requests == nil {
		set.Reset() // a zero Set has no members yet, and no state to lose
	}
	return &Views{Backlog: set.Backlog, Roadmap: set.Roadmap, Requests: set.Requests}
}

// Apply folds one event into every member.
func (v *Views) Apply(e domain.Event) {
	v.Backlog.Apply(e)
	v.Roadmap.Apply(e)
	v.Requests.Apply(e)
}

// Reset empties every member.
func (v *Views) Reset() {
	v.Backlog.Reset()
	v.Roadmap.Reset()
	v.Requests.Reset()
}

// Position is the Seq of the last event applied, 0 if none.
func (v *Views) Position() uint64 { return v.Backlog.Position() }

// Version returns ViewsVersion.
func (v *Views) Version() string { return ViewsVersion }

type viewsSnapshot struct {
	Version  string          `json:"version"`
	Backlog  json.RawMessage `json:"backlog"`
	Roadmap  json.RawMessage `json:"roadmap"`
	Requests json.RawMessage `json:"requests"`
}

// MarshalSnapshot writes every member's state.
func (v *Views) MarshalSnapshot() ([]byte, error) {
	s := viewsSnapshot{Version: ViewsVersion}
	var err error
	if s.Backlog, err = v.Backlog.MarshalSnapshot(); err != nil {
		return nil, err
	}
	if s.Roadmap, err = v.Roadmap.MarshalSnapshot(); err != nil {
		return nil, err
	}
	if s.Requests, err = v.Requests.MarshalSnapshot(); err != nil {
		return nil, err
	}
	// The bytes json.Marshal(s) gives, written in one pass: the members'
	// snapshots are compact JSON already, so they need no compacting copy.
	ver, err := json.Marshal(s.Version)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(s.Backlog)+len(s.Roadmap)+len(s.Requests)+len(ver)+64)
	out = append(append(append(out, `{"version":`...), ver...), `,"backlog":`...)
	out = append(append(out, s.Backlog...), `,"roadmap":`...)
	out = append(append(out, s.Roadmap...), `,"requests":`...)
	out = append(append(out, s.Requests...), '}')
	return out, nil
}

// UnmarshalSnapshot replaces every member's state with a snapshot's; on
// any error (one wrapping projections.ErrSnapshotVersion among them) the
// Views are left unchanged.
func (v *Views) UnmarshalSnapshot(data []byte) error {
	var s viewsSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("read views snapshot: %w", err)
	}
	if s.Version != ViewsVersion {
		return fmt.Errorf("views snapshot written by %q, this is %q: %w", s.Version, ViewsVersion, projections.ErrSnapshotVersion)
	}
	n := NewViews()
	if err := errors.Join(n.Backlog.UnmarshalSnapshot(s.Backlog), n.Roadmap.UnmarshalSnapshot(s.Roadmap),
		n.Requests.UnmarshalSnapshot(s.Requests)); err != nil {
		return fmt.Errorf("read views snapshot: %w", err)
	}
	if n.Backlog.Position() != n.Roadmap.Position() || n.Backlog.Position() != n.Requests.Position() {
		return fmt.Errorf("views snapshot is inconsistent: its members stand at sequences %d, %d and %d",
			n.Backlog.Position(), n.Roadmap.Position(), n.Requests.Position())
	}
	*v.Backlog, *v.Roadmap, *v.Requests = *n.Backlog, *n.Roadmap, *n.Requests
	return nil
}

// clone returns a deep copy of v, through its snapshot.
func (v *Views) clone() (*Views, error) {
	b, err := v.MarshalSnapshot()
	if err != nil {
		return nil, err
	}
	c := NewViews()
	if err := c.UnmarshalSnapshot(b); err != nil {
		return nil, err
	}
	return c, nil
}
