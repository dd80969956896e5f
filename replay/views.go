package replay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// ViewsVersion is the version of a Views snapshot; it embeds the versions
// of its members and of their binary encoding, so a change to any of
// them retires old snapshots.
const ViewsVersion = "views/3+" + domain.GateBinaryVersion + "+" + projections.BacklogVersion + "+" +
	projections.RoadmapVersion + "+" + projections.RequestsVersion + "+" + projections.CodecVersion

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

// Members names members of Views, for an answer that needs only some of
// them (NewViewsOf, AsOfViewsOf).
type Members uint8

// The members of Views; AllMembers is every one.
const (
	MemberBacklog Members = 1 << iota
	MemberRoadmap
	MemberRequests
	AllMembers = MemberBacklog | MemberRoadmap | MemberRequests
)

// NewViews returns empty Views.
func NewViews() *Views { return NewViewsOf(AllMembers) }

// NewViewsOf returns empty Views holding only the members m names (and
// the gate, which every member folds behind); the others are nil. They
// fold and restore what they hold: restoring a snapshot into them
// decodes only those members, which is what an answer about one view
// saves on a long-lived product (the backlog of 5,000 items is half a
// snapshot, the roadmap and requests a fifth). They are never
// snapshotted: MarshalSnapshot fails unless every member is held.
func NewViewsOf(m Members) *Views {
	v := &Views{Gate: projections.NewGate()}
	if m&MemberBacklog != 0 {
		v.Backlog = projections.NewBacklog()
	}
	if m&MemberRoadmap != 0 {
		v.Roadmap = projections.NewRoadmap()
	}
	if m&MemberRequests != 0 {
		v.Requests = projections.NewRequests()
	}
	return v
}

// Members returns the members v holds.
func (v *Views) Members() Members {
	var m Members
	if v.Backlog != nil {
		m |= MemberBacklog
	}
	if v.Roadmap != nil {
		m |= MemberRoadmap
	}
	if v.Requests != nil {
		m |= MemberRequests
	}
	return m
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
	if v.Backlog != nil {
		v.Backlog.Apply(a)
	}
	if v.Roadmap != nil {
		v.Roadmap.Apply(a)
	}
	if v.Requests != nil {
		v.Requests.Apply(a)
	}
}

// Pending reports whether the validating fold holds the first events of a
// decision whose other events have not been read yet.
func (v *Views) Pending() bool { return v.Gate.Pending() }

// Reset empties every member.
func (v *Views) Reset() {
	*v.Gate = *projections.NewGate()
	if v.Backlog != nil {
		v.Backlog.Reset()
	}
	if v.Roadmap != nil {
		v.Roadmap.Reset()
	}
	if v.Requests != nil {
		v.Requests.Reset()
	}
}

// Position is the Seq of the last event applied, 0 if none.
func (v *Views) Position() uint64 {
	switch {
	case v.Backlog != nil:
		return v.Backlog.Position()
	case v.Roadmap != nil:
		return v.Roadmap.Position()
	case v.Requests != nil:
		return v.Requests.Position()
	}
	return 0
}

// Skipped returns how many events had a payload this version cannot
// read, and the Seq of the first of them: the backlog's count, or the
// requests' when that is higher (the members see the same events, so
// they agree), the roadmap's when neither is held.
func (v *Views) Skipped() (count int, firstSeq uint64) {
	held := false
	if v.Backlog != nil {
		count, firstSeq = v.Backlog.Skipped()
		held = true
	}
	if v.Requests != nil {
		if n, f := v.Requests.Skipped(); n > count || !held {
			count, firstSeq = n, f
		}
		held = true
	}
	if v.Roadmap != nil && !held {
		count, firstSeq = v.Roadmap.Skipped()
	}
	return count, firstSeq
}

// Version returns ViewsVersion.
func (v *Views) Version() string { return ViewsVersion }

// MarshalSnapshot writes every member's state: ViewsVersion, then the
// members' compact binary snapshots (projections' AppendBinary),
// compressed with zstd (see viewsCodec).
func (v *Views) MarshalSnapshot() ([]byte, error) {
	bp := bodyBufs.Get().(*[]byte)
	defer bodyBufs.Put(bp)
	body, err := v.appendBinary((*bp)[:0])
	if err != nil {
		return nil, err
	}
	*bp = body
	return encodeViews(body), nil
}

// capture is the first step of MarshalSnapshot, under the lock that keeps
// v still: the members' binary snapshots, a copy of their state. The
// second, the body's compression, most of a snapshot's time past a few
// thousand items, runs outside it (Snapshotter.Write).
func (v *Views) capture() ([]byte, func([]byte) []byte, error) {
	bp := bodyBufs.Get().(*[]byte)
	body, err := v.appendBinary((*bp)[:0])
	if err != nil {
		bodyBufs.Put(bp)
		return nil, nil, err
	}
	return body, func(body []byte) []byte {
		out := encodeViews(body)
		*bp = body
		bodyBufs.Put(bp)
		return out
	}, nil
}

var _ twoStep = (*Views)(nil)

// bodyBufs holds the buffers bodies are written into before they are
// compressed: a product's body is megabytes, written every thousand
// events, and a rebuild of every product writes several at once; reusing
// them keeps that off the heap a rebuild's peak is measured by.
var bodyBufs = sync.Pool{New: func() any { return new([]byte) }}

// UnmarshalSnapshot replaces every member's state with a snapshot's; on
// any error (one wrapping projections.ErrSnapshotVersion among them) the
// Views are left unchanged.
func (v *Views) UnmarshalSnapshot(data []byte) error {
	body, err := decodeViews(data)
	if err != nil {
		return err
	}
	return v.unmarshalBinary(body)
}

// errPartialViews refuses to snapshot Views that hold only some members.
var errPartialViews = errors.New("views snapshot: these views hold only some of the members, and a snapshot holds every one")

// appendBinary appends the members' binary snapshots, each after its
// length.
func (v *Views) appendBinary(out []byte) ([]byte, error) {
	if v.Members() != AllMembers {
		return nil, errPartialViews
	}
	members := []interface{ AppendBinary([]byte) ([]byte, error) }{v.Backlog, v.Roadmap, v.Requests, v.Gate}
	for _, m := range members {
		// Written in place after room for the longest length, which then
		// moves up against it: no copy of the member is held on the side.
		at := len(out)
		out = append(out, make([]byte, binary.MaxVarintLen64)...)
		var err error
		if out, err = m.AppendBinary(out); err != nil {
			return nil, fmt.Errorf("views snapshot: %w", err)
		}
		size := len(out) - at - binary.MaxVarintLen64
		k := binary.PutUvarint(out[at:], uint64(size))
		copy(out[at+k:], out[at+binary.MaxVarintLen64:])
		out = out[:at+k+size]
	}
	return out, nil
}

// unmarshalBinary reads what appendBinary wrote into fresh members and
// takes them only when all of them decode and agree. Of the backlog,
// roadmap and requests it decodes only the ones v holds: the members are
// framed by their lengths and never refer to one another's bytes, so the
// others are stepped over.
func (v *Views) unmarshalBinary(body []byte) error {
	n := NewViewsOf(v.Members())
	type member interface {
		UnmarshalBinary([]byte) error
		Position() uint64
	}
	var members [3]member // backlog, roadmap, requests, in the snapshot's order
	if n.Backlog != nil {
		members[0] = n.Backlog
	}
	if n.Roadmap != nil {
		members[1] = n.Roadmap
	}
	if n.Requests != nil {
		members[2] = n.Requests
	}
	var errs []error
	for i := range len(members) + 1 {
		size, k := binary.Uvarint(body)
		if k <= 0 || size > uint64(len(body)-k) {
			return errors.New("read views snapshot: a member is cut short")
		}
		switch data := body[k : k+int(size)]; {
		case i == len(members):
			errs = append(errs, n.Gate.UnmarshalBinary(data))
		case members[i] != nil:
			errs = append(errs, members[i].UnmarshalBinary(data))
		}
		body = body[k+int(size):]
	}
	if len(body) != 0 {
		errs = append(errs, errors.New("bytes are left over"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("read views snapshot: %w", err)
	}
	var at []string
	agree := true
	for _, m := range members {
		if m != nil {
			at = append(at, strconv.FormatUint(m.Position(), 10))
			agree = agree && at[len(at)-1] == at[0]
		}
	}
	if !agree {
		last := len(at) - 1
		return fmt.Errorf("views snapshot is inconsistent: its members stand at sequences %s and %s", strings.Join(at[:last], ", "), at[last])
	}
	if n.Backlog != nil {
		*v.Backlog = *n.Backlog
	}
	if n.Roadmap != nil {
		*v.Roadmap = *n.Roadmap
	}
	if n.Requests != nil {
		*v.Requests = *n.Requests
	}
	*v.Gate = *n.Gate
	return nil
}

// clone returns a deep copy of v, through its binary snapshot.
func (v *Views) clone() (*Views, error) {
	b, err := v.appendBinary(nil)
	if err != nil {
		return nil, err
	}
	c := NewViews()
	if err := c.unmarshalBinary(b); err != nil {
		return nil, err
	}
	return c, nil
}
