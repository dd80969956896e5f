package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// CodecVersion names the compact binary encoding that AppendBinary
// writes and UnmarshalBinary reads, for the backlog, the roadmap, the
// requests and the gate alike. A change to what any of their states holds
// or to how it is encoded needs a new version: a snapshot names the
// versions it was written with, and one of another is rebuilt, never
// misread.
const CodecVersion = "bin/1"

// The binary encoding is a sequence of unsigned varints, zig-zag varints
// for signed numbers, 8-byte little-endian floats and strings. Every
// string is written once: its first occurrence as 0, its length and its
// bytes, any later one as its index among the strings written so far,
// plus one. A state names the same ids, actors, types and reasons over
// and over (an item's id in the open order, in the roadmap's lists, in
// hundreds of score overrides), so this is most of what keeps the
// encoding small, and the decoder allocates each string once. Slices and
// maps are written as their length plus one, 0 for nil, so that a nil and
// an empty one come back as they were; maps in the order of their sorted
// keys, so that the same state always gives the same bytes.

// enc writes the binary encoding. The zero value is not ready: use newEnc.
type enc struct {
	b    []byte
	strs map[string]uint64
}

func newEnc(b []byte) *enc { return &enc{b: b, strs: map[string]uint64{}} }

func (e *enc) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *enc) int(v int64) { e.b = binary.AppendVarint(e.b, v) }

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *enc) float(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }

func (e *enc) str(s string) {
	if i, ok := e.strs[s]; ok {
		e.uint(i + 1)
		return
	}
	e.strs[s] = uint64(len(e.strs))
	e.uint(0)
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// length writes the length of a slice or map, or 0 for nil.
func (e *enc) length(n int, isNil bool) {
	if isNil {
		e.uint(0)
		return
	}
	e.uint(uint64(n) + 1)
}

// time writes an instant with its zone offset (what the JSON of a time
// shows); the zero time is one byte.
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.uint(0)
		return
	}
	_, off := t.Zone()
	e.uint(1)
	e.int(t.Unix())
	e.uint(uint64(t.Nanosecond()))
	e.int(int64(off))
}

func (e *enc) timePtr(t *time.Time) {
	e.bool(t != nil)
	if t != nil {
		e.time(*t)
	}
}

func (e *enc) floatPtr(v *float64) {
	e.bool(v != nil)
	if v != nil {
		e.float(*v)
	}
}

func (e *enc) strings(ss []string) {
	e.length(len(ss), ss == nil)
	for _, s := range ss {
		e.str(s)
	}
}

// bytes writes raw bytes, not interned: what another package encodes.
func (e *enc) bytes(b []byte) {
	e.length(len(b), b == nil)
	e.b = append(e.b, b...)
}

func (e *enc) cursor(c cursor) {
	e.uint(c.Pos)
	e.int(int64(c.Skipped))
	e.uint(c.FirstSkipped)
	e.int(int64(c.Quarantined))
	e.uint(c.FirstQuarantined)
}

func (e *enc) citation(c Citation) {
	e.uint(c.Seq)
	e.str(c.Type)
	e.str(c.Actor)
	e.str(string(c.Role))
	e.time(c.At)
	e.str(c.Why)
	e.bool(c.Source != nil)
	if s := c.Source; s != nil {
		e.str(s.System)
		e.str(s.Key)
		e.str(s.URL)
		e.str(s.Change)
		e.str(s.Author)
	}
	e.bool(c.OutsideAuthority)
}

func (e *enc) decisionRef(d DecisionRef) {
	e.citation(d.Citation)
	e.length(len(d.Overrides), d.Overrides == nil)
	for _, o := range d.Overrides {
		e.str(o.ID)
		e.str(o.Framework)
		e.float(o.Score)
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// errCodec is wrapped by every decoding error.
var errCodec = errors.New("binary snapshot does not decode")

// dec reads the binary encoding. It never panics: the first malformed or
// missing byte sets err, and every read after it returns zero values.
//
// A restore allocates little: the strings it reads are substrings of one
// copy of the input (so the state keeps about the encoding's bytes
// alive, which it would need for its strings anyway), and the times,
// numbers and overrides that items point to are taken from slabs. The
// folds replace what an item points to; they never write through it, so
// sharing a slab is safe.
type dec struct {
	b    []byte
	s    string // the whole input, which strings are cut from
	strs []string
	err  error

	times     []time.Time
	floats    []float64
	overrides []Override
}

func newDec(data []byte) *dec { return &dec{b: data, s: string(data)} }

// slabChunk is how many values a slab allocates at once.
const slabChunk = 512

func (d *dec) newTime(t time.Time) *time.Time {
	if len(d.times) == cap(d.times) {
		d.times = make([]time.Time, 0, slabChunk)
	}
	d.times = append(d.times, t)
	return &d.times[len(d.times)-1]
}

func (d *dec) newFloat(v float64) *float64 {
	if len(d.floats) == cap(d.floats) {
		d.floats = make([]float64, 0, slabChunk)
	}
	d.floats = append(d.floats, v)
	return &d.floats[len(d.floats)-1]
}

// newOverrides returns n overrides from the slab, capped so that an
// append copies.
func (d *dec) newOverrides(n int) []Override {
	if n == 0 {
		return []Override{}
	}
	if cap(d.overrides)-len(d.overrides) < n {
		d.overrides = make([]Override, 0, max(n, 4*slabChunk))
	}
	k := len(d.overrides)
	d.overrides = d.overrides[:k+n]
	return d.overrides[k : k+n : k+n]
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at %d bytes from the end", errCodec, what, len(d.b))
	}
}

func (d *dec) uint() uint64 {
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

func (d *dec) int() int64 {
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

// count is int for a count that must fit an int.
func (d *dec) count() int {
	v := d.int()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("a count is out of range")
		return 0
	}
	return int(v)
}

func (d *dec) bool() bool {
	switch d.uint() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("a flag is neither 0 nor 1")
	return false
}

func (d *dec) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("a number is cut short")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *dec) str() string {
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
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.fail("a string is cut short")
		return ""
	}
	at := len(d.s) - len(d.b)
	s := d.s[at : at+int(n)]
	d.b = d.b[n:]
	d.strs = append(d.strs, s)
	return s
}

// length reads a length written by enc.length: the length, and whether
// the slice or map was nil. Every element takes at least a byte, so a
// length beyond the bytes left is refused before anything is allocated.
func (d *dec) length() (int, bool) {
	v := d.uint()
	if d.err != nil || v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(d.b)) {
		d.fail("a list is longer than the bytes left")
		return 0, true
	}
	return int(v - 1), false
}

func (d *dec) time() time.Time {
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

func (d *dec) timePtr() *time.Time {
	if !d.bool() {
		return nil
	}
	return d.newTime(d.time())
}

func (d *dec) floatPtr() *float64 {
	if !d.bool() {
		return nil
	}
	return d.newFloat(d.float())
}

func (d *dec) strings() []string {
	n, isNil := d.length()
	if isNil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// bytes reads raw bytes; they share the input's memory.
func (d *dec) bytes() []byte {
	n, isNil := d.length()
	if isNil || d.err != nil {
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *dec) cursor() cursor {
	return cursor{Pos: d.uint(), Skipped: d.count(), FirstSkipped: d.uint(),
		Quarantined: d.count(), FirstQuarantined: d.uint()}
}

func (d *dec) citation() Citation {
	c := Citation{Seq: d.uint(), Type: d.str(), Actor: d.str(), Role: domain.Role(d.str()), At: d.time(), Why: d.str()}
	if d.bool() {
		c.Source = &domain.Source{System: d.str(), Key: d.str(), URL: d.str(), Change: d.str(), Author: d.str()}
	}
	c.OutsideAuthority = d.bool()
	return c
}

func (d *dec) decisionRef() DecisionRef {
	r := DecisionRef{Citation: d.citation()}
	n, isNil := d.length()
	if isNil {
		return r
	}
	r.Overrides = d.newOverrides(n)
	for i := range r.Overrides {
		r.Overrides[i] = Override{ID: d.str(), Framework: d.str(), Score: d.float()}
	}
	return r
}

// end checks that the whole input was read.
func (d *dec) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("bytes are left over")
	}
	return d.err
}
