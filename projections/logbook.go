package projections

import (
	"encoding/binary"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/decisionledger/ledger/domain"
)

// The transparency log keeps every decision of the history, so what it
// keeps per decision is what a long history costs, in memory and in the
// garbage collector's work: the collector scans every pointer of the live
// heap on every cycle, and a million decisions held as Decision values
// (strings, change lines, links, scores with their maps, and on a rank
// the list of every item it jumped over) are hundreds of millions of
// pointers. So a chain keeps its decisions encoded in one byte slice,
// which holds no pointer and is never scanned, and the log materialises
// the public Decision values only when a chain is read.
//
// A decision is encoded as a run of unsigned varints, zig-zag varints and
// 8-byte little-endian floats. Free text that is new on every decision
// (the why, the event id, the change lines, an import's source) is
// written inline, its length and its bytes; the strings that recur (the
// type, actor, role and reason, the ids of the items linked,
// frameworks, score input names, formulas) as their index in the log's
// string table, and an override (an item, its framework and its score,
// which stay the same over all the ranks that jump over it until it is
// scored again) as its index in the log's table of overrides, two or
// three bytes. The encoding
// lives only in memory: snapshots of the log write the Decision values as
// before.

// book is the log's string table, and the few instants that do not come
// back exactly from their Unix time in UTC (a time with a zone, or with a
// monotonic reading, which a decision made in this process carries).
type book struct {
	strs  []string
	index map[string]uint64
	// recent remembers the index of a string by the address of its
	// bytes. Most strings interned are the same few thousand item ids
	// (a rank over a long backlog overrides hundreds), handed over as
	// the same string each time, so an address and a length compared
	// find them without hashing or reading the bytes. The entry holds
	// the string, so its bytes stay where they are while it is there.
	recent []recentStr
	// empty is the index of "" plus one, 0 until it is interned: most
	// decisions have no reason, no via and some links empty.
	empty uint64
	// overrides are the distinct overrides of every rank: an item keeps
	// its score until it is scored again, so the ranks that jump over it
	// meanwhile list the same override, and a rank's list is a list of
	// indexes here. latest is, by the index of an item's id, the index of
	// its latest override plus one.
	overrides   []override
	overrideIdx map[override]uint64
	latest      []uint64
	times       []time.Time
	// order is the history of the backlog's open order, and scores the
	// scores of the items its lists name, by the item's string index, in
	// the order they were noted (logorder.go).
	order  orderLog
	scores [][]scoreRec
	// scratch is where appendDecision encodes a decision before it
	// copies it to its chain.
	scratch []byte
	// whys are the whys seen lately, by their hash (logtext.go).
	whys []recentWhy
}

// override is an Override as the book holds it, with the score's bits.
type override struct {
	id, framework, score uint64
}

// override returns the index of o among the book's overrides.
func (k *book) override(o Override) uint64 {
	x := override{k.intern(o.ID), k.intern(o.Framework), math.Float64bits(o.Score)}
	if x.id < uint64(len(k.latest)) {
		if j := k.latest[x.id]; j > 0 && k.overrides[j-1] == x {
			return j - 1
		}
	}
	j, ok := k.overrideIdx[x]
	if !ok {
		if k.overrideIdx == nil {
			k.overrideIdx = map[override]uint64{}
		}
		j = uint64(len(k.overrides))
		k.overrides = append(k.overrides, x)
		k.overrideIdx[x] = j
	}
	if x.id >= uint64(len(k.latest)) {
		k.latest = append(k.latest, make([]uint64, int(x.id)+1-len(k.latest))...)
	}
	k.latest[x.id] = j + 1
	return j
}

type recentStr struct {
	s string
	i uint64
}

// recentSize is the number of places in book.recent, a power of two; the
// table is made once the book holds recentFrom strings (a log told from
// a snapshot for one decision never needs it).
const (
	recentSize = 16384
	recentFrom = 64
)

func (k *book) intern(s string) uint64 {
	if len(s) == 0 {
		if k.empty == 0 {
			k.empty = k.lookup(s) + 1
		}
		return k.empty - 1
	}
	if k.recent == nil {
		return k.lookup(s)
	}
	p := unsafe.StringData(s)
	at := uintptr(unsafe.Pointer(p))
	c := &k.recent[(at>>3^at>>15)&(recentSize-1)]
	if unsafe.StringData(c.s) != p || len(c.s) != len(s) {
		*c = recentStr{s, k.lookup(s)}
	}
	return c.i
}

// lookup is intern through the map.
func (k *book) lookup(s string) uint64 {
	if i, ok := k.index[s]; ok {
		return i
	}
	if k.index == nil {
		k.index = map[string]uint64{}
	}
	i := uint64(len(k.strs))
	k.strs = append(k.strs, s)
	k.index[s] = i
	if len(k.strs) == recentFrom {
		k.recent = make([]recentStr, recentSize)
	}
	return i
}

// The flags that open an encoded decision, the common ones first: a
// decision whose flags are all under 128 spends one byte on them.
const (
	recChanges = 1 << iota // Changes is not nil
	recLinks
	recIDAt      // EventID is a ULID of At's millisecond: its entropy alone
	recPlaced    // OverridesScore as places in the open order (logorder.go)
	recScore     //
	recOverrides // OverridesScore is not nil, item by item
	recTime      // At is in the book's times
	recSource
	recOutside
	recIDBin // EventID is a ULID of another time: its 16 bytes
)

// span is where a rank decision's overrides are in the open order the
// log keeps: among places lo to hi-1, open being the backlog's order;
// hint is where the backlog found them, if it says.
type span struct {
	lo, hi int
	open   order
	hint   []int32
}

// appendDecision appends the encoding of d to b, a chain's encoding.
// jumped, when not nil, is where a rank's overrides are in the order the
// log keeps.
//
// A chain's bytes live as long as the log, and so does their spare room:
// grown by append, a short slice doubles, and over a million decisions
// the chains held 111 MiB for 92 of encoding. So the decision is encoded
// in the book's scratch buffer first, and the chain grows, when it must,
// to what it holds plus an eighth: more copies while it is short (a few
// hundred bytes), a fraction of the spare room for good.
func (k *book) appendDecision(b []byte, d *Decision, jumped *span) []byte {
	rec := k.encodeDecision(k.scratch[:0], d, jumped)
	k.scratch = rec[:0]
	if n := len(b) + len(rec); n > cap(b) {
		// slices.Grow of nil gives the whole size class as capacity.
		b = append(slices.Grow([]byte(nil), n+len(b)/8), b...)
	}
	return append(b, rec...)
}

// encodeDecision appends the encoding of d to b.
func (k *book) encodeDecision(b []byte, d *Decision, jumped *span) []byte {
	var flags uint64
	if d.Source != nil {
		flags |= recSource
	}
	if d.OutsideAuthority {
		flags |= recOutside
	}
	if d.Changes != nil {
		flags |= recChanges
	}
	if d.Links != nil {
		flags |= recLinks
	}
	var placed []byte
	if len(d.OverridesScore) > 0 && jumped != nil {
		var ok bool
		if placed, ok = k.appendPlaced(nil, d.OverridesScore, jumped.lo, jumped.hi, jumped.open, jumped.hint); ok {
			flags |= recPlaced
		}
	}
	if d.OverridesScore != nil && flags&recPlaced == 0 {
		flags |= recOverrides
	}
	id, idFlag := ulidBytes(d.EventID, d.At)
	flags |= idFlag
	if d.Score != nil {
		flags |= recScore
	}
	// Room for all of it, so that a long list of overrides grows the
	// buffer once.
	b = slices.Grow(b, 64+len(d.Why)+len(d.EventID)+16*len(d.Changes)+len(placed))
	sec, nsec := d.At.Unix(), d.At.Nanosecond()
	if time.Unix(sec, int64(nsec)).UTC() != d.At {
		flags |= recTime
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, d.Seq)
	b = k.appendStr(b, d.Type)
	b = k.appendStr(b, d.Actor)
	b = k.appendStr(b, string(d.Role))
	if flags&recTime != 0 {
		b = binary.AppendUvarint(b, uint64(len(k.times)))
		k.times = append(k.times, d.At)
	} else {
		b = binary.AppendVarint(b, sec)
		b = binary.AppendUvarint(b, uint64(nsec))
	}
	b = k.appendWhy(b, d.Why)
	if s := d.Source; s != nil {
		b = appendText(b, s.System)
		b = appendText(b, s.Key)
		b = appendText(b, s.URL)
		b = appendText(b, s.Change)
		b = appendText(b, s.Author)
	}
	switch idFlag {
	case recIDAt:
		b = append(b, id[6:]...)
	case recIDBin:
		b = append(b, id[:]...)
	default:
		b = appendText(b, d.EventID)
	}
	b = k.appendStr(b, string(d.Reason))
	if d.Changes != nil {
		b = binary.AppendUvarint(b, uint64(len(d.Changes)))
		for _, c := range d.Changes {
			b = k.appendChange(b, c)
		}
	}
	if l := d.Links; l != nil {
		b = k.appendStr(b, l.Request)
		b = k.appendStr(b, l.Item)
		b = k.appendStr(b, l.Epic)
		b = k.appendStr(b, l.Roadmap)
		b = k.appendStr(b, l.Repeats)
	}
	if flags&recPlaced != 0 {
		b = append(b, placed...)
	} else if d.OverridesScore != nil {
		b = binary.AppendUvarint(b, uint64(len(d.OverridesScore)))
		for _, o := range d.OverridesScore {
			b = binary.AppendUvarint(b, k.override(o))
		}
	}
	if s := d.Score; s != nil {
		b = k.appendStr(b, s.Framework)
		b = k.appendStr(b, s.Formula)
		if s.Inputs == nil {
			b = binary.AppendUvarint(b, 0)
		} else {
			// The order does not matter: the inputs are read back into
			// a map.
			b = binary.AppendUvarint(b, uint64(len(s.Inputs))+1)
			for name, v := range s.Inputs {
				b = k.appendStr(b, name)
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
		if s.Value == nil {
			b = append(b, 0)
		} else {
			b = append(b, 1)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*s.Value))
		}
	}
	return k.appendStr(b, d.Via)
}

func (k *book) appendStr(b []byte, s string) []byte {
	return binary.AppendUvarint(b, k.intern(s))
}

func appendText(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decisions materialises the n decisions encoded in recs. The inline
// text of every decision is cut from one copy of recs. pending, when not
// nil, collects the lists of overrides to read later (readPending).
func (k *book) decisions(recs []byte, n int, pending *[]placedList) []Decision {
	out := make([]Decision, n)
	r := bookReader{k: k, s: string(recs), ord: orderReader{k: k}, pending: pending}
	for i := range out {
		r.decision(&out[i])
	}
	return out
}

// bookReader reads what appendDecision wrote. The bytes are the log's
// own, never outside input, so it does not check them.
type bookReader struct {
	k   *book
	s   string
	at  int
	ord orderReader
	// pending, when not nil, defers the lists of overrides written as
	// places: they are noted there, to be read together (readPending).
	pending *[]placedList
}

func (r *bookReader) uint() uint64 {
	var v uint64
	for shift := 0; ; shift += 7 {
		c := r.s[r.at]
		r.at++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (r *bookReader) int() int64 {
	u := r.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *bookReader) float() float64 {
	var v uint64
	for i := range 8 {
		v |= uint64(r.s[r.at+i]) << (8 * i)
	}
	r.at += 8
	return math.Float64frombits(v)
}

func (r *bookReader) str() string { return r.k.strs[r.uint()] }

func (r *bookReader) text() string {
	n := int(r.uint())
	s := r.s[r.at : r.at+n]
	r.at += n
	return s
}

func (r *bookReader) decision(d *Decision) {
	flags := r.uint()
	d.Seq = r.uint()
	d.Type = r.str()
	d.Actor = r.str()
	d.Role = domain.Role(r.str())
	if flags&recTime != 0 {
		d.At = r.k.times[r.uint()]
	} else {
		sec := r.int()
		d.At = time.Unix(sec, int64(r.uint())).UTC()
	}
	d.Why = r.why()
	if flags&recSource != 0 {
		d.Source = &domain.Source{System: r.text(), Key: r.text(), URL: r.text(), Change: r.text(), Author: r.text()}
	}
	d.OutsideAuthority = flags&recOutside != 0
	switch {
	case flags&recIDAt != 0:
		d.EventID = ulidString(d.At, r.s[r.at:r.at+10])
		r.at += 10
	case flags&recIDBin != 0:
		d.EventID = ulidString(time.Time{}, r.s[r.at:r.at+16])
		r.at += 16
	default:
		d.EventID = r.text()
	}
	d.Reason = domain.ReasonCode(r.str())
	if flags&recChanges != 0 {
		d.Changes = make([]string, r.uint())
		for i := range d.Changes {
			d.Changes[i] = r.change()
		}
	}
	if flags&recLinks != 0 {
		d.Links = &Links{Request: r.str(), Item: r.str(), Epic: r.str(), Roadmap: r.str(), Repeats: r.str()}
	}
	if flags&recPlaced != 0 {
		r.placed(&d.OverridesScore)
	}
	if flags&recOverrides != 0 {
		d.OverridesScore = make([]Override, r.uint())
		for i := range d.OverridesScore {
			o := r.k.overrides[r.uint()]
			d.OverridesScore[i] = Override{ID: r.k.strs[o.id], Framework: r.k.strs[o.framework], Score: math.Float64frombits(o.score)}
		}
	}
	if flags&recScore != 0 {
		s := &Score{Framework: r.str(), Formula: r.str()}
		if n := r.uint(); n > 0 {
			s.Inputs = make(map[string]float64, n-1)
			for range n - 1 {
				name := r.str()
				s.Inputs[name] = r.float()
			}
		}
		if r.s[r.at] == 1 {
			r.at++
			v := r.float()
			s.Value = &v
		} else {
			r.at++
		}
		d.Score = s
	}
	d.Via = r.str()
}
