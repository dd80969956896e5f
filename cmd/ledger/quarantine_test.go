package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/snapshot"
)

// TestForgedEventIsQuarantinedEverywhere puts an event into the stream
// around the rules, as anyone with the data files or a NATS account with
// publish rights could, and reads the ledger back as a user.
func TestForgedEventIsQuarantinedEverywhere(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	last, err := s.LastSeq(context.Background(), "checkout")
	require.NoError(t, err)
	at := time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)
	f := domain.Event{ID: domain.EventID("checkout", "forged", at, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: "checkout", Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "B"}, Actor: domain.Actor{ID: "mallory", Role: domain.RolePO},
		OccurredAt: at, Why: "I am the PO now", Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, CommandID: "forged"}
	_, err = s.Append(context.Background(), []domain.Event{f}, last)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	log := c.run("log")
	require.NoError(t, log.err)
	assert.Contains(t, log.stdout, "QUARANTINED")
	assert.Contains(t, log.stderr, "1 event(s) quarantined")

	var b struct {
		Quarantined int `json:"quarantined"`
		Items       []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("show", "backlog", "--json")), &b))
	assert.Equal(t, 1, b.Quarantined)
	assert.Equal(t, "A", b.Items[0].ID, "the forged rank moved nothing")
	assert.NotContains(t, c.ok("why", "B"), "mallory")
	assert.NotContains(t, c.ok("decisions", "--item", "B", "--json"), "mallory", "never listed as a decision")
	q := c.ok("decisions", "--quarantined", "--json")
	assert.Contains(t, q, `"actor":"mallory"`)
	assert.Contains(t, q, `"quarantined":"no rule allowed it`)

	// The quarantine view lists it, the overview counts it and leaves it
	// out of churn and the latest decisions, the metrics count it.
	var qv struct {
		Count   int `json:"quarantined"`
		Entries []struct {
			Seq   uint64 `json:"seq"`
			Actor string `json:"actor"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("show", "quarantine", "--json")), &qv))
	assert.Equal(t, 1, qv.Count)
	require.Len(t, qv.Entries, 1)
	assert.Equal(t, last+1, qv.Entries[0].Seq)
	assert.Equal(t, "mallory", qv.Entries[0].Actor)
	assert.Contains(t, c.ok("show", "quarantine"), "mallory may not rank")
	ov := c.ok("show", "overview")
	assert.Contains(t, ov, "1 event(s) quarantined")
	assert.NotContains(t, ov, "mallory")
	var mv struct {
		Types map[string]int `json:"types"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("show", "metrics", "--json")), &mv))
	assert.Positive(t, mv.Types["BacklogItemRanked"])
	var line struct {
		Quarantined string `json:"quarantined"`
	}
	lines := strings.Split(strings.TrimSpace(c.ok("log", "--json")), "\n")
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &line))
	assert.Contains(t, line.Quarantined, "mallory may not rank")

	// The product stays writable.
	c.ok("item", "rank", "B", "--top", "--why", "really", "--as", "olga")

	// verify passes (the event is in the ledger, unchanged) and lists it.
	c.ok("audit", "keygen")
	c.ok("audit", "checkpoint")
	v := c.run("audit", "verify")
	require.NoError(t, v.err)
	assert.Contains(t, v.stderr, "quarantined: sequence")
	assert.Contains(t, v.stderr, "mallory may not rank")
}

// TestUnsignedEventIsQuarantinedOnceTheLedgerSigns: with an audit key,
// every decision the ledger records is signed, and an event that reached
// the stream without the ledger's signature is refused even when the
// rules would allow it (olga is the PO): only the ledger writes.
func TestUnsignedEventIsQuarantinedOnceTheLedgerSigns(t *testing.T) {
	c := newCLI(t)
	c.ok("audit", "keygen")
	c.setUp()
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: c.data}) // no key: writes unsigned
	require.NoError(t, err)
	var last domain.Event
	_, err = s.Read(context.Background(), "checkout", 0, func(e domain.Event) error {
		require.NotNil(t, e.Stored.Sig, "the ledger signed event %d", e.Seq)
		last = e
		return nil
	})
	require.NoError(t, err)
	at := last.OccurredAt.Add(time.Hour)
	f := domain.Event{ID: domain.EventID("checkout", "unsigned", at, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: "checkout", Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "B"}, Actor: domain.Actor{ID: "olga", Role: domain.RolePO},
		OccurredAt: at, Why: "looks legit", Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, CommandID: "unsigned"}
	_, err = s.Append(context.Background(), []domain.Event{f}, last.Seq)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	out := c.run("log")
	require.NoError(t, out.err)
	assert.Contains(t, out.stdout, "QUARANTINED")
	assert.Contains(t, out.stderr, "not signed")
	assert.NotContains(t, c.ok("why", "B"), "looks legit")
}

// TestSameMistakeSameExitCode: a date that is no date is refused alike,
// whichever flag carries it.
func TestSameMistakeSameExitCode(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	c.ok("request", "submit", "Q1", "--title", "PayPal", "--why", "deals", "--as", "sally")
	for _, args := range [][]string{
		{"request", "defer", "Q1", "--until", "someday", "--why", "w", "--as", "olga"},
		{"item", "start", "A", "--at", "someday", "--as", "tom"},
		{"item", "start", "A", "--at", "0001-01-01", "--as", "tom"},
	} {
		o := c.run(args...)
		require.Error(t, o.err, "%v", args)
		assert.Equal(t, exitRefused, o.code, o.err.Error())
	}
}

// TestGapIsNamed: an event whose writer saw a later previous event than
// the last one in the stream says that events went missing (lost to
// corruption, or deleted behind the ledger's back); every view says so.
func TestGapIsNamed(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	last, err := s.LastSeq(context.Background(), "checkout")
	require.NoError(t, err)
	at := time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)
	e := domain.Event{ID: domain.EventID("checkout", "after-gap", at, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: "checkout", Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "B"}, Actor: domain.Actor{ID: "olga", Role: domain.RolePO},
		OccurredAt: at, Why: "after the lost ones", Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, CommandID: "after-gap"}
	data, err := domain.Encode(e)
	require.NoError(t, err)
	m := nats.NewMsg(e.Subject())
	m.Data = data
	m.Header.Set("Nats-Msg-Id", e.ID)
	m.Header.Set("Ledger-Prev", fmt.Sprint(last+3)) // its writer had seen three more events
	_, err = s.JetStream().PublishMsg(context.Background(), m)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	for _, args := range [][]string{{"show", "backlog"}, {"log"}, {"why", "B"}} {
		o := c.run(args...)
		require.NoError(t, o.err)
		assert.Contains(t, o.stderr, fmt.Sprintf("events up to %d are missing", last+3), "%v", args)
	}
}

// TestEditedWriteStateSnapshotGivesNoRole: without an audit key, a
// write-state snapshot written into the snapshot bucket (digest and all)
// in which mallory holds the po role made a one-shot write print
// "recorded ... by mallory (po)" and exit 0, for an event every view then
// quarantined. The stream attests no such snapshot: the write is decided
// on the state folded from the stream, and refused.
func TestEditedWriteStateSnapshotGivesNoRole(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	st, err := command.New(s, nil).State(ctx, "checkout")
	require.NoError(t, err)
	st.Product.Roles["mallory"] = map[domain.Role]bool{domain.RolePO: true}
	data, err := st.MarshalSnapshot()
	require.NoError(t, err)
	require.NoError(t, s.WriteStates().Put(ctx, snapshot.Info{Product: "checkout", Version: domain.StateVersion, Seq: st.LastSeq, LastAt: st.LastAt}, data))
	require.NoError(t, s.Close())

	o := c.run("item", "rank", "B", "--top", "--why", "Mine now", "--as", "mallory")
	require.Error(t, o.err, o.stdout)
	assert.Equal(t, exitRefused, o.code)
	assert.Contains(t, o.err.Error(), "mallory")
	assert.NotContains(t, o.stdout, "recorded")
	assert.NotContains(t, c.ok("log"), "mallory", "nothing recorded, so nothing quarantined")
}

// TestRepeatedEventIsQuarantinedAsDuplicate publishes a signed decision
// again byte for byte (same event id, same bytes and signature, a later
// sequence), after the views were snapshotted at the original: it is
// listed, quarantined as a duplicate, and believed once everywhere.
func TestRepeatedEventIsQuarantinedAsDuplicate(t *testing.T) {
	c := newCLI(t)
	c.ok("audit", "keygen")
	c.setUp()
	// Two decisions at one time: the copy of the first, believed, would
	// move B back to the top.
	c.ok("item", "rank", "B", "--top", "--why", "once", "--as", "olga", "--at", "2026-01-07T10:00:00Z")
	c.ok("item", "rank", "A", "--top", "--why", "A first", "--as", "olga", "--at", "2026-01-07T10:00:00Z")
	c.ok("replay", "--snapshot-every", "1") // the views are restored from a snapshot past the original
	before := c.ok("show", "backlog", "--json")

	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	var raws []eventstore.Raw
	_, err = s.ReadRaw(ctx, 0, func(r eventstore.Raw) error { raws = append(raws, r); return nil })
	require.NoError(t, err)
	orig := raws[len(raws)-2] // rank B
	require.NotEmpty(t, orig.Header["Ledger-Signature"], "the ledger signed it")
	m := nats.NewMsg(orig.Subject)
	m.Data = orig.Data
	for k, vs := range orig.Header {
		if !strings.HasPrefix(k, "Nats-") { // the ledger's headers: its signature, the product's previous sequence
			m.Header[k] = vs
		}
	}
	m.Header.Set("Nats-Msg-Id", "again") // past JetStream's duplicate window, as two minutes later
	ack, err := s.JetStream().PublishMsg(ctx, m)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	copySeq := ack.Sequence

	o := c.run("log")
	require.NoError(t, o.err)
	assert.Contains(t, logLine(o.stdout, copySeq), "QUARANTINED")
	assert.Contains(t, o.stderr, fmt.Sprintf("duplicate of the event at sequence %d (same event id)", orig.Seq))

	var b, was struct {
		Quarantined int               `json:"quarantined"`
		Items       []json.RawMessage `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("show", "backlog", "--json")), &b))
	require.NoError(t, json.Unmarshal([]byte(before), &was))
	assert.Equal(t, 1, b.Quarantined)
	assert.Equal(t, was.Items, b.Items, "the backlog is as before the copy")
	assert.Contains(t, c.ok("why", "B"), "re-ranked 1 time(s)", "the decision is believed once")

	// The write model, restored from its snapshot, goes on.
	c.ok("item", "rank", "B", "--top", "--why", "after the copy", "--as", "olga")
	assert.Contains(t, c.ok("log"), "after the copy")
}

// TestGapIsNamedFromSnapshots: a request's event is lost after snapshots
// of the views were written past it. Every answer, restored from a
// snapshot or folded from events, now or as of a position, through the
// CLI or serve's HTTP API, names the gap; why of the request says it may
// have been in it.
func TestGapIsNamedFromSnapshots(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	c.ok("request", "submit", "R1", "--title", "PayPal", "--why", "deals", "--as", "sally", "--at", "2026-01-07")
	for i := range 6 {
		c.ok("item", "rank", "B", "--top", "--why", fmt.Sprint("rank ", i), "--as", "olga", "--at", fmt.Sprintf("2026-01-%02d", 8+i))
	}
	c.ok("replay", "--snapshot-every", "4") // snapshots at 4, 8 and 12: all of the history, before the loss

	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	var raws []eventstore.Raw
	_, err = s.ReadRaw(ctx, 0, func(r eventstore.Raw) error { raws = append(raws, r); return nil })
	require.NoError(t, err)
	require.Equal(t, "ledger.checkout.request.R1", raws[5].Subject)
	require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, raws, 6)) // sequence 6, R1's submission, is lost
	require.NoError(t, s.Close())
	const gap = "events up to 6 are missing"

	for _, args := range [][]string{
		{"show", "requests"}, {"show", "requests", "--as-of", "seq:7"}, {"show", "backlog"}, {"show", "backlog", "--as-of", "seq:12"},
		{"show", "roadmap"}, {"log"}, {"why", "B"}, {"why", "B", "--as-of", "seq:9"},
	} {
		o := c.run(args...)
		require.NoError(t, o.err, "%v", args)
		assert.Contains(t, o.stderr, gap, "%v", args)
	}
	o := c.run("why", "R1")
	require.Error(t, o.err)
	assert.Contains(t, o.err.Error(), "its events after sequence 5 up to 6 are missing (deleted or lost), and it may have been among them")
	assert.NotContains(t, c.ok("show", "requests", "--json"), `"R1"`, "the answer is the history that is left, not the snapshot's")
	assert.Contains(t, c.run("show", "requests").stderr, "snapshot checkout/views/00000000000000000012 ignored: 1 of the 12 events of the product it folded, up to sequence 12, are missing from the stream now")

	// Snapshots written now carry the gap, and are used as they are.
	c.ok("replay", "--snapshot-every", "4")
	o = c.run("show", "requests", "--json")
	require.NoError(t, o.err)
	assert.NotContains(t, o.stderr, "ignored")
	var r struct {
		Replayed uint64       `json:"replayed"`
		Gaps     []domain.Gap `json:"gaps"`
	}
	require.NoError(t, json.Unmarshal([]byte(o.stdout), &r))
	assert.Zero(t, r.Replayed, "restored from the snapshot at the end")
	assert.Equal(t, []domain.Gap{{After: 5, Prev: 6, Seq: 7}}, r.Gaps)

	base, _ := c.serveHTTP()
	for _, path := range []string{"requests", "backlog", "why/B", "log"} {
		code, body := get(t, base+"/api/v1/products/checkout/"+path, "")
		require.Equal(t, 200, code, body)
		assert.Contains(t, body, gap, path)
	}
	code, body := get(t, base+"/api/v1/products/checkout/why/R1", "")
	assert.Equal(t, 404, code)
	assert.Contains(t, body, "it may have been among them")
}
