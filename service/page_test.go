package service_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// smallNATS starts a NATS server that carries messages of at most max
// bytes (its max_payload), and returns its URL.
func smallNATS(t *testing.T, max int32) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, MaxPayload: max, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	require.True(t, ns.ReadyForConnections(10*time.Second))
	return ns.ClientURL()
}

// listOptions are the options every list view of the catalogue answers
// the demo with.
func listOptions(v *query.View) query.Options {
	o := query.Options{}
	if !v.Ledger {
		o.Product = "checkout"
	}
	switch v.Name {
	case query.ViewWhy:
		o.ID = "CARD-2"
	case query.ViewBacklog:
		o.Status = "all"
	}
	return o
}

// pageMax is the max_payload of the small server: the demo's log, its
// decisions and its whole backlog are each larger.
const pageMax = 14 << 10

// TestListsLargerThanOneMessage: on a NATS server whose messages carry
// 14 KiB, the demo's log, decisions and backlog are each larger than one
// message. Every list view of the catalogue still answers whole through
// the client, page after page, each page one message; a caller of the
// raw protocol follows next; and a service whose pages are a few elements
// answers the same.
func TestListsLargerThanOneMessage(t *testing.T) {
	s := serve(t, true)
	q := query.New(s.store, s.store.Snapshots())
	ctx := context.Background()
	url := smallNATS(t, pageMax)

	for _, tc := range []struct {
		name  string
		limit int // the service's PageLimit
	}{{"SizedToTheMessage", 0}, {"FiveAPage", 5}} {
		t.Run(tc.name, func(t *testing.T) {
			svcConn := client(t, url)
			svc, err := service.Start(svcConn, s.handler, q, service.Options{Logf: t.Logf, PageLimit: tc.limit})
			require.NoError(t, err)
			defer svc.Stop()
			nc := client(t, url)
			c := service.NewClient(nc)
			for _, v := range query.Catalogue() {
				if !v.Paged() {
					continue
				}
				o := listOptions(v)
				whole, err := q.View(ctx, v.Name, o)
				require.NoError(t, err)
				raw, err := json.Marshal(whole)
				require.NoError(t, err)
				if v.Name == query.ViewLog || v.Name == query.ViewDecisions || v.Name == query.ViewBacklog {
					require.Greater(t, len(raw), pageMax, "the %s view is larger than one message", v.Name)
				}

				// Through the client: the whole answer.
				got := reflect.New(reflect.TypeOf(whole))
				require.NoError(t, c.View(ctx, v.Name, o, got.Interface()), v.Name)
				assert.JSONEq(t, string(raw), jsonOf(t, got.Elem().Interface()), v.Name)

				// Through the client, at most 7 of them.
				seven := reflect.New(reflect.TypeOf(whole))
				o7 := o
				o7.Limit = 7
				require.NoError(t, c.View(ctx, v.Name, o7, seven.Interface()), v.Name)
				n, _ := v.Len(seven.Interface())
				all, _ := v.Len(whole)
				assert.Equal(t, min(7, all), n, v.Name)

				// Page after page, as the client streams them.
				pages, elements := 0, 0
				require.NoError(t, c.Pages(ctx, v.Name, o, got.Interface(), func(page any) error {
					pages++
					k, _ := v.Len(page)
					elements += k
					return nil
				}))
				assert.Equal(t, all, elements, v.Name)
				if len(raw) > pageMax || all > tc.limit && tc.limit > 0 {
					assert.Greater(t, pages, 1, "the %s view took more than one message", v.Name)
				}
			}

			// The raw protocol: each answer is one message, its next the
			// cursor of the following one.
			var seqs []uint64
			after := ""
			for i := 0; ; i++ {
				body, _ := json.Marshal(query.Options{Product: "checkout", After: after})
				msg, err := nc.Request("ledgerapi.v1.view.log", body, 10*time.Second)
				require.NoError(t, err)
				require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
				assert.LessOrEqual(t, len(msg.Data), pageMax)
				var page query.Log
				require.NoError(t, json.Unmarshal(msg.Data, &page))
				for _, e := range page.Entries {
					seqs = append(seqs, e.Seq)
				}
				if page.Next == "" {
					assert.Greater(t, i, 0, "more than one page")
					break
				}
				after = page.Next
			}
			whole, err := q.Log(ctx, "checkout", query.Latest)
			require.NoError(t, err)
			var want []uint64
			for _, e := range whole.Entries {
				want = append(want, e.Seq)
			}
			assert.Equal(t, want, seqs, "every event, once, in order")
		})
	}
}

// A view that is no list, larger than one message, is still refused
// with what to do, while every list answers in pages on the same server.
func TestReportLargerThanOneMessageRefused(t *testing.T) {
	s := serve(t, true)
	q := query.New(s.store, s.store.Snapshots())
	url := smallNATS(t, 12<<10)
	svc, err := service.Start(client(t, url), s.handler, q, service.Options{Logf: t.Logf})
	require.NoError(t, err)
	defer svc.Stop()
	c := service.NewClient(client(t, url))
	var cmp *query.Comparison
	err = c.View(context.Background(), query.ViewCompare, query.Options{Product: "checkout", PlannedAsOf: "2026-04-01"}, &cmp)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the compare view is")
	assert.Contains(t, err.Error(), "max_payload")
	var log query.Log
	require.NoError(t, c.View(context.Background(), query.ViewLog, query.Options{Product: "checkout"}, &log))
	assert.NotEmpty(t, log.Entries)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
