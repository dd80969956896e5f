package projections

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// The event ids of the ledger are ULIDs whose time is the event's
// business time (domain.EventID): 26 characters of text, but 16 bytes,
// and 10 once the time is known. A million decisions kept their ids in
// 27 MiB; as ULIDs next to their instant, in 11. Any other id is kept as
// text. projections imports no ULID package: the codec is the 26
// characters of Crockford's base 32, here.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// crockfordValue is the value of each character of crockford plus one,
// 0 for any other byte: only an id in the canonical form (upper case,
// none of the letters a decoder would forgive) is kept as bytes, so that
// it reads back as the same text.
var crockfordValue = func() (v [256]byte) {
	for i := range len(crockford) {
		v[crockford[i]] = byte(i) + 1
	}
	return v
}()

// ulidBytes returns id as a ULID's 16 bytes, and the flag that says how
// a decision keeps it: its entropy alone (recIDAt) when its time is at's
// millisecond, all of it (recIDBin) otherwise, or text (no flag) when id
// is not a ULID in canonical form.
func ulidBytes(id string, at time.Time) ([16]byte, uint64) {
	var u [16]byte
	if len(id) != 26 || id[0] > '7' {
		return u, 0
	}
	var hi, lo uint64
	for i := range len(id) {
		v := crockfordValue[id[i]]
		if v == 0 {
			return u, 0
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v-1)
	}
	binary.BigEndian.PutUint64(u[:8], hi)
	binary.BigEndian.PutUint64(u[8:], lo)
	if ms := at.UnixMilli(); ms >= 0 && hi>>16 == uint64(ms) {
		return u, recIDAt
	}
	return u, recIDBin
}

// ulidString is the text of the ULID whose bytes are raw: all 16, or the
// 10 of its entropy after at's millisecond.
func ulidString(at time.Time, raw string) string {
	var u [16]byte
	if len(raw) == 10 {
		ms := uint64(at.UnixMilli())
		for i := range 6 {
			u[i] = byte(ms >> (8 * (5 - i)))
		}
		copy(u[6:], raw)
	} else {
		copy(u[:], raw)
	}
	hi, lo := binary.BigEndian.Uint64(u[:8]), binary.BigEndian.Uint64(u[8:])
	var out [26]byte
	for j := range out {
		var v uint64
		switch s := uint(5 * (25 - j)); {
		case s >= 64:
			v = hi >> (s - 64)
		case s == 0:
			v = lo
		default:
			v = lo>>s | hi<<(64-s)
		}
		out[j] = crockford[v&31]
	}
	return string(out[:])
}

// The change lines that are a field and one or two integers ("rank 5 ->
// 2", "estimate 3"), most of them, are kept as the field's string index
// and the numbers: a change line is a uvarint tag whose low two bits say
// which form follows.
const (
	changeText   = iota // tag>>2 bytes of text
	changeFromTo        // "field a -> b": tag>>2 is the field, then a and b
	changeOne           // "field a": tag>>2 is the field, then a
)

func (k *book) appendChange(b []byte, line string) []byte {
	if field, x, y, two, ok := numericChange(line); ok {
		f, known := k.index[field]
		if !known {
			// A copy, not the line the field is part of.
			f = k.lookup(strings.Clone(field))
		}
		if two {
			b = binary.AppendUvarint(b, f<<2|changeFromTo)
			b = binary.AppendVarint(b, x)
			return binary.AppendVarint(b, y)
		}
		b = binary.AppendUvarint(b, f<<2|changeOne)
		return binary.AppendVarint(b, x)
	}
	b = binary.AppendUvarint(b, uint64(len(line))<<2|changeText)
	return append(b, line...)
}

// numericChange parses "field a -> b" or "field a", the numbers in the
// form strconv.Itoa writes them, so that the line can be written again
// byte for byte.
func numericChange(line string) (field string, x, y int64, two, ok bool) {
	field, rest, found := strings.Cut(line, " ")
	if !found || field == "" {
		return "", 0, 0, false, false
	}
	a, rest, two := strings.Cut(rest, " -> ")
	if x, ok = canonicalInt(a); !ok {
		return "", 0, 0, false, false
	}
	if two {
		if y, ok = canonicalInt(rest); !ok {
			return "", 0, 0, false, false
		}
	}
	return field, x, y, two, true
}

// canonicalInt parses s when strconv.FormatInt would write it so: an
// optional minus, no leading zero, not "-0", at most 18 digits (so that
// it cannot overflow).
func canonicalInt(s string) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || (digits[0] == '0' && (len(digits) > 1 || neg)) {
		return 0, false
	}
	var n int64
	for i := range len(digits) {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func (r *bookReader) change() string {
	tag := r.uint()
	switch tag & 3 {
	case changeFromTo:
		field := r.k.strs[tag>>2]
		x, y := r.int(), r.int()
		b := make([]byte, 0, len(field)+24)
		b = append(append(b, field...), ' ')
		b = append(strconv.AppendInt(b, x, 10), " -> "...)
		return string(strconv.AppendInt(b, y, 10))
	case changeOne:
		field := r.k.strs[tag>>2]
		b := make([]byte, 0, len(field)+12)
		b = append(append(b, field...), ' ')
		return string(strconv.AppendInt(b, r.int(), 10))
	}
	n := int(tag >> 2)
	s := r.s[r.at : r.at+n]
	r.at += n
	return s
}

// A why is free text, but a ledger's whys recur: a team ranks "by value
// per effort" and rejects "out of scope for the quarter" again and again.
// Written inline they cost the chains 13 MiB at a million decisions.
// So the log interns a why on its second sighting, and writes the rest
// inline: a why is a uvarint tag, its length shifted by one (inline), or
// its string index shifted by one and the low bit set. A why is seen when
// it is in book.whys, a fixed table of the recent ones by hash; one
// written once stays out of the string table for good.
type recentWhy struct {
	s   string
	idx uint64 // its string index plus one once interned, else 0
}

// whySlots is the size of book.whys, a power of two: made once a log
// writes its first why.
const whySlots = 4096

func (k *book) appendWhy(b []byte, why string) []byte {
	if why == "" {
		return append(b, 0)
	}
	if k.whys == nil {
		k.whys = make([]recentWhy, whySlots)
	}
	h := uint32(2166136261) // FNV-1a: the same table in every run
	for i := range len(why) {
		h = (h ^ uint32(why[i])) * 16777619
	}
	c := &k.whys[h&(whySlots-1)]
	if c.s != why {
		*c = recentWhy{s: why}
		b = binary.AppendUvarint(b, uint64(len(why))<<1)
		return append(b, why...)
	}
	if c.idx == 0 {
		i, known := k.index[why]
		if !known {
			i = k.lookup(strings.Clone(why))
		}
		c.idx = i + 1
	}
	return binary.AppendUvarint(b, (c.idx-1)<<1|1)
}

func (r *bookReader) why() string {
	tag := r.uint()
	if tag&1 != 0 {
		return r.k.strs[tag>>1]
	}
	n := int(tag >> 1)
	s := r.s[r.at : r.at+n]
	r.at += n
	return s
}
