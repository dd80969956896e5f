package importer

import (
	"slices"

	"github.com/decisionledger/ledger/domain"
)

// Order mirrors the open backlog's order as the import builds it (new
// items at the bottom, closed ones out, reopened ones back at the
// bottom), so that a format can turn a priority change into the relative
// move the ledger records: the item goes above the first item that is
// less urgent or has no priority, or to the bottom when there is none.
// The zero value is empty and ready to use.
type Order struct {
	ids  []string
	rank map[string]int // priority rank, the most urgent 0; -1 none
}

// Add puts id at the bottom with a priority rank (-1: none).
func (o *Order) Add(id string, rank int) {
	if o.rank == nil {
		o.rank = map[string]int{}
	}
	o.Remove(id)
	o.ids = append(o.ids, id)
	o.rank[id] = rank
}

// Remove takes id out of the order.
func (o *Order) Remove(id string) {
	if i := slices.Index(o.ids, id); i >= 0 {
		o.ids = slices.Delete(o.ids, i, i+1)
	}
}

// Has reports whether id is in the order.
func (o *Order) Has(id string) bool { return slices.Contains(o.ids, id) }

// Place moves id by its new priority rank and returns the move.
func (o *Order) Place(id string, rank int) domain.Position {
	o.Remove(id)
	o.rank[id] = rank
	for i, other := range o.ids {
		r := o.rank[other]
		if rank >= 0 && (r < 0 || r > rank) {
			o.ids = slices.Insert(o.ids, i, id)
			return domain.Position{Place: domain.PlaceAbove, Ref: other}
		}
	}
	o.ids = append(o.ids, id)
	return domain.Position{Place: domain.PlaceBottom}
}

// IDs returns the order, first first.
func (o *Order) IDs() []string { return slices.Clone(o.ids) }
