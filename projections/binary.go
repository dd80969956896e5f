package projections

import (
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// The compact binary snapshots of the folds whose size follows the
// product rather than its history (see codec.go for the encoding). They
// hold what MarshalSnapshot's JSON holds and restore the same state,
// nil and empty alike, an order of magnitude faster: what an as-of
// answer starts from. Each begins with the fold's version and
// CodecVersion, so a snapshot of another is refused with
// ErrSnapshotVersion.

// header writes the versions a binary snapshot begins with.
func (e *enc) header(version string) {
	e.str(version)
	e.str(CodecVersion)
}

// header reads them and refuses another version.
func (d *dec) header(version string) error {
	v, c := d.str(), d.str()
	if d.err != nil {
		return fmt.Errorf("read %s binary snapshot: %w", version, d.err)
	}
	if v != version || c != CodecVersion {
		return fmt.Errorf("binary snapshot written by %q (%q), this fold is %q (%q); rebuild from history: %w",
			v, c, version, CodecVersion, ErrSnapshotVersion)
	}
	return nil
}

// AppendBinary appends the whole backlog state to b in the compact
// binary encoding, deterministically.
func (b *Backlog) AppendBinary(out []byte) ([]byte, error) {
	e := newEnc(out)
	e.header(BacklogVersion)
	st := &b.st
	e.cursor(st.Cursor)
	e.length(len(st.Items), st.Items == nil)
	for _, id := range sortedKeys(st.Items) {
		e.str(id)
		it := st.Items[id]
		e.bool(it != nil)
		if it != nil {
			e.item(it, b.rankOf(it))
		}
	}
	e.strings(st.Open)
	e.strings(st.Closed)
	return e.b, nil
}

// item writes it, whose rank is rank (the backlog keeps the rank as the
// item's place, not in the item).
func (e *enc) item(it *Item, rank int) {
	e.str(it.ID)
	e.str(it.Title)
	e.str(string(it.Kind))
	e.str(it.Detail)
	e.str(it.Epic)
	e.str(it.Roadmap)
	e.str(string(it.Status))
	e.int(int64(rank))
	e.floatPtr(it.Estimate)
	e.bool(it.Score != nil)
	if s := it.Score; s != nil {
		e.str(s.Framework)
		e.length(len(s.Inputs), s.Inputs == nil)
		for _, k := range sortedKeys(s.Inputs) {
			e.str(k)
			e.float(s.Inputs[k])
		}
		e.floatPtr(s.Value)
		e.str(s.Formula)
	}
	e.str(it.Request)
	e.time(it.AddedAt)
	e.timePtr(it.StartedAt)
	e.timePtr(it.DeliveredAt)
	e.timePtr(it.RemovedAt)
	e.str(it.Release)
	e.decisionRef(it.LastDecision)
}

// UnmarshalBinary replaces the state with a binary snapshot's. A snapshot
// of another fold or codec version fails with ErrSnapshotVersion; on any
// error the backlog is unchanged.
func (b *Backlog) UnmarshalBinary(data []byte) error {
	d := newDec(data)
	if err := d.header(BacklogVersion); err != nil {
		return err
	}
	var st backlogState
	st.Cursor = d.cursor()
	if n, isNil := d.length(); !isNil {
		st.Items = make(map[string]*Item, n)
		slab := make([]Item, n)
		for i := range n {
			id := d.str()
			if d.bool() {
				d.item(&slab[i])
				st.Items[id] = &slab[i]
			} else {
				st.Items[id] = nil
			}
			if d.err != nil {
				break
			}
		}
	}
	st.Open = d.strings()
	st.Closed = d.strings()
	if err := d.end(); err != nil {
		return fmt.Errorf("read %s binary snapshot: %w", BacklogVersion, err)
	}
	*b = Backlog{st: st}
	b.sync()
	return nil
}

func (d *dec) item(it *Item) {
	*it = Item{ID: d.str(), Title: d.str(), Kind: domain.ItemKind(d.str()), Detail: d.str(), Epic: d.str(),
		Roadmap: d.str(), Status: domain.ItemStatus(d.str()), Rank: d.count(), Estimate: d.floatPtr()}
	if d.bool() {
		s := &Score{Framework: d.str()}
		if n, isNil := d.length(); !isNil {
			s.Inputs = make(map[string]float64, n)
			for range n {
				k := d.str()
				s.Inputs[k] = d.float()
			}
		}
		s.Value = d.floatPtr()
		s.Formula = d.str()
		it.Score = s
	}
	it.Request = d.str()
	it.AddedAt = d.time()
	it.StartedAt = d.timePtr()
	it.DeliveredAt = d.timePtr()
	it.RemovedAt = d.timePtr()
	it.Release = d.str()
	it.LastDecision = d.decisionRef()
}

// AppendBinary appends the whole roadmap state to b in the compact binary
// encoding, deterministically.
func (r *Roadmap) AppendBinary(out []byte) ([]byte, error) {
	e := newEnc(out)
	e.header(RoadmapVersion)
	st := &r.st
	e.cursor(st.Cursor)
	e.length(len(st.Items), st.Items == nil)
	for _, id := range sortedKeys(st.Items) {
		e.str(id)
		it := st.Items[id]
		e.bool(it != nil)
		if it == nil {
			continue
		}
		e.str(it.ID)
		e.str(it.Title)
		e.str(it.Objective)
		e.str(it.Period)
		e.str(string(it.Status))
		e.int(int64(it.Rank))
		e.time(it.PlannedAt)
		e.timePtr(it.DroppedAt)
		e.timePtr(it.DeliveredAt)
		e.bool(it.Late)
		e.strings(it.Items)
		e.int(int64(it.Progress.Total))
		e.int(int64(it.Progress.Delivered))
		e.int(int64(it.Progress.InProgress))
		e.decisionRef(it.LastDecision)
	}
	e.length(len(st.Orders), st.Orders == nil)
	for _, p := range sortedKeys(st.Orders) {
		e.str(p)
		e.strings(st.Orders[p])
	}
	e.length(len(st.Links), st.Links == nil)
	for _, id := range sortedKeys(st.Links) {
		e.str(id)
		l := st.Links[id]
		e.bool(l != nil)
		if l != nil {
			e.str(l.Roadmap)
			e.str(string(l.Status))
			e.timePtr(l.DeliveredAt)
		}
	}
	e.strings(st.Seen)
	return e.b, nil
}

// UnmarshalBinary replaces the state with a binary snapshot's. A snapshot
// of another fold or codec version fails with ErrSnapshotVersion; on any
// error the roadmap is unchanged.
func (r *Roadmap) UnmarshalBinary(data []byte) error {
	d := newDec(data)
	if err := d.header(RoadmapVersion); err != nil {
		return err
	}
	var st roadmapState
	st.Cursor = d.cursor()
	if n, isNil := d.length(); !isNil {
		st.Items = make(map[string]*RoadmapItem, n)
		for range n {
			id := d.str()
			if !d.bool() {
				st.Items[id] = nil
				continue
			}
			it := &RoadmapItem{ID: d.str(), Title: d.str(), Objective: d.str(), Period: d.str(),
				Status: RoadmapStatus(d.str()), Rank: d.count(), PlannedAt: d.time(), DroppedAt: d.timePtr(),
				DeliveredAt: d.timePtr(), Late: d.bool(), Items: d.strings()}
			it.Progress = Progress{Total: d.count(), Delivered: d.count(), InProgress: d.count()}
			it.LastDecision = d.decisionRef()
			st.Items[id] = it
			if d.err != nil {
				break
			}
		}
	}
	if n, isNil := d.length(); !isNil {
		st.Orders = make(map[string]order, n)
		for range n {
			p := d.str()
			st.Orders[p] = d.strings()
			if d.err != nil {
				break
			}
		}
	}
	if n, isNil := d.length(); !isNil {
		st.Links = make(map[string]*link, n)
		for range n {
			id := d.str()
			if d.bool() {
				st.Links[id] = &link{Roadmap: d.str(), Status: Status(d.str()), DeliveredAt: d.timePtr()}
			} else {
				st.Links[id] = nil
			}
			if d.err != nil {
				break
			}
		}
	}
	st.Seen = d.strings()
	if err := d.end(); err != nil {
		return fmt.Errorf("read %s binary snapshot: %w", RoadmapVersion, err)
	}
	r.st = st
	return nil
}

// AppendBinary appends the whole state to b in the compact binary
// encoding, deterministically.
func (q *Requests) AppendBinary(out []byte) ([]byte, error) {
	e := newEnc(out)
	e.header(RequestsVersion)
	st := &q.st
	e.cursor(st.Cursor)
	e.length(len(st.Requests), st.Requests == nil)
	for _, id := range sortedKeys(st.Requests) {
		e.str(id)
		r := st.Requests[id]
		e.bool(r != nil)
		if r == nil {
			continue
		}
		e.str(r.ID)
		e.str(r.Requester)
		e.str(r.Title)
		e.str(r.Detail)
		e.str(r.BusinessCase)
		e.str(string(r.Status))
		e.time(r.SubmittedAt)
		e.timePtr(r.DecidedAt)
		e.str(r.DecidedBy)
		e.str(string(r.DecidedRole))
		e.str(string(r.Reason))
		e.str(r.Why)
		e.str(r.DeferredUntil)
		e.str(r.Item)
		e.bool(r.Wait != nil)
		if r.Wait != nil {
			e.int(int64(*r.Wait))
		}
		e.str(r.Repeats)
		e.bool(r.Comeback)
	}
	e.length(len(st.Comebacks), st.Comebacks == nil)
	for _, k := range sortedKeys(st.Comebacks) {
		e.str(k)
		e.int(int64(st.Comebacks[k]))
	}
	return e.b, nil
}

// UnmarshalBinary replaces the state with a binary snapshot's. A snapshot
// of another fold or codec version fails with ErrSnapshotVersion; on any
// error the projection is unchanged.
func (q *Requests) UnmarshalBinary(data []byte) error {
	d := newDec(data)
	if err := d.header(RequestsVersion); err != nil {
		return err
	}
	var st requestsState
	st.Cursor = d.cursor()
	if n, isNil := d.length(); !isNil {
		st.Requests = make(map[string]*Request, n)
		for range n {
			id := d.str()
			if !d.bool() {
				st.Requests[id] = nil
				continue
			}
			r := &Request{ID: d.str(), Requester: d.str(), Title: d.str(), Detail: d.str(), BusinessCase: d.str(),
				Status: domain.RequestStatus(d.str()), SubmittedAt: d.time(), DecidedAt: d.timePtr(), DecidedBy: d.str(),
				DecidedRole: domain.Role(d.str()), Reason: domain.ReasonCode(d.str()), Why: d.str(),
				DeferredUntil: d.str(), Item: d.str()}
			if d.bool() {
				w := time.Duration(d.int())
				r.Wait = &w
			}
			r.Repeats = d.str()
			r.Comeback = d.bool()
			st.Requests[id] = r
			if d.err != nil {
				break
			}
		}
	}
	if n, isNil := d.length(); !isNil {
		st.Comebacks = make(map[string]int, n)
		for range n {
			k := d.str()
			st.Comebacks[k] = d.count()
			if d.err != nil {
				break
			}
		}
	}
	if err := d.end(); err != nil {
		return fmt.Errorf("read %s binary snapshot: %w", RequestsVersion, err)
	}
	q.st = st
	return nil
}

// gateBinaryVersion names the projections' part of a gate's binary
// snapshot; the domain gate's own state follows it in its own encoding
// (domain.Gate.AppendBinary), which names its version.
const gateBinaryVersion = "gate/1"

// AppendBinary appends the gate's state to b in the compact binary
// encoding.
func (g *Gate) AppendBinary(out []byte) ([]byte, error) {
	e := newEnc(out)
	e.header(gateBinaryVersion)
	e.int(int64(g.count))
	e.length(len(g.list), g.list == nil)
	for _, q := range g.list {
		e.uint(q.Seq)
		e.str(q.Type)
		e.str(q.Subject)
		e.str(q.Actor)
		e.str(q.Reason)
	}
	e.bool(g.g != nil)
	if g.g == nil {
		return e.b, nil
	}
	e.str(g.g.State().Product.ID)
	inner, err := g.g.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	e.bytes(inner)
	return e.b, nil
}

// UnmarshalBinary replaces the gate's state with a binary snapshot's; on
// error it is unchanged.
func (g *Gate) UnmarshalBinary(data []byte) error {
	d := newDec(data)
	if err := d.header(gateBinaryVersion); err != nil {
		return err
	}
	n := Gate{count: d.count()}
	if k, isNil := d.length(); !isNil {
		n.list = make([]Quarantine, k)
		for i := range n.list {
			n.list[i] = Quarantine{Seq: d.uint(), Type: d.str(), Subject: d.str(), Actor: d.str(), Reason: d.str()}
		}
	}
	if d.bool() {
		product := d.str()
		inner := d.bytes()
		if d.err == nil {
			dg, err := domain.RestoreGateBinary(product, inner)
			if err != nil {
				return fmt.Errorf("read gate binary snapshot: %w", err)
			}
			n.g = dg
		}
	}
	if err := d.end(); err != nil {
		return fmt.Errorf("read gate binary snapshot: %w", err)
	}
	*g = n
	return nil
}
