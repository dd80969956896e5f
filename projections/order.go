package projections

import "github.com/decisionledger/ledger/domain"

// order is a ranked list of ids, first is rank 1.
type order []string

func (o order) index(id string) int {
	for i, x := range o {
		if x == id {
			return i
		}
	}
	return -1
}

func (o *order) remove(id string) bool {
	i := o.index(id)
	if i < 0 {
		return false
	}
	*o = append((*o)[:i], (*o)[i+1:]...)
	return true
}

func (o *order) insert(i int, id string) {
	*o = append(*o, "")
	copy((*o)[i+1:], (*o)[i:])
	(*o)[i] = id
}

// move applies a relative placement to id and reports whether it did. A
// move naming itself, a missing ref or an unknown placement changes
// nothing.
func (o *order) move(id string, p domain.Position) bool {
	if o.index(id) < 0 {
		return false
	}
	switch p.Place {
	case domain.PlaceTop:
		o.remove(id)
		o.insert(0, id)
	case domain.PlaceBottom:
		o.remove(id)
		*o = append(*o, id)
	case domain.PlaceAbove, domain.PlaceBelow:
		if p.Ref == id || o.index(p.Ref) < 0 {
			return false
		}
		o.remove(id)
		i := o.index(p.Ref)
		if p.Place == domain.PlaceBelow {
			i++
		}
		o.insert(i, id)
	default:
		return false
	}
	return true
}
