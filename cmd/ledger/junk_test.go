package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
)

// TestOneBadMessageNeverStopsAReader puts each kind of junk on the
// ledger's subjects, as an operator with store rights or a damaged disk
// could, with a decision after it, and reads the ledger with every reader
// that lists events: ledger log (text and JSON, in this process and
// through serve's service), audit verify, the HTTP log, the event stream
// and the dashboard. Each lists the junk as a quarantined entry with the
// validating fold's reason and goes on to the decision after it.
func TestOneBadMessageNeverStopsAReader(t *testing.T) {
	at := time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)
	rank := func(commandID, why string) []byte {
		e := domain.Event{ID: domain.EventID("checkout", commandID, at, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
			Product: "checkout", Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "B"}, Actor: domain.Actor{ID: "olga", Role: domain.RolePO},
			OccurredAt: at, Why: why, Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, CommandID: commandID}
		b, err := domain.Encode(e)
		require.NoError(t, err)
		return b
	}
	cases := []struct {
		name    string
		subject string
		data    []byte
		reason  string
		// unreadable: the log carries the bytes (raw); stray: stored on
		// ledger.checkout itself, which no fold of the product reads, so
		// only the log and audit verify list it.
		unreadable, stray bool
	}{
		{"Binary", "ledger.checkout.item.A", []byte{0xff, 0x00, 0xfe, 0x01, 0x80}, "not a ledger event: 5 bytes of binary data, not JSON", true, false},
		{"TextNotJSON", "ledger.checkout.item.A", []byte("hello, not json"), "not a ledger event: 15 bytes of text that is not JSON", true, false},
		{"JSONNotAnEvent", "ledger.checkout.item.A", []byte(`{"hello":"world"}`), "not a ledger event: JSON without an event type", true, false},
		{"UnknownType", "ledger.checkout.item.A",
			[]byte(`{"id":"01KEAW1M00SPL1T000000000AA","type":"BacklogItemSplit","schema":1,"product":"checkout","aggregate":{"kind":"item","id":"A"},"actor":{"id":"olga","role":"po"},"occurredAt":"2026-01-07T00:00:00Z","data":{"into":["A1","A2"]},"commandId":"split"}`),
			`event type "BacklogItemSplit" (schema 1) is not one this version reads`, true, false},
		{"TooLarge", "ledger.checkout.item.B", rank("big", strings.Repeat("why ", 17<<10)), "bytes: over the limit of 65536", false, false},
		{"SubjectTooLong", "ledger.checkout.item.B.Y", rank("long", "looks right"), "stored under ledger.checkout.item.B.Y, but the envelope says ledger.checkout.item.B", false, false},
		{"SubjectProductOnly", "ledger.checkout", rank("short", "looks right"), "stored under ledger.checkout, but the envelope says ledger.checkout.item.B", false, true},
		{"BinaryOnProductSubject", "ledger.checkout", []byte{0x00, 0x01, 0x02}, "not a ledger event: 3 bytes of binary data, not JSON", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			c.setUp()
			junk := publishJunk(t, c, tc.subject, tc.data)
			c.ok("item", "rank", "A", "--top", "--why", "after the junk", "--as", "olga")
			after := junk + 1
			c.ok("audit", "keygen")
			c.ok("audit", "checkpoint")

			check := func(t *testing.T, where string) {
				// ledger log: marked, with the reason, and the decision after it.
				o := c.run("log")
				require.NoError(t, o.err, where)
				line := logLine(o.stdout, junk)
				assert.Contains(t, line, "QUARANTINED", "%s: %s", where, o.stdout)
				assert.NotEmpty(t, logLine(o.stdout, after), "%s: the decision after the junk is listed", where)
				assert.Contains(t, o.stderr, tc.reason, where)

				// ledger log --json: an entry with seq, subject, reason, bytes.
				o = c.run("log", "--json")
				require.NoError(t, o.err, where)
				entries := map[uint64]map[string]any{}
				for l := range strings.SplitSeq(strings.TrimSpace(o.stdout), "\n") {
					var e map[string]any
					require.NoError(t, json.Unmarshal([]byte(l), &e), "%s: %s", where, l)
					entries[uint64(e["seq"].(float64))] = e
				}
				checkEntry(t, where+" log --json", entries[junk], tc.subject, tc.reason, tc.unreadable, tc.data)
				require.Contains(t, entries, after, where)

				// the views go on past it.
				var b struct {
					Items []struct {
						ID string `json:"id"`
					} `json:"items"`
				}
				require.NoError(t, json.Unmarshal([]byte(c.ok("show", "backlog", "--json")), &b), where)
				require.NotEmpty(t, b.Items, where)
				assert.Equal(t, "A", b.Items[0].ID, "%s: the rank after the junk is applied", where)

				// audit verify: named, not fatal.
				o = c.run("audit", "verify")
				require.NoError(t, o.err, "%s: %s", where, o.stderr)
				assert.Contains(t, o.stdout, "ledger verified", where)
				assert.Contains(t, o.stderr, tc.reason, where)
				assert.Contains(t, o.stderr, "quarantined: sequence "+seqText(junk), where)
			}
			check(t, "local")

			base, _ := c.serveHTTP()
			check(t, "through serve")

			// The HTTP log.
			code, body := get(t, base+"/api/v1/products/checkout/log", "")
			require.Equal(t, http.StatusOK, code, body)
			var log struct {
				Quarantined int              `json:"quarantined"`
				Entries     []map[string]any `json:"entries"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &log))
			assert.Equal(t, 1, log.Quarantined)
			byseq := map[uint64]map[string]any{}
			for _, e := range log.Entries {
				byseq[uint64(e["seq"].(float64))] = e
			}
			checkEntry(t, "HTTP log", byseq[junk], tc.subject, tc.reason, tc.unreadable, tc.data)
			require.Contains(t, byseq, after, "the HTTP log goes on past the junk")

			// The event stream, from just before the junk: marked, and on
			// to the decision after it.
			got := readEvents(t, base+"/api/v1/products/checkout/events?after="+seqText(junk-1), after)
			if tc.stray {
				assert.NotContains(t, got, junk, "ledger.checkout holds no event of the product: the stream of its events does not carry it")
			} else {
				checkEntry(t, "event stream", got[junk], tc.subject, tc.reason, tc.unreadable, tc.data)
			}
			require.Contains(t, got, after, "the event stream goes on past the junk")

			// The dashboard's quarantine warning names it.
			code, body = get(t, base+"/p/checkout/", "")
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, body, html.EscapeString("first at sequence "+seqText(junk)+": "), "the dashboard's warning")
			assert.Contains(t, body, html.EscapeString(tc.reason), "the dashboard's warning names the reason")
		})
	}
}

// publishJunk stores data on subject around the ledger and returns its
// sequence.
func publishJunk(t *testing.T, c *cli, subject string, data []byte) uint64 {
	t.Helper()
	ctx := eventstoretest.Context(t)
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	filter, expect := subject, uint64(0)
	if subject != "ledger.checkout" {
		filter = domain.ProductSubjects("checkout")
		expect, err = s.LastSeq(ctx, "checkout")
		require.NoError(t, err)
	}
	seq, err := eventstoretest.PublishOnce(ctx, s, subject, "junk-"+subject, data, filter, expect)
	require.NoError(t, err)
	return seq
}

// checkEntry checks a listed junk entry: its subject, its reason, and for
// bytes that are no event, the bytes themselves.
func checkEntry(t *testing.T, where string, e map[string]any, subject, reason string, unreadable bool, data []byte) {
	t.Helper()
	require.NotNil(t, e, "%s lists the junk", where)
	assert.Equal(t, subject, e["subject"], where)
	assert.Contains(t, e["quarantined"], reason, where)
	if unreadable {
		assert.Equal(t, base64.StdEncoding.EncodeToString(data), e["raw"], "%s gives the bytes as they are stored", where)
	}
}

// logLine returns the line of ledger log's table for seq, "" when none.
func logLine(out string, seq uint64) string {
	for l := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == seqText(seq) {
			return l
		}
	}
	return ""
}

// readEvents reads server-sent events from url until the event with id
// until arrives, and returns their data by id.
func readEvents(t *testing.T, url string, until uint64) map[uint64]map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	got := map[uint64]map[string]any{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(data), &e), data)
		seq := uint64(e["seq"].(float64))
		got[seq] = e
		if seq == until {
			return got
		}
	}
	t.Fatalf("the event stream ended before event %d (%v): got %v", until, sc.Err(), got)
	return nil
}

// seqText writes a sequence as the readers print it.
func seqText(n uint64) string { return strconv.FormatUint(n, 10) }
