package replay

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// appendBinary appends the members' binary snapshots, each after its
// length.
func (v *Views) appendBinary(out []byte) ([]byte, error) {
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
// takes them only when all of them decode and agree.
func (v *Views) unmarshalBinary(body []byte) error {
	n := NewViews()
	members := []interface{ UnmarshalBinary([]byte) error }{n.Backlog, n.Roadmap, n.Requests, n.Gate}
	var errs []error
	for _, m := range members {
		size, k := binary.Uvarint(body)
		if k <= 0 || size > uint64(len(body)-k) {
			return errors.New("read views snapshot: a member is cut short")
		}
		errs = append(errs, m.UnmarshalBinary(body[k:k+int(size)]))
		body = body[k+int(size):]
	}
	if len(body) != 0 {
		errs = append(errs, errors.New("bytes are left over"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("read views snapshot: %w", err)
	}
	if n.Backlog.Position() != n.Roadmap.Position() || n.Backlog.Position() != n.Requests.Position() {
		return fmt.Errorf("views snapshot is inconsistent: its members stand at sequences %d, %d and %d",
			n.Backlog.Position(), n.Roadmap.Position(), n.Requests.Position())
	}
	*v.Backlog, *v.Roadmap, *v.Requests, *v.Gate = *n.Backlog, *n.Roadmap, *n.Requests, *n.Gate
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
