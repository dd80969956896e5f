package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureEvents decides a short history touching every part of State and
// returns the state and the events it applied, in order.
func fixtureEvents(t *testing.T) (*State, []Event) {
	t.Helper()
	r := &recorder{fixture: &fixture{t: t, s: NewState("checkout"), now: t0}}
	r.script()
	return r.s, r.evs
}

// recorder is a fixture that keeps the events it applies.
type recorder struct {
	*fixture
	evs []Event
}

func (r *recorder) do(actor, why string, a Action) {
	r.t.Helper()
	r.now = r.now.Add(time.Minute)
	evs, err := Decide(r.s, r.cmd(actor, why, a), r.now)
	require.NoError(r.t, err, "%s by %s", a.Verb(), actor)
	for _, e := range evs {
		e.Seq = r.s.LastSeq + 1
		r.s.Apply(e)
		r.evs = append(r.evs, e)
	}
}

func (r *recorder) script() {
	r.do("pam", "", CreateProduct{Name: "Checkout", PM: "pam", PO: "olga"})
	r.do("pam", "staff", AssignRole{Actor: "tom", Role: RoleTeam})
	r.do("pam", "voice", AssignRole{Actor: "sally", Role: RoleStakeholder})
	r.do("pam", "bet", PlanRoadmapItem{ID: "R1", Title: "One-click pay", Period: "2026-Q2"})
	r.do("pam", "gone", PlanRoadmapItem{ID: "RD", Title: "Fax", Period: "2026-Q2"})
	r.do("pam", "gone", DropRoadmapItem{ID: "RD"})
	r.do("olga", "", AddItem{ID: "EPIC1", Title: "Payments", Kind: ItemEpic})
	r.do("olga", "", AddItem{ID: "A", Title: "Card form", Epic: "EPIC1", Roadmap: "R1"})
	r.do("olga", "", AddItem{ID: "D", Title: "Done"})
	r.do("tom", "", DeliverWork{ID: "D"})
	r.do("sally", "", SubmitRequest{ID: "REQ1", Title: "PayPal"})
	r.do("olga", "yes", AcceptRequest{ID: "REQ1", Item: "PP"})
	r.do("sally", "", SubmitRequest{ID: "DEF", Title: "Crypto"})
	r.do("olga", "later", DeferRequest{ID: "DEF", Until: "2026-09-01"})
	r.do("pam", "handover", AssignRole{Actor: "nina", Role: RolePO})
	r.do("pam", "left", RevokeRole{Actor: "tom", Role: RoleTeam})
}

func TestStateSnapshotRoundTrip(t *testing.T) {
	want, evs := fixtureEvents(t)
	for k := 0; k <= len(evs); k++ {
		t.Run(fmt.Sprintf("at=%d", k), func(t *testing.T) {
			s := NewState("checkout")
			for _, e := range evs[:k] {
				s.Apply(e)
			}
			b, err := s.MarshalSnapshot()
			require.NoError(t, err)
			again, err := s.MarshalSnapshot()
			require.NoError(t, err)
			require.Equal(t, b, again, "the same state encodes to the same bytes")
			got, err := RestoreState("checkout", b, 0)
			require.NoError(t, err)
			for _, e := range evs[k:] {
				got.Apply(e)
			}
			assertSameState(t, want, got)
		})
	}
}

// assertSameState compares two states through their canonical encoding
// (which covers the remembered command ids in order) and field by field.
func assertSameState(t *testing.T, want, got *State) {
	t.Helper()
	wb, err := want.MarshalSnapshot()
	require.NoError(t, err)
	gb, err := got.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(wb), string(gb))
	assert.Equal(t, want.Product, got.Product)
	assert.Equal(t, want.Roadmap, got.Roadmap)
	assert.Equal(t, want.Items, got.Items)
	assert.Equal(t, want.Requests, got.Requests)
	assert.Equal(t, want.LastSeq, got.LastSeq)
	assert.True(t, want.LastAt.Equal(got.LastAt))
}

// The snapshot format is pinned: a change needs a new StateVersion.
func TestStateSnapshotGolden(t *testing.T) {
	s, _ := fixtureEvents(t)
	b, err := s.MarshalSnapshot()
	require.NoError(t, err)
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, b, "", "  "))
	file := filepath.Join("testdata", "state.json")
	if *update {
		require.NoError(t, os.WriteFile(file, pretty.Bytes(), 0o644))
	}
	golden, err := os.ReadFile(file)
	require.NoError(t, err, "run go test ./domain -update to create it")
	assert.Equal(t, string(golden), pretty.String(), "the write-state encoding changed: bump StateVersion and run go test ./domain -update")
}

func TestRestoreStateRefuses(t *testing.T) {
	s, _ := fixtureEvents(t)
	b, err := s.MarshalSnapshot()
	require.NoError(t, err)
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &env))
	with := func(key, value string) []byte {
		m := map[string]json.RawMessage{}
		for k, v := range env {
			m[k] = v
		}
		m[key] = json.RawMessage(value)
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return out
	}
	for _, c := range []struct {
		name, product string
		data          []byte
		msg           string
	}{
		{"ErrGarbage", "checkout", []byte("not json"), "does not decode"},
		{"ErrTruncated", "checkout", b[:len(b)/2], "does not decode"},
		{"ErrVersion", "checkout", with("version", `"writestate/0"`), `version "writestate/0"`},
		{"ErrProduct", "shop", b, `of product "checkout", not "shop"`},
		{"ErrDigest", "checkout", bytes.Replace(b, []byte(`"Card form"`), []byte(`"Card farm"`), 1), "does not match its digest"},
		{"ErrSeq", "checkout", with("seq", "7"), "inconsistent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := RestoreState(c.product, c.data, 0)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestRecordedIsBounded(t *testing.T) {
	s := NewState("p")
	s.SetCommandLimit(3)
	assert.Equal(t, 3, s.CommandLimit())
	for i := 1; i <= 5; i++ {
		// Two events of one command: the id is remembered once, at its first.
		for j := 0; j < 2; j++ {
			s.Apply(Event{Seq: uint64(2*i + j), Product: "p", Data: VisionStated{}, Aggregate: Aggregate{Kind: KindProduct, ID: "p"}, CommandID: fmt.Sprint("c", i)})
		}
	}
	for i := 1; i <= 5; i++ {
		seq, ok := s.Recorded(fmt.Sprint("c", i))
		if i <= 2 {
			assert.False(t, ok, "c%d is older than the last 3 commands: forgotten", i)
			continue
		}
		assert.True(t, ok, "c%d is among the last 3", i)
		assert.Equal(t, uint64(2*i), seq)
	}
	assert.Len(t, s.commands.seqs, 3)
	assert.Len(t, s.commands.ring, 3)

	// The bound survives a snapshot, and a smaller one evicts the oldest.
	b, err := s.MarshalSnapshot()
	require.NoError(t, err)
	r, err := RestoreState("p", b, 2)
	require.NoError(t, err)
	_, ok := r.Recorded("c3")
	assert.False(t, ok)
	seq, ok := r.Recorded("c5")
	assert.True(t, ok)
	assert.Equal(t, uint64(10), seq)
	r.Apply(Event{Seq: 12, Product: "p", Data: VisionStated{}, Aggregate: Aggregate{Kind: KindProduct, ID: "p"}, CommandID: "c6"})
	_, ok = r.Recorded("c4")
	assert.False(t, ok, "the oldest goes first")
	_, ok = r.Recorded("c6")
	assert.True(t, ok)

	r.SetCommandLimit(10)
	r.Apply(Event{Seq: 13, Product: "p", Data: VisionStated{}, Aggregate: Aggregate{Kind: KindProduct, ID: "p"}, CommandID: "c7"})
	for _, id := range []string{"c5", "c6", "c7"} {
		_, ok := r.Recorded(id)
		assert.True(t, ok, id)
	}
}

func TestNewStateRemembersDefaultCommandLimit(t *testing.T) {
	assert.Equal(t, DefaultCommandLimit, NewState("p").CommandLimit())
}
