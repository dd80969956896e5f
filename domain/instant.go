package domain

// instant remembers the ids, with their stream sequences, of the events a
// product admitted at its latest business time (State.LastAt). It is what
// the validating fold needs to refuse an event published again byte for
// byte (same id, a later sequence): the rules already refuse any event
// dated before the product's latest one, so a copy can only be believed
// when it carries the latest business time, and then its original is one
// of these. So the memory is exact and small: the events of one instant,
// usually one decision's, reset when time moves on; not every id of the
// history, which a read model of a million events could not keep in each
// of its snapshots. (A copy of an older event is refused too, with the
// time rule's reason rather than this one.)
type instant struct {
	ids []idSeq
	// index holds the same ids once there are more than instantScan, so
	// that a history of many events at one time (an import whose tracker
	// stamped them alike) is not a quadratic fold.
	index map[string]uint64
}

type idSeq struct {
	id  string
	seq uint64
}

// instantScan is how many ids instant looks through one by one.
const instantScan = 16

// add remembers id at seq.
func (n *instant) add(id string, seq uint64) {
	if id == "" {
		return
	}
	if _, ok := n.find(id); ok {
		return
	}
	n.ids = append(n.ids, idSeq{id, seq})
	if n.index != nil {
		n.index[id] = seq
	} else if len(n.ids) > instantScan {
		n.index = make(map[string]uint64, 2*len(n.ids))
		for _, x := range n.ids {
			n.index[x.id] = x.seq
		}
	}
}

// find returns the sequence of the event with this id, if remembered.
func (n *instant) find(id string) (uint64, bool) {
	if n.index != nil {
		seq, ok := n.index[id]
		return seq, ok
	}
	for _, x := range n.ids {
		if x.id == id {
			return x.seq, true
		}
	}
	return 0, false
}

// reset forgets every id: the product's business time moved on.
func (n *instant) reset() {
	clear(n.ids)
	n.ids = n.ids[:0]
	n.index = nil
}

// DuplicateOf returns the sequence of the event the product admitted at
// its latest business time with the same id as e, if there is one: e is
// then a copy of it, whatever its bytes.
func (s *State) DuplicateOf(e Event) (uint64, bool) {
	if e.ID == "" || !e.OccurredAt.Equal(s.LastAt) {
		return 0, false
	}
	return s.latest.find(e.ID)
}
