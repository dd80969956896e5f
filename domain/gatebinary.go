package domain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// GateBinaryVersion names the compact binary form of a read model's gate
// (AppendBinary). It holds what MarshalSnapshot's JSON holds, in the
// same canonical order, and restores the same gate: a read model's
// snapshot carries its gate, and restoring the JSON of a product of
// thousands of items took most of the time of an as-of answer. A change
// to what Gate or State holds needs a new version, as StateVersion does.
//
// gatebin/2: the ids of the events at the latest business time.
const GateBinaryVersion = "gatebin/2+" + GateVersion

// AppendBinary appends the gate's state to b: a read model's gate (see
// NewReadGate), whose state keeps no command ids a rule looks up. The
// encoding is unsigned varints, zig-zag varints and strings, each string
// written once (its first occurrence as 0, its length and its bytes, a
// later one as its index plus one); lists as their length. The same state
// always gives the same bytes.
func (g *Gate) AppendBinary(b []byte) ([]byte, error) {
	e := &binEnc{b: b, strs: map[string]uint64{}}
	e.str(GateBinaryVersion)
	s := g.st
	e.str(s.Product.ID)
	e.str(s.Product.Name)
	e.bool(s.Product.Exists)
	actors := slices.Sorted(maps.Keys(s.Product.Roles))
	held := actors[:0:0]
	for _, a := range actors {
		if len(s.Product.RolesOf(a)) > 0 {
			held = append(held, a)
		}
	}
	e.uint(uint64(len(held)))
	for _, a := range held {
		e.str(a)
		rs := s.Product.RolesOf(a)
		e.uint(uint64(len(rs)))
		for _, r := range rs {
			e.str(string(r))
		}
	}
	e.uint(uint64(len(s.Roadmap)))
	for _, id := range slices.Sorted(maps.Keys(s.Roadmap)) {
		r := s.Roadmap[id]
		e.str(id)
		e.str(r.Title)
		e.str(r.Period)
		e.bool(r.Dropped)
	}
	e.uint(uint64(len(s.Items)))
	for _, id := range slices.Sorted(maps.Keys(s.Items)) {
		it := s.Items[id]
		e.str(id)
		e.str(it.Title)
		e.str(string(it.Kind))
		e.str(string(it.Status))
		e.str(it.Epic)
		e.str(it.Roadmap)
	}
	e.uint(uint64(len(s.Requests)))
	for _, id := range slices.Sorted(maps.Keys(s.Requests)) {
		r := s.Requests[id]
		e.str(id)
		e.str(r.Requester)
		e.str(string(r.RequesterRole))
		e.str(r.Title)
		e.str(string(r.Status))
	}
	e.uint(uint64(len(s.commands.ring)))
	s.commands.each(func(id string, seq uint64) {
		e.str(id)
		e.uint(seq)
	})
	e.uint(s.LastSeq)
	e.time(s.LastAt)
	e.bool(s.Signed)
	e.uint(uint64(len(s.latest.ids)))
	for _, x := range s.latest.ids {
		e.str(x.id)
		e.uint(x.seq)
	}
	e.uint(uint64(len(g.pending)))
	for _, p := range g.pending {
		enc, err := Encode(p)
		if err != nil {
			return nil, err
		}
		e.uint(p.Seq)
		e.uint(uint64(len(enc)))
		e.b = append(e.b, enc...)
	}
	e.uint(uint64(max(g.need, 0)))
	e.str(g.runCmd)
	e.uint(uint64(max(g.runLen, 0)))
	e.uint(uint64(len(g.gaps)))
	for _, gap := range g.gaps {
		e.uint(gap.After)
		e.uint(gap.Prev)
		e.uint(gap.Seq)
	}
	return e.b, nil
}

// RestoreGateBinary reads what AppendBinary wrote for a read model's gate
// of product. It refuses, with an error that says why, bytes of another
// version or product and bytes that do not decode; it never panics.
func RestoreGateBinary(product string, data []byte) (*Gate, error) {
	d := newBinDec(data)
	if v := d.str(); d.err == nil && v != GateBinaryVersion {
		return nil, fmt.Errorf("gate snapshot has version %q, this ledger reads %q", v, GateBinaryVersion)
	}
	s := NewState(product)
	if id := d.str(); d.err == nil && id != product {
		return nil, fmt.Errorf("gate snapshot is of product %q, not %q", id, product)
	}
	s.Product.Name, s.Product.Exists = d.str(), d.bool()
	for range d.count() {
		a := d.str()
		n := d.count()
		rs := make(map[Role]bool, n)
		for range n {
			rs[Role(d.str())] = true
		}
		s.Product.Roles[a] = rs
	}
	if n := d.count(); n > 0 {
		s.Roadmap = make(map[string]RoadmapItem, n)
		for range n {
			id := d.str()
			s.Roadmap[id] = RoadmapItem{ID: id, Title: d.str(), Period: d.str(), Dropped: d.bool()}
		}
	}
	if n := d.count(); n > 0 {
		s.Items = make(map[string]Item, n)
		for range n {
			id := d.str()
			s.Items[id] = Item{ID: id, Title: d.str(), Kind: ItemKind(d.str()), Status: ItemStatus(d.str()), Epic: d.str(), Roadmap: d.str()}
		}
	}
	if n := d.count(); n > 0 {
		s.Requests = make(map[string]Request, n)
		for range n {
			id := d.str()
			s.Requests[id] = Request{ID: id, Requester: d.str(), RequesterRole: Role(d.str()), Title: d.str(), Status: RequestStatus(d.str())}
		}
	}
	// Take every id in, then keep the newest that fit a read gate's bound,
	// as RestoreState does.
	n := d.count()
	s.commands = commandLog{limit: max(gateCommandLimit, n, 1), seqs: make(map[string]uint64, n), ring: make([]string, 0, n)}
	for range n {
		id := d.str()
		s.commands.add(id, d.uint())
	}
	if d.err == nil && len(s.commands.ring) != n {
		return nil, fmt.Errorf("gate snapshot is inconsistent: its command log does not hold %d distinct ids", n)
	}
	s.commands.setLimit(gateCommandLimit)
	s.LastSeq, s.LastAt, s.Signed = d.uint(), d.time(), d.bool()
	for range d.count() {
		id := d.str()
		s.latest.add(id, d.uint())
	}
	g := &Gate{st: s}
	for range d.count() {
		seq := d.uint()
		raw := d.raw()
		if d.err != nil {
			break
		}
		e, err := Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("gate snapshot: pending event: %w", err)
		}
		e.Seq = seq
		g.pending = append(g.pending, e)
	}
	g.need, g.runCmd, g.runLen = d.small(), d.str(), d.small()
	for range d.count() {
		g.gaps = append(g.gaps, Gap{After: d.uint(), Prev: d.uint(), Seq: d.uint()})
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("bytes are left over")
	}
	if d.err != nil {
		return nil, fmt.Errorf("gate snapshot does not decode: %w", d.err)
	}
	return g, nil
}

// binEnc writes the encoding of AppendBinary.
type binEnc struct {
	b    []byte
	strs map[string]uint64
}

func (e *binEnc) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *binEnc) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

func (e *binEnc) str(s string) {
	if i, ok := e.strs[s]; ok {
		e.uint(i + 1)
		return
	}
	e.strs[s] = uint64(len(e.strs))
	e.uint(0)
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// time writes an instant with its zone offset; the zero time as 0.
func (e *binEnc) time(t time.Time) {
	if t.IsZero() {
		e.uint(0)
		return
	}
	_, off := t.Zone()
	e.uint(1)
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.uint(uint64(t.Nanosecond()))
	e.b = binary.AppendVarint(e.b, int64(off))
}

// binDec reads it; the first malformed or missing byte sets err, and
// every read after it returns zero values. The strings it reads are
// substrings of one copy of the input, s, rather than one allocation
// each: a gate of 5,000 items and 2,500 requests reads tens of thousands
// of them, and the state keeps them alive either way.
type binDec struct {
	b    []byte
	s    string // the whole input, which strings are cut from
	strs []string
	err  error
}

func newBinDec(data []byte) *binDec { return &binDec{b: data, s: string(data)} }

func (d *binDec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s at %d bytes from the end", what, len(d.b))
	}
}

func (d *binDec) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("a number is cut short")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *binDec) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("a number is cut short")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of things that take at least a byte each: one
// beyond the bytes left is refused before anything is allocated.
func (d *binDec) count() int {
	v := d.uint()
	if v > uint64(len(d.b)) {
		d.fail("a count is larger than the bytes left")
		return 0
	}
	return int(v)
}

// small reads a number that must fit an int32: a length of a run.
func (d *binDec) small() int {
	v := d.uint()
	if v > math.MaxInt32 {
		d.fail("a number is out of range")
		return 0
	}
	return int(v)
}

func (d *binDec) bool() bool {
	switch d.uint() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("a flag is neither 0 nor 1")
	return false
}

func (d *binDec) str() string {
	i := d.uint()
	if d.err != nil {
		return ""
	}
	if i > 0 {
		if i > uint64(len(d.strs)) {
			d.fail("a string refers to one not read yet")
			return ""
		}
		return d.strs[i-1]
	}
	raw := d.raw()
	if d.err != nil {
		return ""
	}
	end := len(d.s) - len(d.b) // raw ends where the bytes left begin
	s := d.s[end-len(raw) : end]
	d.strs = append(d.strs, s)
	return s
}

// raw reads a length and that many bytes, which share the input's memory.
func (d *binDec) raw() []byte {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("bytes are cut short")
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *binDec) time() time.Time {
	if !d.bool() {
		return time.Time{}
	}
	sec, nsec, off := d.int(), d.uint(), d.int()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 || off <= -86400 || off >= 86400 {
		d.fail("a time is out of range")
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}
