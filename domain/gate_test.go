package domain_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/demo"
	. "github.com/decisionledger/ledger/domain"
)

// history decides the demo's commands one after the other, as the
// handler does, and returns the events as the stream would give them
// back: with sequences, subjects, the stream's clock and exact bytes.
func history(t testing.TB, sign ed25519.PrivateKey) []Event {
	t.Helper()
	st := NewState(demo.Product)
	var out []Event
	for _, c := range demo.Commands(demo.Product) {
		evs, err := Decide(st, c, c.At.Add(time.Minute))
		require.NoError(t, err, c.ID)
		for _, e := range evs {
			e.Seq = uint64(len(out) + 1)
			e.Stored = stored(t, e, sign)
			st.Apply(e)
			out = append(out, e)
		}
	}
	return out
}

func stored(t testing.TB, e Event, sign ed25519.PrivateKey) *Stored {
	t.Helper()
	b, err := Encode(e)
	require.NoError(t, err)
	s := &Stored{Subject: e.Subject(), Time: e.OccurredAt.Add(time.Second), Data: b}
	if sign != nil {
		s.Sig = ed25519.Sign(sign, SignedMessage(s.Subject, b))
		s.SigState = checked(sign.Public().(ed25519.PublicKey), s)
	}
	return s
}

// through passes events through a fresh gate and returns what it admitted
// and what it quarantined (by sequence, with the reason).
func through(g *Gate, evs []Event) (admitted []Event, quarantined map[uint64]string) {
	quarantined = map[uint64]string{}
	for _, e := range evs {
		for _, a := range g.Admit(e) {
			if r, q := QuarantineReason(a); q {
				quarantined[a.Seq] = r
				continue
			}
			admitted = append(admitted, a)
		}
	}
	return admitted, quarantined
}

func TestGateAdmitsEveryDecisionTheRulesTook(t *testing.T) {
	evs := history(t, nil)
	g := NewGate(NewState(demo.Product))
	admitted, quarantined := through(g, evs)
	assert.Empty(t, quarantined)
	assert.Len(t, admitted, len(evs))
	assert.Zero(t, g.Pending())

	direct := NewState(demo.Product)
	for _, e := range evs {
		direct.Apply(e)
	}
	a, err := g.State().MarshalSnapshot()
	require.NoError(t, err)
	b, err := direct.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(b), string(a), "the gate folds what a plain fold folds")
}

// forge builds an event as an attacker on the stream would: well formed,
// with a subject that matches, placed after the history.
func forge(t *testing.T, after []Event, actor Actor, agg Aggregate, data Payload, at time.Time, mutate ...func(*Event)) Event {
	t.Helper()
	last := after[len(after)-1]
	e := Event{ID: EventID(demo.Product, "forged-"+data.EventType(), at, 0), Type: data.EventType(), Schema: SchemaV1,
		Product: demo.Product, Aggregate: agg, Actor: actor, OccurredAt: at, Why: "trust me", Data: data,
		CommandID: "forged-" + data.EventType(), Seq: last.Seq + 1}
	for _, m := range mutate {
		m(&e)
	}
	e.Stored = stored(t, e, nil)
	e.Stored.Time = last.OccurredAt.Add(2 * time.Hour) // the stream's clock
	return e
}

func TestGateQuarantinesWhatNoRuleAllowed(t *testing.T) {
	evs := history(t, nil)
	last := evs[len(evs)-1]
	at := last.OccurredAt.Add(time.Hour)
	product := Aggregate{Kind: KindProduct, ID: demo.Product}
	tests := []struct {
		name   string
		forged Event
		reason string
	}{
		{"ErrRoleWithoutAuthority", forge(t, evs, Actor{ID: "carl", Role: RolePM}, product, RoleAssigned{Actor: "carl", Role: RolePO}, at), "no rule allowed it"},
		{"ErrProductTakeover", forge(t, evs, Actor{ID: "mallory", Role: RolePM}, product, ProductCreated{Name: "Mine", PM: "mallory", PO: "mallory"}, at), "no rule allowed it"},
		{"ErrRankWithoutRole", forge(t, evs, Actor{ID: "mallory", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, at), "no rule allowed it"},
		{"ErrRankInAnotherRole", forge(t, evs, Actor{ID: "pam", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, at), "no rule allowed it"},
		{"ErrFutureDate", forge(t, evs, Actor{ID: "nina", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}},
			time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), func(e *Event) {}), "after the stream stored it"},
		{"ErrTimeBackwards", forge(t, evs, Actor{ID: "nina", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, last.OccurredAt.Add(-time.Hour)), "earlier than the product's latest event"},
		{"ErrOtherProduct", forge(t, evs, Actor{ID: "nina", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, at,
			func(e *Event) { e.Product = "other" }), "names product"},
		{"ErrIDNotTheRules", forge(t, evs, Actor{ID: "nina", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, at,
			func(e *Event) { e.ID = "01JFORGEDFORGEDFORGEDFORGE" }), "event id"},
		{"ErrWhyMissing", forge(t, evs, Actor{ID: "nina", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, at,
			func(e *Event) { e.Why = "" }), "why is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The subject is the one the envelope names, unless the test
			// moved the envelope to another product after storing.
			g := NewGate(NewState(demo.Product))
			_, q := through(g, append(append([]Event(nil), evs...), tc.forged))
			require.Contains(t, q, tc.forged.Seq)
			assert.Contains(t, q[tc.forged.Seq], tc.reason)
			assert.Len(t, q, 1)
			_, recorded := g.State().Recorded(tc.forged.CommandID)
			assert.False(t, recorded, "a quarantined command id is not taken as recorded")
			assert.Equal(t, tc.forged.Seq, g.State().LastSeq, "the position moves on")
			assert.Equal(t, last.OccurredAt, g.State().LastAt, "business time is not moved by a forgery")
		})
	}
}

func TestGateSubjectMustMatch(t *testing.T) {
	evs := history(t, nil)
	e := evs[5]
	e.Stored = &Stored{Subject: "ledger.other.item.X", Time: e.OccurredAt, Data: e.Stored.Data}
	g := NewGate(NewState(demo.Product))
	_, q := through(g, append(append([]Event(nil), evs[:5]...), e))
	assert.Contains(t, q[e.Seq], "stored under ledger.other.item.X")
}

// TestGateQuarantinesWhatItCannotRead: bytes that are no event this
// version reads are quarantined with Decode's reason, advance the gate's
// position, and the decisions after them are admitted.
func TestGateQuarantinesWhatItCannotRead(t *testing.T) {
	evs := history(t, nil)
	cases := []struct{ name, data, reason string }{
		{"Binary", "\x00\xff", "not a ledger event: 2 bytes of binary data, not JSON"},
		{"NotJSON", "hello", "not a ledger event: 5 bytes of text that is not JSON"},
		{"NoType", `{"a":1}`, "not a ledger event: JSON without an event type"},
		{"UnknownType", `{"type":"BacklogItemSplit","schema":1,"product":"checkout","data":{}}`, `event type "BacklogItemSplit" (schema 1) is not one this version reads`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			junk, _ := Decode([]byte(tc.data))
			junk.Seq = evs[9].Seq
			junk.Stored = &Stored{Subject: evs[9].Subject(), Data: []byte(tc.data)}
			rest := append([]Event(nil), evs[9:]...)
			for i := range rest {
				rest[i].Seq++
			}
			g := NewGate(NewState(demo.Product))
			admitted, q := through(g, append(append(append([]Event(nil), evs[:9]...), junk), rest...))
			assert.Equal(t, map[uint64]string{junk.Seq: tc.reason}, q)
			assert.Len(t, admitted, len(evs), "every decision after it is admitted")
			assert.Equal(t, rest[len(rest)-1].Seq, g.State().LastSeq)
		})
	}
}

// checked is what a reader holding the ledger's verifier key finds.
func checked(pub ed25519.PublicKey, s *Stored) SigState {
	switch {
	case s.Sig == nil:
		return SigNone
	case ed25519.Verify(pub, SignedMessage(s.Subject, s.Data), s.Sig):
		return SigValid
	}
	return SigInvalid
}

func TestGateSignatures(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	evs := history(t, priv)

	g := NewGate(NewState(demo.Product))
	_, q := through(g, evs)
	assert.Empty(t, q, "every signed event passes")
	assert.True(t, g.State().Signed)

	// An unsigned event after signed ones, and one with another key's
	// signature, are quarantined even when the rules would allow them.
	last := evs[len(evs)-1]
	next := forge(t, evs, Actor{ID: "nina", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, last.OccurredAt.Add(time.Hour))
	_, other, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	bad := next
	bad.Stored = &Stored{Subject: next.Stored.Subject, Time: next.Stored.Time, Data: next.Stored.Data,
		Sig: ed25519.Sign(other, SignedMessage(next.Stored.Subject, next.Stored.Data))}
	bad.Stored.SigState = checked(pub, bad.Stored)
	for name, e := range map[string]Event{"unsigned": next, "foreign signature": bad} {
		g := NewGate(NewState(demo.Product))
		_, q := through(g, append(append([]Event(nil), evs...), e))
		assert.Len(t, q, 1, name)
		assert.True(t, strings.Contains(q[e.Seq], "signed") || strings.Contains(q[e.Seq], "signature"), q[e.Seq])
	}
	// Signed by the ledger, it is admitted.
	good := next
	good.Stored = stored(t, next, priv)
	good.Stored.Time = next.Stored.Time
	_, q = through(NewGate(NewState(demo.Product)), append(append([]Event(nil), evs...), good))
	assert.Empty(t, q)
}

func TestGateFindsGaps(t *testing.T) {
	evs := history(t, nil)
	for i := range evs {
		evs[i].Stored.HasPrev, evs[i].Stored.Prev = true, evs[i].Seq-1
	}
	g := NewGate(NewState(demo.Product))
	hole := append(append([]Event(nil), evs[:40]...), evs[42:]...)
	_, q := through(g, hole)
	require.Len(t, g.Gaps(), 1)
	assert.Equal(t, Gap{After: 40, Prev: 42, Seq: 43}, g.Gaps()[0])
	assert.Contains(t, g.Gaps()[0].String(), "missing")
	_ = q
}

// TestGateAdmitsUpcastEvents: a history an older ledger wrote, with v1
// estimates, passes the validating fold as it is: the rules decide the
// current shape, and the upcast event is that shape.
func TestGateAdmitsUpcastEvents(t *testing.T) {
	evs := history(t, nil)
	var v1s int
	for i, e := range evs {
		if e.Type != TypeBacklogItemEstimated {
			continue
		}
		p := e.Data.(BacklogItemEstimated)
		old := strings.Replace(string(e.Stored.Data), `"schema":2`, `"schema":1`, 1)
		old = strings.Replace(old, string(mustJSON(t, p)), fmt.Sprintf(`{"points":%v}`, p.Points), 1)
		back, err := Decode([]byte(old))
		require.NoError(t, err)
		back.Seq, back.Stored = e.Seq, &Stored{Subject: e.Stored.Subject, Time: e.Stored.Time, Data: []byte(old)}
		evs[i] = back
		v1s++
	}
	require.NotZero(t, v1s, "the demo estimates items")
	_, q := through(NewGate(NewState(demo.Product)), evs)
	assert.Empty(t, q)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestGateChecksImportedObservations: an event that says it was imported
// is checked by the import rules: it never grants a role, and its
// outsideAuthority flag must be what the recorded roles say.
func TestGateChecksImportedObservations(t *testing.T) {
	evs := history(t, nil)
	last := evs[len(evs)-1]
	at := last.OccurredAt.Add(time.Hour)
	src := &Source{System: "bugzilla", Key: "1234"}
	grant := forge(t, evs, Actor{ID: "mallory", Role: RolePM}, Aggregate{Kind: KindProduct, ID: demo.Product}, RoleAssigned{Actor: "mallory", Role: RolePO}, at,
		func(e *Event) { e.Source = src })
	unflagged := forge(t, evs, Actor{ID: "mallory", Role: RolePO}, Aggregate{Kind: KindItem, ID: "OPS-5"}, BacklogItemRanked{Position: Position{Place: PlaceTop}}, at,
		func(e *Event) { e.Source = src; e.Why = "moved in the tracker" })
	flagged := unflagged
	flagged.Actor.Role, flagged.OutsideAuthority = "", true
	flagged.Stored = stored(t, flagged, nil)
	flagged.Stored.Time = unflagged.Stored.Time
	// Published around the importer, which drops such links.
	trap := flagged
	trap.Source = &Source{System: "bugzilla", Key: "1234", URL: "javascript:alert(document.cookie)"}
	trap.Stored = stored(t, trap, nil)
	trap.Stored.Time = unflagged.Stored.Time
	for _, tc := range []struct {
		name   string
		e      Event
		reason string
	}{
		{"ErrGrantsARole", grant, "product decision"},
		{"ErrHidesItsFlag", unflagged, "not what the import rules make of it"},
		{"ErrJavascriptLink", trap, "is not an http or https address"},
		{"OK", flagged, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, q := through(NewGate(NewState(demo.Product)), append(append([]Event(nil), evs...), tc.e))
			if tc.reason == "" {
				assert.Empty(t, q, "an honest observation outside authority is kept, flagged")
				return
			}
			assert.Contains(t, q[tc.e.Seq], tc.reason)
		})
	}
}

// TestGateRelayedDecisions: a decision relayed for its actor (by an
// importer, a bot, the CLI of the machine that holds the data) records
// who relayed it, is admitted as the actor's, and a relay that is no id
// is refused when decided and quarantined when read.
func TestGateRelayedDecisions(t *testing.T) {
	evs := history(t, nil)
	st := NewState(demo.Product)
	g := NewGate(NewState(demo.Product))
	admitted, quarantined := through(g, evs)
	require.Empty(t, quarantined)
	for _, e := range admitted {
		st.Apply(e)
	}
	last := evs[len(evs)-1]
	c := Command{ID: "relay-1", Product: demo.Product, Actor: "nina", At: last.OccurredAt.Add(time.Hour), Why: "From the tracker",
		Action: SubmitRequest{ID: "REQ-R1", Title: "Relayed"}, RelayedBy: "importer"}
	relayed, err := Decide(st, c, c.At)
	require.NoError(t, err)
	require.Len(t, relayed, 1)
	assert.Equal(t, "importer", relayed[0].RelayedBy)
	assert.Equal(t, "nina", relayed[0].Actor.ID, "the actor decides; the relay is recorded beside")
	b, err := Encode(relayed[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"relayedBy":"importer"`)

	e := relayed[0]
	e.Seq = last.Seq + 1
	e.Stored = stored(t, e, nil)
	got, q := through(g, []Event{e})
	require.Empty(t, q)
	require.Len(t, got, 1)

	c.ID, c.RelayedBy = "relay-2", "no one"
	_, err = Decide(st, c, c.At)
	require.Error(t, err)
	assert.Equal(t, "relayedBy", FieldOf(err))
	forged := e
	forged.ID, forged.CommandID, forged.RelayedBy, forged.Seq = EventID(demo.Product, "relay-3", e.OccurredAt, 0), "relay-3", "no one", e.Seq+1
	forged.Aggregate.ID = "REQ-R2"
	forged.Stored = stored(t, forged, nil)
	_, q = through(g, []Event{forged})
	assert.Contains(t, q[forged.Seq], "relayedBy", "a relay that is no id is quarantined")
}

// TestGateQuarantinesDuplicates: an event published again byte for byte
// (the same id and bytes at a later sequence) is believed once, also
// after the gate or the write state was snapshotted and restored between
// the original and the copy.
func TestGateQuarantinesDuplicates(t *testing.T) {
	evs := history(t, nil)
	n := len(evs)
	again := func(seq uint64, e Event) Event {
		e.Seq = seq
		st := *e.Stored
		e.Stored = &st
		return e
	}
	last := evs[n-1]
	require.Equal(t, evs[n-2].OccurredAt, last.OccurredAt, "the demo ends with a decision of two events")
	reason := func(seq uint64) string {
		return fmt.Sprintf("duplicate of the event at sequence %d (same event id)", seq)
	}

	restores := map[string]func(t *testing.T, g *Gate) *Gate{
		"NoSnapshot": func(t *testing.T, g *Gate) *Gate { return g },
		"GateSnapshot": func(t *testing.T, g *Gate) *Gate {
			b, err := g.MarshalSnapshot()
			require.NoError(t, err)
			r, err := RestoreGate(demo.Product, b)
			require.NoError(t, err)
			return r
		},
		"GateBinary": func(t *testing.T, g *Gate) *Gate {
			b, err := g.AppendBinary(nil)
			require.NoError(t, err)
			r, err := RestoreGateBinary(demo.Product, b)
			require.NoError(t, err)
			return r
		},
		"WriteState": func(t *testing.T, g *Gate) *Gate {
			b, err := g.State().MarshalSnapshot()
			require.NoError(t, err)
			st, err := RestoreState(demo.Product, b, 0)
			require.NoError(t, err)
			return NewGate(st)
		},
	}
	for name, restore := range restores {
		t.Run(name, func(t *testing.T) {
			fold := func(t *testing.T) *Gate {
				g := NewReadGate(demo.Product)
				_, q := through(g, evs)
				require.Empty(t, q)
				return restore(t, g)
			}
			// The last event again.
			g := fold(t)
			admitted, q := through(g, []Event{again(last.Seq+1, last)})
			assert.Empty(t, admitted)
			assert.Equal(t, map[uint64]string{last.Seq + 1: reason(last.Seq)}, q)

			// The last decision again, both its events.
			g = fold(t)
			admitted, q = through(g, []Event{again(last.Seq+1, evs[n-2]), again(last.Seq+2, last)})
			assert.Empty(t, admitted)
			assert.Equal(t, map[uint64]string{last.Seq + 1: reason(last.Seq - 1), last.Seq + 2: reason(last.Seq)}, q)

			// An older event again: the time rule refuses it.
			g = fold(t)
			admitted, q = through(g, []Event{again(last.Seq+1, evs[50])})
			assert.Empty(t, admitted)
			assert.Contains(t, q[last.Seq+1], "earlier than the product's latest event")

			// A decision after the copy is admitted.
			g = fold(t)
			next := forge(t, append(evs, again(last.Seq+1, last)), Actor{ID: "nina", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"},
				BacklogItemRanked{Position: Position{Place: PlaceTop}}, last.OccurredAt.Add(time.Hour))
			admitted, q = through(g, []Event{again(last.Seq+1, last), next})
			assert.Len(t, q, 1)
			require.Len(t, admitted, 1)
			assert.Equal(t, next.Seq, admitted[0].Seq)
		})
	}
}

// TestInstantRemembersManyEventsAtOneTime: the ids of a product's latest
// business time are all remembered, however many share it, and forgotten
// once time moves on.
func TestInstantRemembersManyEventsAtOneTime(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	st := NewState("p")
	for i := range 100 {
		st.Apply(Event{ID: fmt.Sprint("id-", i), Product: "p", Aggregate: Aggregate{Kind: KindItem, ID: "A"}, OccurredAt: at,
			Data: BacklogItemRanked{}, Seq: uint64(i + 1)})
	}
	for i := range 100 {
		seq, ok := st.DuplicateOf(Event{ID: fmt.Sprint("id-", i), OccurredAt: at})
		require.True(t, ok, i)
		assert.Equal(t, uint64(i+1), seq)
	}
	st.Apply(Event{ID: "later", Product: "p", Aggregate: Aggregate{Kind: KindItem, ID: "A"}, OccurredAt: at.Add(time.Second), Data: BacklogItemRanked{}, Seq: 101})
	_, ok := st.DuplicateOf(Event{ID: "id-7", OccurredAt: at})
	assert.False(t, ok, "only the latest time is remembered: the time rule refuses the rest")
	_, ok = st.DuplicateOf(Event{ID: "later", OccurredAt: at.Add(time.Second)})
	assert.True(t, ok)
}
