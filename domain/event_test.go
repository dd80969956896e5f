package domain

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// samples holds one event of every v1 type with every field set, so that
// the golden files pin the whole wire format.
func samples() []Event {
	at := time.Date(2026, 4, 1, 10, 30, 0, 0, time.UTC)
	mk := func(kind AggregateKind, id string, role Role, why string, data Payload) Event {
		return Event{
			ID: EventID("checkout", "golden-"+data.EventType(), at, 0), Type: data.EventType(), Schema: SchemaOf(data.EventType()),
			Product: "checkout", Aggregate: Aggregate{Kind: kind, ID: id},
			Actor: Actor{ID: "olga", Role: role}, OccurredAt: at, Why: why,
			Data: data, CommandID: "golden-" + data.EventType(),
		}
	}
	rejected := mk(KindRequest, "REQ-7", RolePO, "Fax is out of scope for a web checkout", RequestRejected{})
	rejected.Reason = ReasonOutOfScope
	return []Event{
		mk(KindProduct, "checkout", RolePM, "", ProductCreated{Name: "Checkout", PM: "pam", PO: "olga"}),
		mk(KindProduct, "checkout", RolePM, "Sales needs a voice", RoleAssigned{Actor: "sally", Role: RoleStakeholder}),
		mk(KindProduct, "checkout", RolePM, "Olga moved teams", RoleRevoked{Actor: "olga", Role: RolePO}),
		mk(KindProduct, "checkout", RolePM, "Board review", VisionStated{Vision: "The fastest checkout", Metrics: []string{"conversion +5%", "p95 < 2s"}}),
		mk(KindProduct, "checkout", RolePO, "Q2 focus", ProductGoalSet{Goal: "Cards first"}),
		mk(KindRoadmap, "R1", RolePM, "Top customer ask", RoadmapItemPlanned{Title: "One-click pay", Objective: "Fewer abandoned carts", Period: "2026-Q2"}),
		mk(KindRoadmap, "R1", RolePM, "Vendor late", RoadmapItemRescheduled{From: "2026-Q2", To: "2026-Q3"}),
		mk(KindRoadmap, "R1", RolePM, "Revenue first", RoadmapItemRanked{Position: Position{Place: PlaceAbove, Ref: "R2"}}),
		mk(KindRoadmap, "R1", RolePM, "Market moved", RoadmapItemDropped{}),
		mk(KindItem, "PAY-7", RolePO, "", BacklogItemAdded{Title: "Card form", Kind: ItemStory, Detail: "PCI scope", Epic: "PAY", Roadmap: "R1", Request: "REQ-1"}),
		mk(KindItem, "PAY-7", RolePO, "Split after review", BacklogItemRefined{Title: "Card form (EU)", Detail: "EU only", Roadmap: "R2"}),
		mk(KindItem, "PAY-7", RolePO, "Highest RICE", BacklogItemRanked{Position: Position{Place: PlaceTop}, Score: &Score{Framework: "RICE", Inputs: map[string]float64{"reach": 500, "impact": 2, "confidence": 0.8, "effort": 3}}}),
		mk(KindItem, "PAY-7", RolePO, "Superseded", BacklogItemRemoved{}),
		mk(KindRequest, "REQ-7", RoleStakeholder, "Lost two deals", RequestSubmitted{Title: "Fax orders", Detail: "B2B", BusinessCase: "Lost two deals", Requester: "sally", Repeats: "REQ-3"}),
		mk(KindRequest, "REQ-7", RolePO, "Fits the goal", RequestAccepted{Item: "PAY-9"}),
		rejected,
		mk(KindRequest, "REQ-7", RolePO, "After the freeze", RequestDeferred{Until: "2026-09-01"}),
		mk(KindRequest, "REQ-7", RoleStakeholder, "", RequestWithdrawn{}),
		mk(KindItem, "PAY-7", RoleTeam, "", BacklogItemEstimated{Points: 5}),
		mk(KindItem, "PAY-7", RoleTeam, "", WorkStarted{}),
		mk(KindItem, "PAY-7", RoleTeam, "", WorkDelivered{Release: "2026.06"}),
		imported(mk(KindItem, "PAY-7", RoleStakeholder, "Milestone cleared in triage", BacklogItemUnplanned{Roadmap: "R1"})),
		imported(mk(KindItem, "PAY-7", RoleTeam, "Regressed in beta", WorkReopened{Release: "2026.06"})),
		imported(mk(KindItem, "PAY-7", RolePO, "Epic Link changed", BacklogItemReparented{Epic: "PAY"})),
	}
}

// imported gives a sample the provenance and flag of an imported event,
// so the golden files of the import's event types pin those fields too.
func imported(e Event) Event {
	e.Source = &Source{System: "bugzilla", Key: "1234", URL: "https://bugzilla.example.org/show_bug.cgi?id=1234",
		Change: "2026-04-01T10:30:00Z", Author: "olga@example.org"}
	e.OutsideAuthority = e.Actor.Role == RoleStakeholder
	return e
}

func TestGoldenWireFormat(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range samples() {
		seen[e.Type] = true
		t.Run(e.Type, func(t *testing.T) {
			got, err := Encode(e)
			require.NoError(t, err)
			var pretty bytes.Buffer
			require.NoError(t, json.Indent(&pretty, got, "", "  "))
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", e.Type+".json")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, pretty.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./domain -update to create it")
			assert.Equal(t, string(want), pretty.String(), "wire format of %s changed: a new shape needs a new schema version", e.Type)

			// And the golden bytes decode back to the same event.
			back, err := Decode(want)
			require.NoError(t, err)
			assert.Equal(t, e, back)
		})
	}
	for _, typ := range EventTypes() {
		assert.True(t, seen[typ], "no golden sample for %s", typ)
	}
}

func TestDecodeUnknown(t *testing.T) {
	cases := []struct {
		name   string
		raw    string
		typ    string
		reason string
	}{
		{"NewerSchema", `{"id":"x","type":"BacklogItemAdded","schema":2,"product":"checkout","data":{"title":"t"}}`, "BacklogItemAdded",
			"BacklogItemAdded schema 2 is not one this version reads (it reads schema 1)"},
		{"UnknownType", `{"id":"x","type":"BacklogItemSplit","schema":1,"product":"checkout","data":{}}`, "BacklogItemSplit",
			`event type "BacklogItemSplit" (schema 1) is not one this version reads`},
		{"BadData", `{"id":"x","type":"BacklogItemAdded","schema":1,"product":"checkout","data":{"title":5}}`, "BacklogItemAdded",
			"its BacklogItemAdded data does not decode: json: cannot unmarshal number"},
		{"NotJSON", `hello`, "", "not a ledger event: 5 bytes of text that is not JSON"},
		{"Binary", "\xff\x00\x01", "", "not a ledger event: 3 bytes of binary data, not JSON"},
		{"JSONNotAnEnvelope", `[1,2]`, "", "not a ledger event: JSON that is not an event envelope"},
		{"NoType", `{"hello":"world"}`, "", "not a ledger event: JSON without an event type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Decode([]byte(tc.raw))
			require.ErrorIs(t, err, ErrUnknownEvent)
			assert.Equal(t, tc.typ, e.Type)
			u, ok := e.Data.(Unknown)
			require.True(t, ok, "payload is Unknown")
			assert.Contains(t, u.Reason(), tc.reason)
			assert.Equal(t, u.Reason(), Screen(e, "checkout"), "the validating fold's reason is Decode's")
			b, err := json.Marshal(u)
			require.NoError(t, err, "an Unknown payload always encodes")
			assert.True(t, json.Valid(b))
		})
	}
}

// TestV1GoldenStillReplays: the v1 golden files of a type whose shape
// moved on (testdata/v1) decode, through the upcaster, to the event the
// current version writes, so a history of v1 events replays to the same
// state as today's.
func TestV1GoldenStillReplays(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "v1", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			old, err := os.ReadFile(f)
			require.NoError(t, err)
			cur, err := os.ReadFile(filepath.Join("testdata", filepath.Base(f)))
			require.NoError(t, err)
			a, err := Decode(old)
			require.NoError(t, err)
			b, err := Decode(cur)
			require.NoError(t, err)
			assert.Equal(t, b, a, "v1 upcasts to the current event")
			assert.Contains(t, string(old), `"schema": 1`)
			assert.NotContains(t, string(cur), `"schema": 1`)
		})
	}
}

// TestUpcastHistoryReplaysToTheSameState encodes the demo's estimates as
// v1 (as an old ledger wrote them) and folds both histories.
func TestUpcastHistoryReplaysToTheSameState(t *testing.T) {
	f := newFixture(t)
	evs := f.do("tom", "", EstimateItem{ID: "A", Points: 8})
	require.Len(t, evs, 1)
	v2, err := Encode(evs[0])
	require.NoError(t, err)
	assert.Contains(t, string(v2), `"estimate":{"value":8,"unit":"points"}`)
	v1 := bytes.Replace(bytes.Replace(v2, []byte(`"schema":2`), []byte(`"schema":1`), 1),
		[]byte(`{"estimate":{"value":8,"unit":"points"}}`), []byte(`{"points":8}`), 1)
	back, err := Decode(v1)
	require.NoError(t, err)
	back.Seq = evs[0].Seq
	assert.Equal(t, evs[0], back)
}
