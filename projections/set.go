package projections

import (
	"encoding/json"

	"github.com/decisionledger/ledger/domain"
)

// SetVersion is the version of a Set snapshot; it changes whenever any
// member's fold does.
const SetVersion = "set/2+" + domain.GateVersion + "+" + BacklogVersion + "+" + RoadmapVersion + "+" + LogVersion + "+" + RequestsVersion

// Set holds the four projections of a product and fans every event out to
// them. The zero value is ready to use; NewSet fills in the members
// up front.
type Set struct {
	Backlog  *Backlog
	Roadmap  *Roadmap
	Log      *Log
	Requests *Requests

	cur  cursor
	gate *Gate // the validating fold in front of the members
	// trust skips the gate: only this package's tests set it, to feed the
	// folds events that no rule would allow (their robustness is tested
	// apart from the rules).
	trust bool
}

var _ Projection = (*Set)(nil)

// NewSet returns a Set of four empty projections.
func NewSet() *Set {
	return &Set{Backlog: NewBacklog(), Roadmap: NewRoadmap(), Log: NewLog(), Requests: NewRequests()}
}

// Version returns SetVersion.
func (s *Set) Version() string { return SetVersion }

// Apply passes one event through the validating fold and folds what it
// admits into every member.
func (s *Set) Apply(e domain.Event) {
	s.init()
	admitted := []domain.Event{e}
	if !s.trust {
		admitted = s.gate.Admit(e)
	}
	for _, a := range admitted {
		s.cur.admit(a)
		s.Backlog.Apply(a)
		s.Roadmap.Apply(a)
		s.Log.Apply(a)
		s.Requests.Apply(a)
	}
}

// Pending reports whether the validating fold holds the first events of a
// decision whose other events have not been read yet.
func (s *Set) Pending() bool { return s.gate != nil && s.gate.Pending() }

// Gate returns the validating fold in front of the members.
func (s *Set) Gate() *Gate {
	s.init()
	return s.gate
}

// Quarantined returns how many events the validating fold refused, and
// the sequence of the first.
func (s *Set) Quarantined() (count int, firstSeq uint64) {
	return s.cur.Quarantined, s.cur.FirstQuarantined
}

// Reset empties every member.
func (s *Set) Reset() {
	s.cur = cursor{}
	s.gate = NewGate()
	s.init()
	s.Backlog.Reset()
	s.Roadmap.Reset()
	s.Log.Reset()
	s.Requests.Reset()
}

// Position is the Seq of the last event the Set applied, 0 if none.
func (s *Set) Position() uint64 { return s.cur.Pos }

// Skipped returns how many events the Set saw with a payload this version
// cannot read, and the Seq of the first of them.
func (s *Set) Skipped() (count int, firstSeq uint64) {
	return s.cur.Skipped, s.cur.FirstSkipped
}

type setSnapshot struct {
	Cursor   cursor          `json:"cursor"`
	Backlog  json.RawMessage `json:"backlog"`
	Roadmap  json.RawMessage `json:"roadmap"`
	Log      json.RawMessage `json:"log"`
	Requests json.RawMessage `json:"requests"`
	Gate     json.RawMessage `json:"gate"`
}

type snapshotter interface {
	MarshalSnapshot() ([]byte, error)
	UnmarshalSnapshot([]byte) error
}

type member struct {
	raw *json.RawMessage
	m   snapshotter
}

func (s *Set) members(snap *setSnapshot) []member {
	s.init()
	return []member{{&snap.Backlog, s.Backlog}, {&snap.Roadmap, s.Roadmap},
		{&snap.Log, s.Log}, {&snap.Requests, s.Requests}, {&snap.Gate, s.gate}}
}

// init fills in members a zero Set lacks, so that it never panics.
func (s *Set) init() {
	if s.Backlog == nil {
		s.Backlog = NewBacklog()
	}
	if s.Roadmap == nil {
		s.Roadmap = NewRoadmap()
	}
	if s.Log == nil {
		s.Log = NewLog()
	}
	if s.Requests == nil {
		s.Requests = NewRequests()
	}
	if s.gate == nil {
		s.gate = NewGate()
	}
}

// MarshalSnapshot writes every member's state, deterministically.
func (s *Set) MarshalSnapshot() ([]byte, error) {
	snap := setSnapshot{Cursor: s.cur}
	for _, x := range s.members(&snap) {
		b, err := x.m.MarshalSnapshot()
		if err != nil {
			return nil, err
		}
		*x.raw = b
	}
	return marshalSnapshot(SetVersion, &snap)
}

// UnmarshalSnapshot replaces every member's state with a snapshot's. On
// any error (ErrSnapshotVersion among them) the Set is left unchanged.
func (s *Set) UnmarshalSnapshot(data []byte) error {
	var snap setSnapshot
	if err := unmarshalSnapshot(SetVersion, data, &snap); err != nil {
		return err
	}
	n := NewSet()
	for _, x := range n.members(&snap) {
		if err := x.m.UnmarshalSnapshot(*x.raw); err != nil {
			return err
		}
	}
	s.init()
	s.cur = snap.Cursor
	*s.Backlog, *s.Roadmap, *s.Log, *s.Requests, *s.gate = *n.Backlog, *n.Roadmap, *n.Log, *n.Requests, *n.gate
	return nil
}
