package bench

import (
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// OpenBacklog returns the history of a product whose backlog holds open
// items and nothing else to speak of: its creation (pam the PM, olga the
// PO), tom given the team role, sally the stakeholder's, then open
// stories I-1 ... I-<open>, added one decision each, a second apart from
// 2020-01-06. It is what the write rows measure a decision against: a
// backlog of that size, without the generator's bounds (a rich history
// keeps at most 1,500 items open).
func OpenBacklog(product string, open int) []domain.Event {
	at := time.Date(2020, 1, 6, 9, 0, 0, 0, time.UTC)
	evs := make([]domain.Event, 0, open+3)
	add := func(actor string, role domain.Role, kind domain.AggregateKind, id string, p domain.Payload) {
		at = at.Add(time.Second)
		cmd := fmt.Sprintf("%s-open-%d", product, len(evs))
		evs = append(evs, domain.Event{ID: domain.EventID(product, cmd, at, 0), Type: p.EventType(), Schema: domain.SchemaOf(p.EventType()),
			Product: product, Aggregate: domain.Aggregate{Kind: kind, ID: id}, Actor: domain.Actor{ID: actor, Role: role},
			OccurredAt: at, Data: p, CommandID: cmd})
	}
	add("pam", domain.RolePM, domain.KindProduct, product, domain.ProductCreated{Name: "Open backlog", PM: "pam", PO: "olga"})
	add("pam", domain.RolePM, domain.KindProduct, product, domain.RoleAssigned{Actor: "tom", Role: domain.RoleTeam})
	add("pam", domain.RolePM, domain.KindProduct, product, domain.RoleAssigned{Actor: "sally", Role: domain.RoleStakeholder})
	for i := 1; i <= open; i++ {
		id := fmt.Sprintf("I-%d", i)
		add("olga", domain.RolePO, domain.KindItem, id, domain.BacklogItemAdded{Title: "Item " + id, Kind: domain.ItemStory})
	}
	return evs
}
