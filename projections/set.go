package projections

import (
	"encoding/json"
	"errors"
	"fmt"

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

	cur   cursor
	noLog bool  // NewSetWithoutLog, until AttachLog
	gate  *Gate // the validating fold in front of the members
	// trust skips the gate: only this package's tests set it, to feed the
	// folds events that no rule would allow (their robustness is tested
	// apart from the rules).
	trust bool
	// observe hears of every event folded (Observe).
	observe func(domain.Event)
}

var _ Projection = (*Set)(nil)

// NewSet returns a Set of four empty projections, the Log sharing the
// others' folds.
func NewSet() *Set {
	b, r, q := NewBacklog(), NewRoadmap(), NewRequests()
	return &Set{Backlog: b, Roadmap: r, Log: sharedLog(b, r, q), Requests: q, gate: NewGate()}
}

// NewSetWithoutLog returns a Set of the given backlog, roadmap and
// requests, which must stand at the same position, and no transparency
// log yet: Log is nil, and stays nil until AttachLog, while events fold
// into the other three. It lets a server answer from projections
// restored from a snapshot at once and build the log, which only a fold
// of the whole history gives, in the background.
//
// g is the validating fold the three were restored behind (the Views'
// gate), which the Set goes on with; nil starts a new one.
func NewSetWithoutLog(b *Backlog, r *Roadmap, q *Requests, g *Gate) *Set {
	if g == nil {
		g = NewGate()
	}
	return &Set{Backlog: b, Roadmap: r, Requests: q, cur: b.st.Cursor, noLog: true, gate: g}
}

// AttachLog gives a Set of NewSetWithoutLog its transparency log: l, a
// log folded on its own, behind a validating fold of its own, from the
// first event up to the Set's position,
// which from now on shares the Set's backlog, roadmap and requests. It
// fails, changing nothing, when the Set has a log already or l stands
// elsewhere.
func (s *Set) AttachLog(l *Log) error {
	if !s.noLog {
		return errors.New("the set has a transparency log already")
	}
	if l.Position() != s.Position() {
		return fmt.Errorf("the transparency log stands at sequence %d, the set at %d", l.Position(), s.Position())
	}
	l.backlog, l.roadmap, l.requests = s.Backlog, s.Roadmap, s.Requests
	s.Log, s.noLog = l, false
	return nil
}

// HasLog reports whether the Set has its transparency log (false only
// for a Set of NewSetWithoutLog before AttachLog).
func (s *Set) HasLog() bool { return !s.noLog }

// Version returns SetVersion.
func (s *Set) Version() string { return SetVersion }

// Apply passes one event through the validating fold and folds what it
// admits into every member. Events must reach the members through the Set
// only: the Log of NewSet folds the Backlog, Roadmap and Requests itself,
// once, and reads them before and after each event to say what changed.
func (s *Set) Apply(e domain.Event) {
	s.init()
	if s.trust {
		s.fold(e)
		return
	}
	for _, a := range s.gate.Admit(e) {
		s.fold(a)
	}
}

// Observe makes fn hear of every event the Set folds from now on, after
// its members did: each event the validating fold passed, a quarantined
// one with its domain.Quarantined payload, in the order the members see
// them. fn runs inside Apply, so under whatever lock guards the Set; it
// must not keep the event's payload for changing. It lets a reader keep
// small running figures of its own (counts, a ring of the latest
// decisions) in step with the Set without reading the stream again. It is
// not part of a snapshot. A second call replaces the first fn.
func (s *Set) Observe(fn func(domain.Event)) { s.observe = fn }

// fold applies one event the gate passed.
func (s *Set) fold(e domain.Event) {
	if s.observe != nil {
		defer s.observe(e)
	}
	s.cur.admit(e)
	if s.noLog {
		s.Backlog.Apply(e)
		s.Roadmap.Apply(e)
		s.Requests.Apply(e)
		return
	}
	if s.Log.shares(s.Backlog, s.Roadmap, s.Requests) {
		s.Log.Apply(e)
		return
	}
	s.Backlog.Apply(e)
	s.Roadmap.Apply(e)
	s.Log.Apply(e)
	s.Requests.Apply(e)
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
	if s.noLog {
		s.Backlog.Reset()
		s.Roadmap.Reset()
		s.Requests.Reset()
		return
	}
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
	if s.noLog {
		return // NewSetWithoutLog has its three members
	}
	if s.Backlog == nil && s.Roadmap == nil && s.Log == nil && s.Requests == nil {
		trust := s.trust
		*s = *NewSet()
		s.trust = trust
		return
	}
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
	if s.noLog {
		return nil, errors.New("marshal set snapshot: the transparency log is not attached yet")
	}
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
	if s.noLog {
		return errors.New("read set snapshot: a set without a transparency log cannot take one")
	}
	var snap setSnapshot
	if err := unmarshalSnapshot(SetVersion, data, &snap); err != nil {
		return err
	}
	// The Log first: restoring it restores the folds it shares, which
	// the Set's own copies then replace (they are equal in any snapshot
	// a Set wrote).
	n := NewSet()
	if err := n.Log.UnmarshalSnapshot(snap.Log); err != nil {
		return err
	}
	for _, x := range n.members(&snap) {
		if x.m == n.Log {
			continue
		}
		if err := x.m.UnmarshalSnapshot(*x.raw); err != nil {
			return err
		}
	}
	s.init()
	if !s.Log.shares(s.Backlog, s.Roadmap, s.Requests) {
		// A Set composed by hand keeps a Log with folds of its own.
		own := NewLog()
		if err := own.UnmarshalSnapshot(snap.Log); err != nil {
			return err
		}
		n.Log = own
	} else {
		n.Log.backlog, n.Log.roadmap, n.Log.requests = s.Backlog, s.Roadmap, s.Requests
	}
	s.cur = snap.Cursor
	*s.Backlog, *s.Roadmap, *s.Log, *s.Requests, *s.gate = *n.Backlog, *n.Roadmap, *n.Log, *n.Requests, *n.gate
	return nil
}
