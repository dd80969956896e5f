package projections

import (
	"cmp"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"sort"
	"unsafe"
)

// A rank decision that moves an item up lists the items it jumped over
// although they outscored it, and over a long backlog that is about a
// hundred items a rank: at a million events, 33 million entries, half of
// what the transparency log held, each the index of an override (two or
// three bytes). Yet each list is a subset of a run of the open order at
// that moment, the places the item jumped over, in that order: a bitmap
// over the run, an eighth of a byte a place, says which, if the order of
// that moment can be had again. So the log keeps the history of the open
// order, every move, insertion and removal in a few bytes (orderLog), and
// the whole order every orderMarkEvery of them, and a list is read back by
// taking the order at its mark and replaying the moves after it. Which
// score each item listed had then is kept once per item and score
// (scoreRec), not once per list.
//
// The log only follows the order when it folds from an empty backlog (a
// log told from a snapshot or started part-way has no history to replay,
// and writes its lists item by item as before), and it checks every list
// against the order it keeps before writing it as places: an order that
// went astray (it cannot, but a check costs nothing next to the rank that
// made the list) is replaced by the backlog's own, as an operation of the
// history, so that what is read back is always what was checked.

// orderMarkEvery is how many operations lie between two copies of the
// whole order: reading a list replays up to this many moves of a
// thousand-item order (tens of microseconds), and each copy is about two
// bytes an open item.
const orderMarkEvery = 256

// The states of an orderLog.
const (
	orderUndecided = iota // the log has applied no backlog event yet
	orderOn
	orderOff
)

// The operations of an orderLog, the low two bits of an operation's first
// varint; the rest of it is a place or a count.
const (
	opMove   = iota // from, then the place it moves to
	opInsert        // place, then the item's string index
	opRemove        // place
	opReset         // count, then the items' string indexes
)

// orderLog is the history of the backlog's open order, items as indexes
// in the book's string table. It holds no pointer but the slices'.
type orderLog struct {
	state uint8
	cur   []uint32 // the order after every operation so far
	ops   []byte   // the operations
	n     uint64   // how many
	marks []orderMark
	// marked holds the marks' orders, each entry two bytes, little
	// endian, or four when an index does not fit in two: read with a
	// copy rather than decoded a varint at a time.
	marked []byte
}

// orderMark is the order after the first op operations, which are
// opsAt bytes long; the order is in orderLog.marked at at, n entries
// of width bytes.
type orderMark struct {
	op    uint64
	opsAt int
	at    int
	n     int32
	width int8
}

// start begins following an order that is empty.
func (o *orderLog) start() {
	o.state = orderOn
	o.mark()
}

func (o *orderLog) mark() {
	m := orderMark{op: o.n, opsAt: len(o.ops), at: len(o.marked), n: int32(len(o.cur)), width: 2}
	for _, x := range o.cur {
		if x > math.MaxUint16 {
			m.width = 4
		}
	}
	o.marks = append(o.marks, m)
	for _, x := range o.cur {
		if m.width == 2 {
			o.marked = binary.LittleEndian.AppendUint16(o.marked, uint16(x))
		} else {
			o.marked = binary.LittleEndian.AppendUint32(o.marked, x)
		}
	}
}

// write records one operation, already encoded, that was applied to cur.
func (o *orderLog) write(op []byte) {
	o.ops = append(o.ops, op...)
	o.n++
	if o.n%orderMarkEvery == 0 {
		o.mark()
	}
}

// apply applies the operation at the start of op to order and returns
// the order and how many bytes the operation took. The bytes are the
// log's own and valid: write only writes what apply can apply.
func applyOrderOp(order []uint32, op []byte) ([]uint32, int) {
	code, n := binary.Uvarint(op)
	x := int(code >> 2)
	switch code & 3 {
	case opMove:
		to, m := binary.Uvarint(op[n:])
		n += m
		moveOrder(order, x, int(to))
	case opInsert:
		it, m := binary.Uvarint(op[n:])
		n += m
		order = slices.Insert(order, x, uint32(it))
	case opRemove:
		order = slices.Delete(order, x, x+1)
	case opReset:
		order = order[:0]
		for range x {
			it, m := binary.Uvarint(op[n:])
			n += m
			order = append(order, uint32(it))
		}
	}
	return order, n
}

// moveOrder moves the entry at from to to, shifting the ones between, as
// the backlog moves a ranked item.
func moveOrder(order []uint32, from, to int) {
	x := order[from]
	switch {
	case to < from:
		copy(order[to+1:from+1], order[to:from])
	case to > from:
		copy(order[from:to], order[from+1:to+1])
	}
	order[to] = x
}

// follow records what an event did to item's place in the open order:
// from and to are its places before and after (-1 when not open). open
// is the backlog's order after the event, which replaces the one kept
// when the two disagree.
func (k *book) follow(item string, from, to int, open order) {
	o := &k.order
	if o.state != orderOn || from == to {
		return
	}
	var op [2 * binary.MaxVarintLen64]byte
	b := op[:0]
	idx := uint32(k.intern(item))
	switch {
	case from >= 0 && to >= 0 && from < len(o.cur) && to < len(o.cur):
		b = binary.AppendUvarint(b, uint64(from)<<2|opMove)
		b = binary.AppendUvarint(b, uint64(to))
		moveOrder(o.cur, from, to)
	case from < 0 && to >= 0 && to <= len(o.cur):
		b = binary.AppendUvarint(b, uint64(to)<<2|opInsert)
		b = binary.AppendUvarint(b, uint64(idx))
		o.cur = slices.Insert(o.cur, to, idx)
	case to < 0 && from < len(o.cur):
		b = binary.AppendUvarint(b, uint64(from)<<2|opRemove)
		o.cur = slices.Delete(o.cur, from, from+1)
	default:
		k.resetOrder(open)
		return
	}
	o.write(b)
	if len(o.cur) != len(open) || (to >= 0 && o.cur[to] != idx) {
		k.resetOrder(open)
	}
}

// resetOrder replaces the order kept with open, as an operation.
func (k *book) resetOrder(open order) {
	o := &k.order
	o.cur = o.cur[:0]
	b := binary.AppendUvarint(nil, uint64(len(open))<<2|opReset)
	for _, id := range open {
		x := uint32(k.intern(id))
		o.cur = append(o.cur, x)
		b = binary.AppendUvarint(b, uint64(x))
	}
	o.write(b)
}

// scoreRec is the score of an item from the list written after k
// operations of the order on: its framework's string index and the bits
// of its value.
type scoreRec struct {
	k    uint64
	bits uint64
	fw   uint32
}

// noteScore makes the score of the item at string index idx read as
// (fw, bits) from op k on; fw is a string index too.
func (k *book) noteScore(idx, fw uint32, bits uint64, at uint64) {
	if int(idx) >= len(k.scores) {
		k.scores = append(k.scores, make([][]scoreRec, int(idx)+1-len(k.scores))...)
	}
	h := k.scores[idx]
	if n := len(h); n > 0 && h[n-1].fw == fw && h[n-1].bits == bits {
		return
	}
	k.scores[idx] = append(h, scoreRec{k: at, bits: bits, fw: fw})
}

// scoreAt is the score noted for the item at string index idx by op k.
func (k *book) scoreAt(idx uint32, at uint64) scoreRec {
	h := k.scores[idx]
	if n := len(h); h[n-1].k <= at {
		return h[n-1] // most lists are read at the item's latest score
	}
	lo, hi := 0, len(h)-1 // h[lo].k <= at < h[hi].k
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if h[m].k <= at {
			lo = m
		} else {
			hi = m
		}
	}
	return h[lo]
}

// appendPlaced appends overrides as places in the order kept, when it
// can: they must be, in order, items at places lo to hi-1 of open, the
// backlog's order, and the order kept must agree with open there. hint,
// when it holds as many places as there are overrides, is where the
// backlog found them. It reports whether it did; the caller writes them
// item by item otherwise.
func (k *book) appendPlaced(b []byte, overrides []Override, lo, hi int, open order, hint []int32) ([]byte, bool) {
	o := &k.order
	if o.state != orderOn || lo < 0 || hi <= lo || hi > len(open) || len(overrides) == 0 || len(overrides) > hi-lo {
		return b, false
	}
	places, ok := placesAt(hint, overrides, lo, hi, open)
	if !ok {
		if places, ok = k.places(overrides, lo, open); !ok {
			return b, false
		}
	}
	if !k.agrees(places, open) {
		k.resetOrder(open)
	}
	// The frameworks are a few strings, handed over as the same string
	// item after item.
	var fw string
	var fwIdx uint32
	for i, p := range places {
		ov := &overrides[i]
		if i == 0 || ov.Framework != fw {
			fw, fwIdx = ov.Framework, uint32(k.intern(ov.Framework))
		}
		k.noteScore(o.cur[p], fwIdx, math.Float64bits(ov.Score), o.n)
	}
	span := hi - lo
	b = binary.AppendUvarint(b, o.n)
	b = binary.AppendUvarint(b, uint64(lo))
	// A bitmap of the span, or the gaps between places when they are
	// sparse enough to take less.
	gaps := 0
	prev := lo - 1
	for _, p := range places {
		gaps += uvarintLen(uint64(p - prev - 1))
		prev = p
	}
	bitmap := (span + 7) / 8
	if gaps+uvarintLen(uint64(len(places))) < bitmap {
		b = binary.AppendUvarint(b, uint64(span)<<1)
		b = binary.AppendUvarint(b, uint64(len(places)))
		prev = lo - 1
		for _, p := range places {
			b = binary.AppendUvarint(b, uint64(p-prev-1))
			prev = p
		}
		return b, true
	}
	b = binary.AppendUvarint(b, uint64(span)<<1|1)
	at := len(b)
	b = append(b, make([]byte, bitmap)...)
	for _, p := range places {
		b[at+(p-lo)/8] |= 1 << ((p - lo) % 8)
	}
	return b, true
}

// placesAt returns hint as places when they hold overrides, in order,
// between lo and hi-1.
func placesAt(hint []int32, overrides []Override, lo, hi int, open order) ([]int, bool) {
	if len(hint) != len(overrides) {
		return nil, false
	}
	out := make([]int, len(hint))
	prev := lo - 1
	for i, h := range hint {
		p := int(h)
		if p <= prev || p >= hi || !sameAddress(open[p], overrides[i].ID) {
			return nil, false
		}
		out[i], prev = p, p
	}
	return out, true
}

// places finds overrides, in order, among the items of open from place
// lo on. The backlog listed them from open, so an id is the very string
// at its place: the first pass compares addresses only (most places
// hold another id of the same length, which a comparison of the bytes
// would read), the second, only if that fails, the bytes.
func (k *book) places(overrides []Override, lo int, open order) ([]int, bool) {
	out := make([]int, 0, len(overrides))
	for _, same := range []func(a, b string) bool{sameAddress, sameString} {
		out = out[:0]
		p := lo
		for i := range overrides {
			id := overrides[i].ID
			for p < len(open) && !same(open[p], id) {
				p++
			}
			if p == len(open) {
				break
			}
			out = append(out, p)
			p++
		}
		if len(out) == len(overrides) {
			return out, true
		}
	}
	return nil, false
}

func sameAddress(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

func sameString(a, b string) bool { return a == b }

// agrees reports whether the order kept holds, at places, the items open
// holds there.
func (k *book) agrees(places []int, open order) bool {
	cur := k.order.cur
	if len(cur) != len(open) {
		return false
	}
	for _, p := range places {
		if s := k.strs[cur[p]]; !sameAddress(s, open[p]) && s != open[p] {
			return false
		}
	}
	return true
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// orderReader replays the order kept, for one read of a chain: its
// lists come in the order they were written, so it goes on from the last
// one when that is nearer than a mark.
type orderReader struct {
	k     *book
	order []uint32
	n     uint64 // operations applied to order
	at    int    // where the next one starts in k.order.ops
	valid bool
}

// orderAt returns the order after the first n operations.
func (r *orderReader) orderAt(n uint64) []uint32 {
	o := &r.k.order
	i := sort.Search(len(o.marks), func(i int) bool { return o.marks[i].op > n }) - 1
	m := o.marks[i]
	if !r.valid || r.n > n || n-r.n > n-m.op {
		r.order = slices.Grow(r.order[:0], int(m.n))[:m.n]
		b := o.marked[m.at:]
		if m.width == 2 {
			for i := range r.order {
				r.order[i] = uint32(binary.LittleEndian.Uint16(b[2*i:]))
			}
		} else {
			for i := range r.order {
				r.order[i] = binary.LittleEndian.Uint32(b[4*i:])
			}
		}
		r.n, r.at, r.valid = m.op, m.opsAt, true
	}
	for r.n < n {
		var w int
		r.order, w = applyOrderOp(r.order, o.ops[r.at:])
		r.at += w
		r.n++
	}
	return r.order
}

// placedList is a list appendPlaced wrote, not read yet: the order after
// n operations, from place lo, and body, the gaps or the bitmap (bitmap
// true) over span places.
type placedList struct {
	n      uint64
	lo     int
	span   int
	bitmap bool
	body   string
	dst    *[]Override // where a deferred read puts it
}

// placed reads a list appendPlaced wrote, or, when the reader defers
// them, notes it for readPending and leaves dst nil for now.
func (r *bookReader) placed(dst *[]Override) {
	pl := placedList{n: r.uint(), lo: int(r.uint()), dst: dst}
	code := r.uint()
	pl.span, pl.bitmap = int(code>>1), code&1 == 1
	from := r.at
	if pl.bitmap {
		r.at += (pl.span + 7) / 8
	} else {
		for range r.uint() {
			r.uint()
		}
	}
	pl.body = r.s[from:r.at]
	if r.pending != nil {
		*r.pending = append(*r.pending, pl)
		return
	}
	*dst = r.k.overridesAt(r.ord.orderAt(pl.n), &pl, r.k.scoreAt)
}

// readPending reads the lists a deferred read noted, in the order they
// were written, so that the order kept is replayed once for all of them.
func (k *book) readPending(pending []placedList) {
	slices.SortFunc(pending, func(a, b placedList) int { return cmp.Compare(a.n, b.n) })
	ord := orderReader{k: k}
	// The lists come in order, so each item's score only moves forward:
	// at is, by item, the index of the score read last.
	at := make([]int32, len(k.scores))
	score := func(idx uint32, n uint64) scoreRec {
		h, i := k.scores[idx], at[idx]
		for int(i)+1 < len(h) && h[i+1].k <= n {
			i++
		}
		at[idx] = i
		return h[i]
	}
	for i := range pending {
		*pending[i].dst = k.overridesAt(ord.orderAt(pending[i].n), &pending[i], score)
	}
}

// overridesAt reads pl against order, the order it was written against;
// score is scoreAt, or what stands for it.
func (k *book) overridesAt(order []uint32, pl *placedList, score func(idx uint32, n uint64) scoreRec) []Override {
	var out []Override
	add := func(p int) {
		idx := order[p]
		s := score(idx, pl.n)
		out = append(out, Override{ID: k.strs[idx], Framework: k.strs[s.fw], Score: math.Float64frombits(s.bits)})
	}
	body := pl.body
	if !pl.bitmap {
		r := bookReader{k: k, s: body}
		c := int(r.uint())
		out = make([]Override, 0, c)
		p := pl.lo - 1
		for range c {
			p += int(r.uint()) + 1
			add(p)
		}
		return out
	}
	c := 0
	for i := range len(body) {
		c += bits.OnesCount8(body[i])
	}
	out = make([]Override, 0, c)
	for i := range pl.span {
		if body[i/8]&(1<<(i%8)) != 0 {
			add(pl.lo + i)
		}
	}
	return out
}
