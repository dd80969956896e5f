package main

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/eventstore"
)

// TestServedLogLargerThanOneMessage: through serve, on a NATS server
// with the default max_payload (1 MiB), "ledger log --json" of a history
// whose log is several MiB prints every event once, in stream order, and
// ends: the log is asked for page after page, no answer holding more than
// one message carries. With --limit, the pages are followed by hand
// through their hints to the last, which gives none.
func TestServedLogLargerThanOneMessage(t *testing.T) {
	url := smallNATS(t, 0) // the server's default max_payload
	ctx := context.Background()

	// A history written straight to the stream, as an import would.
	const events = 14_000
	s, err := eventstore.Open(ctx, eventstore.Options{URL: url})
	require.NoError(t, err)
	g := bench.NewGenerator(7, 1, events)
	type written struct {
		seq uint64
		id  string
	}
	var want []written
	var last uint64
	for len(want) < events {
		evs := g.NextRun(min(bench.RunLength, events-len(want)))
		seqs, err := s.Append(ctx, evs, last)
		require.NoError(t, err)
		for i, e := range evs {
			want = append(want, written{seqs[i], string(e.ID)})
		}
		last = seqs[len(seqs)-1]
	}
	s.Close()
	product := g.Products()[0].Product()

	sctx, cancel := context.WithCancel(ctx)
	var sout, serr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(sctx, []string{"--data", t.TempDir(), "--nats", url, "serve", "--http", "off"}, strings.NewReader(""), &sout, &serr)
	}()
	defer func() { cancel(); require.NoError(t, <-done) }()
	require.Eventually(t, func() bool { return strings.Contains(sout.String(), `NATS service "ledger"`) },
		60*time.Second, 20*time.Millisecond, "serve did not start: %s", serr.String())

	c := newCLI(t)
	out := c.ok("--nats", url, "--timeout", "60s", "-p", product, "log", "--json")
	require.Greater(t, len(out), 3<<20, "the log is several times larger than one message")
	var got []written
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Seq uint64 `json:"seq"`
			ID  string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		got = append(got, written{e.Seq, e.ID})
	}
	require.NoError(t, sc.Err())
	require.Equal(t, len(want), len(got), "every event is printed once")
	assert.Equal(t, want, got, "every event, once, in stream order")

	// Pages of 4,000 by hand: each as large as one message allows at
	// most, the last one naming no next page.
	var paged []written
	after, pages := "", 0
	for {
		args := []string{"--nats", url, "--timeout", "60s", "-p", product, "log", "--json", "--limit", "4000"}
		if after != "" {
			args = append(args, "--after", after)
		}
		o := c.run(args...)
		require.NoError(t, o.err, "%v: %s", args, o.stderr)
		pages++
		for _, l := range strings.Split(strings.TrimSpace(o.stdout), "\n") {
			var e struct {
				Seq uint64 `json:"seq"`
				ID  string `json:"id"`
			}
			require.NoError(t, json.Unmarshal([]byte(l), &e))
			paged = append(paged, written{e.Seq, e.ID})
		}
		m := moreHint.FindStringSubmatch(o.stderr)
		if m == nil {
			break
		}
		after = m[1]
		require.Less(t, pages, 10)
	}
	assert.Equal(t, 4, pages, "14,000 events in pages of 4,000")
	assert.Equal(t, want, paged, "the pages by hand are the log")
}
