package notify

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// TestIndexDrops: the index keeps only the notes no subscription has
// passed, and a subscription behind them reads the history again and gets
// the same notes.
func TestIndexDrops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(t.TempDir(), "store")})
	require.NoError(t, err)
	defer s.Close()
	st := domain.NewState("shop")
	bySeq := map[string]uint64{}
	do := func(actor, why string, a domain.Action) {
		at := time.Now().UTC()
		c := domain.Command{ID: fmt.Sprintf("c-%d", st.LastSeq+1), Product: "shop", Actor: actor, At: at, Why: why, Action: a}
		evs, err := domain.Decide(st, c, at)
		require.NoError(t, err, "%s", a.Verb())
		seqs, err := s.Append(ctx, evs, st.LastSeq)
		require.NoError(t, err)
		for i, e := range evs {
			e.Seq = seqs[i]
			st.Apply(e)
			bySeq[e.Type+" "+e.Aggregate.ID] = e.Seq
		}
	}
	do("pam", "", domain.CreateProduct{Name: "Shop", PM: "pam", PO: "olga"})
	do("pam", "asks", domain.AssignRole{Actor: "sam", Role: domain.RoleStakeholder})
	do("sam", "", domain.SubmitRequest{ID: "R1", Title: "One"})
	do("sam", "", domain.SubmitRequest{ID: "R2", Title: "Two"})
	do("olga", "no", domain.RejectRequest{ID: "R1", Reason: domain.ReasonOther})
	do("olga", "no", domain.RejectRequest{ID: "R2", Reason: domain.ReasonOther})
	r1, r2 := bySeq[domain.TypeRequestRejected+" R1"], bySeq[domain.TypeRequestRejected+" R2"]

	d := NewDeliverer(OpenRegistry(filepath.Join(t.TempDir(), "notify")), s, nil, Options{})
	x := d.index("shop")
	notes, err := x.at(ctx, s, "a", r1)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	assert.Equal(t, "R1", notes[0].Request)
	notes, err = x.at(ctx, s, "a", r2)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	assert.Equal(t, "R2", notes[0].Request)
	assert.Equal(t, r2, x.floor, "a is past R1's rejection: its note is dropped")
	assert.NotContains(t, x.notes, r1)

	notes, err = x.at(ctx, s, "b", r1)
	require.NoError(t, err, "b starts behind what was dropped")
	require.Len(t, notes, 1)
	assert.Equal(t, "R1", notes[0].Request)
	assert.Equal(t, r1, x.floor)
	x.forget("b")
	notes, err = x.at(ctx, s, "a", r2)
	require.NoError(t, err)
	require.Len(t, notes, 1, "a redelivered event")
	assert.Equal(t, r2, x.floor, "b gone, what only it needed is dropped")
}
