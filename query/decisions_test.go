package query

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

func seqsOf(d Decisions) []uint64 {
	out := []uint64{}
	for _, r := range d.Decisions {
		out = append(out, r.Seq)
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// TestDemoDecisions checks every filter and combinations on the demo
// history. The demo writes one event per command, except that accepting a
// request into a new item writes two (RequestAccepted, BacklogItemAdded)
// and handing the PO role over writes two (RoleRevoked, RoleAssigned), so
// the sequence of a command in demo/script.go is its position counted that
// way: the 9 kick-off commands are 1-9, the four roadmap items 10-13, the
// epics and stories 14-43, the first rankings 44-48, and so on (the
// expected sequences below were counted from the script).
func TestDemoDecisions(t *testing.T) {
	q, _ := demoService(t)
	cases := []struct {
		name string
		f    DecisionsFilter
		want []uint64
	}{
		// Every event of the product is a decision in the log.
		{"OKAll", DecisionsFilter{}, span(1, 163)},
		// BacklogItemRanked: CARD-1, CARD-5, CARD-2, OPS-2, WAL-1 on 01-08
		// (44-48), CARD-8 on 01-19 (61), WAL-2 03-30 (92), INV-1 04-21 (102),
		// WAL-4 05-15 (115), INV-1 07-01 (139), RCP-2 07-27 (147), RCP-3
		// 08-31 (155); and RoadmapItemRanked R-INVOICE 04-02 (93).
		{"OKRankedShortName", DecisionsFilter{Types: []string{"ranked"}}, []uint64{44, 45, 46, 47, 48, 61, 92, 93, 102, 115, 139, 147, 155}},
		{"OKTypeName", DecisionsFilter{Types: []string{"RoadmapItemRanked"}}, []uint64{93}},
		// Only R-INVOICE was rescheduled (04-20), the event after REQ-10's
		// acceptance pair 99-100.
		{"OKRescheduled", DecisionsFilter{Types: []string{"rescheduled"}}, []uint64{101}},
		// Rejections: REQ-3 (65), REQ-4 (67), REQ-5 (70), REQ-6 (73), REQ-8
		// (77), REQ-15 (126), REQ-16 (128).
		{"OKRejected", DecisionsFilter{Types: []string{"rejected"}}, []uint64{65, 67, 70, 73, 77, 126, 128}},
		{"OKTwoTypes", DecisionsFilter{Types: []string{"rejected", "deferred"}}, []uint64{65, 67, 70, 73, 75, 77, 119, 126, 128}},
		// CARD-2: added 16, ranked 46, estimated 49, started 53, delivered 78.
		{"OKItem", DecisionsFilter{Item: "CARD-2"}, []uint64{16, 46, 49, 53, 78}},
		// REQ-12: submitted 05-12 (111), accepted 05-14 (113); the item it
		// became (114) is on LOC-1's subject, not the request's.
		{"OKRequest", DecisionsFilter{Request: "REQ-12"}, []uint64{111, 113}},
		// R-INVOICE's own decisions: planned 12, ranked 93, rescheduled 101.
		{"OKRoadmap", DecisionsFilter{Roadmap: "R-INVOICE"}, []uint64{12, 93, 101}},
		// The CARDS epic: itself (added 14, delivered 91) and CARD-1..7
		// (15-21 added, then their ranks, estimates, starts, deliveries and
		// CARD-7's removal). CARD-8 serves R-CARDS but came from REQ-2
		// without an epic: none of its decisions is in.
		{"OKEpic", DecisionsFilter{Epic: "CARDS"}, []uint64{14, 15, 16, 17, 18, 19, 20, 21, 44, 45, 46, 49, 50, 51, 53, 54, 62, 64, 71, 78, 86, 87, 88, 89, 90, 91}},
		// The auditor's question: priority changes in the CARDS epic in 2026.
		{"OKEpicRanked2026", DecisionsFilter{Epic: "CARDS", Types: []string{"ranked"}, From: "2026-01-01", To: "2027-01-01"}, []uint64{44, 45, 46}},
		// nina became PO on 05-04; team members' events are not hers.
		{"OKActor", DecisionsFilter{Actor: "nina", Types: []string{"ranked"}}, []uint64{115, 139, 147, 155}},
		// The PM's decisions on the roadmap and roles after the kick-off.
		{"OKRole", DecisionsFilter{Role: "pm", From: "2026-01-06"}, []uint64{10, 11, 12, 13, 80, 93, 101, 104, 105, 106, 129}},
		// Two rejections were duplicates: REQ-6 (73) and REQ-16 (128).
		{"OKReason", DecisionsFilter{Reason: "duplicate"}, []uint64{73, 128}},
		// April 2026, to excluded: 93 (04-02) to 103 (04-28); 104 is 05-04.
		{"OKFromTo", DecisionsFilter{From: "2026-04-01", To: "2026-05-01"}, span(93, 103)},
		// Only CARD-2's rank jumped over higher RICE scores (CARD-1, CARD-5).
		{"OKOverrides", DecisionsFilter{Overrides: true}, []uint64{46}},
		{"OKOverridesOfNina", DecisionsFilter{Overrides: true, Actor: "nina"}, []uint64{}},
		// As of 2026-01-08, the end of that day: the first rankings only.
		{"OKAsOf", DecisionsFilter{Types: []string{"ranked"}, AsOf: "2026-01-08"}, []uint64{44, 45, 46, 47, 48}},
		{"OKAsOfSeq", DecisionsFilter{Epic: "CARDS", AsOf: "seq:45"}, []uint64{14, 15, 16, 17, 18, 19, 20, 21, 44, 45}},
		// olga's rank decisions on the WALLET epic before she handed over:
		// WAL-1 (48), WAL-2 (92); nina's WAL-4 (115) is after.
		{"OKEpicActorRanked", DecisionsFilter{Epic: "WALLET", Actor: "olga", Types: []string{"ranked"}}, []uint64{48, 92}},
		// Deliveries by tara in the invoice epic in August: INV-3, INV-4, INV-5.
		{"OKEpicRoleTypeFromTo", DecisionsFilter{Epic: "INVOICE", Role: "team", Actor: "tara", Types: []string{"delivered"}, From: "2026-08-01", To: "2026-09-01"}, []uint64{149, 152, 154}},
		{"OKItemAndWrongType", DecisionsFilter{Item: "CARD-2", Types: []string{"rejected"}}, []uint64{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := q.Decisions(context.Background(), "checkout", tc.f, 0)
			require.NoError(t, err)
			assert.Equal(t, tc.want, seqsOf(d))
		})
	}
}

func TestDemoDecisionRow(t *testing.T) {
	q, _ := demoService(t)
	d, err := q.Decisions(context.Background(), "checkout", DecisionsFilter{Overrides: true}, 0)
	require.NoError(t, err)
	require.Len(t, d.Decisions, 1)
	r := d.Decisions[0]
	// 01-08 10:10: olga ranks CARD-2 to the top with RICE 9000*3*0.5/8.
	assert.Equal(t, uint64(46), r.Seq)
	assert.Equal(t, "2026-01-08T10:10:00Z", r.At.Format("2006-01-02T15:04:05Z07:00"))
	assert.Equal(t, domain.TypeBacklogItemRanked, r.Type)
	assert.Equal(t, "ledger.checkout.item.CARD-2", r.Subject)
	assert.Equal(t, "olga", r.Actor)
	assert.Equal(t, domain.RolePO, r.Role)
	assert.Contains(t, r.Why, "PSD2")
	assert.Equal(t, []string{"rank 4 -> 1", "score RICE/v1 1687.5"}, r.Changes)
	assert.Equal(t, "CARDS", r.Epic)
	assert.Equal(t, "R-CARDS", r.Roadmap)
	require.NotNil(t, r.Score)
	assert.Equal(t, "RICE", r.Score.Framework)
	require.NotNil(t, r.Score.Value)
	assert.Equal(t, 1687.5, *r.Score.Value)
	assert.Equal(t, []projections.Override{{ID: "CARD-1", Framework: "RICE", Score: 5400}, {ID: "CARD-5", Framework: "RICE", Score: 6000}}, r.Overrides)
	assert.NotEmpty(t, r.EventID)

	rej, err := q.Decisions(context.Background(), "checkout", DecisionsFilter{Request: "REQ-3", Types: []string{"rejected"}}, 0)
	require.NoError(t, err)
	require.Len(t, rej.Decisions, 1)
	assert.Equal(t, domain.ReasonConflictsWithVision, rej.Decisions[0].Reason)
	assert.Equal(t, []string{"status pending -> rejected"}, rej.Decisions[0].Changes)
}

func TestDecisionsRefused(t *testing.T) {
	q, _ := demoService(t)
	cases := []struct {
		name  string
		f     DecisionsFilter
		field string
		kind  domain.Kind
	}{
		{"ErrType", DecisionsFilter{Types: []string{"promoted"}}, "type", domain.KindInvalid},
		{"ErrRole", DecisionsFilter{Role: "boss"}, "role", domain.KindInvalid},
		{"ErrReason", DecisionsFilter{Reason: "boring"}, "reason", domain.KindInvalid},
		{"ErrFrom", DecisionsFilter{From: "yesterday"}, "from", domain.KindInvalid},
		{"ErrFromAfterTo", DecisionsFilter{From: "2026-05-01", To: "2026-04-01"}, "from", domain.KindInvalid},
		{"ErrAsOf", DecisionsFilter{AsOf: "soon"}, "asOf", domain.KindInvalid},
		{"ErrItemNotFound", DecisionsFilter{Item: "PAY-7"}, "item", domain.KindNotFound},
		{"ErrEpicNotFound", DecisionsFilter{Epic: "PAY"}, "epic", domain.KindNotFound},
		{"ErrItemNotYet", DecisionsFilter{Item: "LOC-1", AsOf: "2026-02-01"}, "item", domain.KindNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := q.Decisions(context.Background(), "checkout", tc.f, 0)
			var de *domain.Error
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.field, de.Field)
			assert.Equal(t, tc.kind, de.Kind)
		})
	}
}

// TestDecisionsView goes through the dispatcher every edge uses.
func TestDecisionsView(t *testing.T) {
	q, _ := demoService(t)
	o, err := DecodeOptions([]byte(`{"product":"checkout","epic":"CARDS","type":["ranked"],"from":"2026-01-01","to":"2027-01-01"}`))
	require.NoError(t, err)
	v, err := q.View(context.Background(), ViewDecisions, o)
	require.NoError(t, err)
	assert.Equal(t, []uint64{44, 45, 46}, seqsOf(v.(Decisions)))
	_, err = q.View(context.Background(), ViewBacklog, Options{Product: "checkout", Epic: "CARDS"})
	assert.ErrorContains(t, err, "the backlog view takes no epic")
	_, err = q.View(context.Background(), ViewBacklog, Options{Product: "checkout", Overrides: true})
	assert.ErrorContains(t, err, "takes no overrides")
}

// TestLiveDecisionsEqualRebuilt asks decisions of the live projections and
// of the stream, now and as of positions, and requires the same rows.
func TestLiveDecisionsEqualRebuilt(t *testing.T) {
	q, s := demoService(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := NewLive(s, s.Snapshots(), 0, t.Logf)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(ctx) }()
	defer func() { cancel(); <-done }()
	lq := New(s, s.Snapshots())
	lq.UseLive(live, nil)
	last := lastSeq(t, q)
	require.Eventually(t, func() bool { return live.Position("checkout") == last }, 10*time.Second, 5*time.Millisecond)

	for _, asOf := range []string{"", "seq:45", "2026-01-08", "2026-06-30"} {
		for _, f := range []DecisionsFilter{{}, {Epic: "CARDS"}, {Item: "INV-1"}, {Types: []string{"ranked"}, Overrides: true},
			{Request: "REQ-7"}, {Roadmap: "R-INVOICE"}, {Actor: "nina", From: "2026-06-01"}, {Item: "LOC-1"}} {
			f.AsOf = asOf
			want, wantErr := q.Decisions(ctx, "checkout", f, 0)
			got, gotErr := lq.Decisions(ctx, "checkout", f, 0)
			if wantErr != nil {
				assert.Equal(t, wantErr, gotErr, "%+v", f)
				continue
			}
			require.NoError(t, gotErr, "%+v", f)
			assert.Equal(t, want.Decisions, got.Decisions, "%+v", f)
			assert.Equal(t, want.Position, got.Position, "%+v", f)
		}
	}
}

// TestAggregateDecisionsEqualRebuilt: a filter on one item, roadmap item or
// request, answered from that aggregate's subject and the views as they
// stood before each of its events, gives the rows of a whole rebuild.
func TestAggregateDecisionsEqualRebuilt(t *testing.T) {
	q, s := demoService(t) // no snapshots: always rebuilds
	fast := New(s, s.Snapshots())
	ctx := context.Background()
	check := func(t *testing.T) {
		t.Helper()
		for _, asOf := range []string{"", "seq:46", "2026-04-20", "2026-06-30"} {
			for _, f := range []DecisionsFilter{{Item: "CARD-2"}, {Item: "INV-1", Types: []string{"ranked"}}, {Item: "WAL-4"},
				{Item: "CARD-1", Overrides: true}, {Item: "CARD-2", Epic: "CARDS"}, {Request: "REQ-7"}, {Request: "REQ-12"},
				{Roadmap: "R-INVOICE"}, {Roadmap: "R-FAX"}, {Item: "LOC-1"}} {
				f.AsOf = asOf
				want, wantErr := q.Decisions(ctx, "checkout", f, 0)
				got, gotErr := fast.Decisions(ctx, "checkout", f, 0)
				if wantErr != nil {
					assert.Equal(t, wantErr, gotErr, "%+v", f)
					continue
				}
				require.NoError(t, gotErr, "%+v", f)
				assert.Equal(t, want.Decisions, got.Decisions, "%+v", f)
				assert.Equal(t, want.Position, got.Position, "%+v", f)
			}
		}
	}
	// Folding the views from the first event, then jumping to snapshots
	// taken every 20 events, as serve takes them while it folds.
	t.Run("NoSnapshots", check)
	views := replay.NewViews()
	sn := replay.NewSnapshotter(s.Snapshots(), "checkout", 20, replay.View{Projection: views})
	_, err := s.Read(ctx, "checkout", 0, func(e domain.Event) error {
		views.Apply(e)
		_, err := sn.MaybeSnapshot(ctx, e)
		return err
	})
	require.NoError(t, err)
	infos, err := s.Snapshots().List(ctx, "checkout", "views")
	require.NoError(t, err)
	require.Greater(t, len(infos), 3)
	t.Run("Snapshots", check)
}
