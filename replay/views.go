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
const ViewsVersion = "views/2+" + domain.GateVersion + "+" + projections.BacklogVersion + "+" +
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
	// Gate is the validating fold in front of the members (shared with
	// the Set the Views come from).
	Gate *projections.Gate
}

var _ Projection = (*Views)(nil)

// NewViews returns empty Views.
func NewViews() *Views {
	return &Views{Backlog: projections.NewBacklog(), Roadmap: projections.NewRoadmap(),
		Requests: projections.NewRequests(), Gate: projections.NewGate()}
}

// ViewsOf returns Views that share the members of a Set, so that a live
// Set can be snapshotted as Views. Events go to the Set; applying them
// through the Views too would be harmless (a member ignores an event it
// has seen) but wasted.
func ViewsOf(set *projections.Set) *Views {
	if set.Backlog == nil || set.Roadmap == nil || set.Requests == nil {
		set.Reset() // a zero Set has no members yet, and no state to lose
	}
	return &Views{Backlog: set.Backlog, Roadmap: set.Roadmap, Requests: set.Requests, Gate: set.Gate()}
}

// Apply passes one event through the validating fold and folds what it
// admits into every member.
func (v *Views) Apply(e domain.Event) {
	for _, a := range v.Gate.Admit(e) {
		v.Fold(a)
	}
}

// Fold applies one event that the gate has already passed (one of what
// Gate.Admit returned) to every member: for a caller that must look at the
// views between the events of one atomic decision.
func (v *Views) Fold(a domain.Event) {
	v.Backlog.Apply(a)
	v.Roadmap.Apply(a)
	v.Requests.Apply(a)
}

// Pending reports whether the validating fold holds the first events of a
// decision whose other events have not been read yet.
func (v *Views) Pending() bool { return v.Gate.Pending() }

// Reset empties every member.
func (v *Views) Reset() {
	*v.Gate = *projections.NewGate()
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
	Gate     json.RawMessage `json:"gate"`
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
	if s.Gate, err = v.Gate.MarshalSnapshot(); err != nil {
		return nil, err
	}
	// The bytes json.Marshal(s) gives, written in one pass: the members'
	// snapshots are compact JSON already, so they need no compacting copy.
	ver, err := json.Marshal(s.Version)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(s.Backlog)+len(s.Roadmap)+len(s.Requests)+len(s.Gate)+len(ver)+80)
	out = append(append(append(out, `{"version":`...), ver...), `,"backlog":`...)
	out = append(append(out, s.Backlog...), `,"roadmap":`...)
	out = append(append(out, s.Roadmap...), `,"requests":`...)
	out = append(append(out, s.Requests...), `,"gate":`...)
	out = append(append(out, s.Gate...), '}')
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
		n.Requests.UnmarshalSnapshot(s.Requests), n.Gate.UnmarshalSnapshot(s.Gate)); err != nil {
		return fmt.Errorf("read views snapshot: %w", err)
	}
	if n.Backlog.Position() != n.Roadmap.Position() || n.Backlog.Position() != n.Requests.Position() {
		return fmt.Errorf("views snapshot is inconsistent: its members stand at sequences %d, %d and %d",
			n.Backlog.Position(), n.Roadmap.Position(), n.Requests.Position())
	}
	*v.Backlog, *v.Roadmap, *v.Requests, *v.Gate = *n.Backlog, *n.Roadmap, *n.Requests, *n.Gate
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
