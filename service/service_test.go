package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/server"
	"github.com/decisionledger/ledger/service"
)

// served is a running serve: an embedded store with a listener, the
// handler, live projections and the service, as cmd/ledger wires them.
type served struct {
	store   *eventstore.Store
	handler *command.Handler
	url     string
}

func serve(t *testing.T, seed bool) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(t.TempDir(), "data"), Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	h := command.New(s, nil)
	if seed {
		_, err := demo.Seed(ctx, h, "checkout")
		require.NoError(t, err)
	}
	// Composed as serve composes it, without the HTTP API.
	l, err := server.Start(ctx, s, server.Options{Handler: h, Logf: t.Logf, NoHTTP: true})
	require.NoError(t, err)
	if seed {
		// As a serve that has been running: the transparency log, built in
		// the background after a start, is ready.
		require.Eventually(t, func() bool { return l.Live.LogReady("checkout") }, 20*time.Second, 5*time.Millisecond)
	}
	t.Cleanup(func() {
		l.Stop()
		cancel()
		require.NoError(t, s.Close())
	})
	return &served{store: s, handler: h, url: s.ClientURL()}
}

// client connects like any NATS program on the listener.
func client(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

func request(t *testing.T, nc *nats.Conn, subject, body string) *nats.Msg {
	t.Helper()
	msg, err := nc.Request(subject, []byte(body), 10*time.Second)
	require.NoError(t, err, subject)
	return msg
}

func TestCommandAndViewOverNATS(t *testing.T) {
	s := serve(t, true)
	nc := client(t, s.url)

	msg := request(t, nc, "ledgerapi.v1.command", `{"action":"item.rank","product":"checkout","actor":"nina","commandId":"nats-1",
		"args":{"id":"BNPL-3","top":true,"why":"Provider sandbox is stable again"}}`)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var out command.Output
	require.NoError(t, json.Unmarshal(msg.Data, &out))
	require.Len(t, out.Events, 1)
	assert.False(t, out.Duplicate)
	assert.Equal(t, "BacklogItemRanked", out.Events[0].Type)
	assert.Equal(t, domain.Role("po"), out.Events[0].Actor.Role)
	assert.Contains(t, string(msg.Data), `{"duplicate":false,"events":[{"seq":`)

	// Read your writes: the view asked for right after reflects it.
	msg = request(t, nc, "ledgerapi.v1.view.backlog", `{"product":"checkout"}`)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var b query.Backlog
	require.NoError(t, json.Unmarshal(msg.Data, &b))
	require.NotEmpty(t, b.Items)
	assert.Equal(t, "BNPL-3", b.Items[0].ID)
	assert.Equal(t, out.Events[0].Seq, b.Position)
	assert.Zero(t, b.Replayed, "now comes from the live projections")

	// A retry with the same command id records nothing new.
	msg = request(t, nc, "ledgerapi.v1.command", `{"action":"item.rank","product":"checkout","actor":"nina","commandId":"nats-1",
		"args":{"id":"BNPL-3","top":true,"why":"Provider sandbox is stable again"}}`)
	assert.JSONEq(t, `{"duplicate":true,"firstSeq":`+jsonNum(out.Events[0].Seq)+`,"events":[]}`, string(msg.Data))

	// Every view answers, with the options of the CLI's flags.
	for _, v := range []struct{ name, opts string }{
		{"products", `{}`},
		{"roadmap", `{"product":"checkout","asOf":"2026-04-01"}`},
		{"requests", `{"product":"checkout","status":"rejected"}`},
		{"why", `{"product":"checkout","id":"CARD-2"}`},
		{"why", `{"product":"checkout","id":"R-INVOICE","asOf":"2026-05-01"}`},
		{"log", `{"product":"checkout","asOf":"seq:10"}`},
		{"compare", `{"product":"checkout","plannedAsOf":"2026-04-01"}`},
		{"diff", `{"product":"checkout","from":"2026-05-01","to":"2026-05-31"}`},
	} {
		msg := request(t, nc, "ledgerapi.v1.view."+v.name, v.opts)
		assert.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), "%s: %s", v.name, msg.Data)
		assert.True(t, json.Valid(msg.Data), v.name)
	}
}

func jsonNum(n uint64) string { b, _ := json.Marshal(n); return string(b) }

func TestErrorCodes(t *testing.T) {
	s := serve(t, true)
	nc := client(t, s.url)
	tests := []struct {
		name, subject, body string
		code                int
		kind, field         string
	}{
		{"Malformed", "ledgerapi.v1.command", `{"action":"item.rank",`, 400, "malformed", ""},
		{"UnknownField", "ledgerapi.v1.command", `{"action":"item.rank","product":"checkout","actor":"nina","args":{"id":"A","top":true,"wy":"x"}}`, 400, "malformed", "wy"},
		{"UnknownAction", "ledgerapi.v1.command", `{"action":"item.promote","product":"checkout","actor":"nina"}`, 400, "malformed", "action"},
		{"WrongType", "ledgerapi.v1.view.backlog", `{"product":"checkout","asOf":42}`, 400, "malformed", "asOf"},
		{"UnknownOption", "ledgerapi.v1.view.backlog", `{"product":"checkout","id":"X","colour":"red"}`, 400, "malformed", "colour"},
		{"NotAuthorised", "ledgerapi.v1.command", `{"action":"item.rank","product":"checkout","actor":"olga","args":{"id":"BNPL-3","top":true,"why":"Mine now"}}`, 403, "unauthorized", ""},
		{"NotFound", "ledgerapi.v1.view.why", `{"product":"checkout","id":"NOPE-1"}`, 404, "not found", "id"},
		{"RefusedByRule", "ledgerapi.v1.command", `{"action":"item.rank","product":"checkout","actor":"nina","args":{"id":"BNPL-3","top":true}}`, 422, "invalid", "why"},
		{"WrongState", "ledgerapi.v1.command", `{"action":"request.reject","product":"checkout","actor":"nina","args":{"id":"REQ-1","reason":"low-value","why":"x"}}`, 422, "wrong state", ""},
		{"OptionOfAnotherView", "ledgerapi.v1.view.roadmap", `{"product":"checkout","status":"all"}`, 400, "malformed", "status"},
		{"UnknownStatus", "ledgerapi.v1.view.backlog", `{"product":"checkout","status":"closed"}`, 400, "malformed", "status"},
		{"UnknownRole", "ledgerapi.v1.view.decisions", `{"product":"checkout","role":"boss"}`, 400, "malformed", "role"},
		{"UnknownType", "ledgerapi.v1.view.decisions", `{"product":"checkout","type":["ranked","promoted"]}`, 400, "malformed", "type"},
		{"UnknownLevel", "ledgerapi.v1.view.compare", `{"product":"checkout","plannedAsOf":"2026-04-01","level":"epic"}`, 400, "malformed", "level"},
		{"CommandIDNotUTF8", "ledgerapi.v1.command", "{\"action\":\"item.start\",\"product\":\"checkout\",\"actor\":\"tom\",\"commandId\":\"\xffA\",\"args\":{\"id\":\"CARD-9\"}}", 400, "malformed", "commandId"},
		{"CommandIDLoneSurrogate", "ledgerapi.v1.command", `{"action":"item.start","product":"checkout","actor":"tom","commandId":"\udcffA","args":{"id":"CARD-9"}}`, 400, "malformed", "commandId"},
		{"ArgNotUTF8", "ledgerapi.v1.command", "{\"action\":\"item.rank\",\"product\":\"checkout\",\"actor\":\"nina\",\"args\":{\"id\":\"BNPL-3\",\"top\":true,\"why\":\"\xfe\"}}", 400, "malformed", "why"},
		{"OptionNotUTF8", "ledgerapi.v1.view.why", "{\"product\":\"checkout\",\"id\":\"CARD-\xff\"}", 400, "malformed", "id"},
		{"FieldOfAnotherCase", "ledgerapi.v1.command", `{"ACTION":"item.rank","product":"checkout","actor":"nina","args":{"id":"BNPL-3","top":true,"why":"w"}}`, 400, "malformed", "ACTION"},
		{"ArgOfAnotherCase", "ledgerapi.v1.command", `{"action":"item.rank","product":"checkout","actor":"nina","args":{"id":"BNPL-3","Top":true,"why":"w"}}`, 400, "malformed", "Top"},
		{"OptionOfAnotherCase", "ledgerapi.v1.view.backlog", `{"product":"checkout","Status":"all"}`, 400, "malformed", "Status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := lastSeq(t, s)
			msg := request(t, nc, tc.subject, tc.body)
			assert.Equal(t, jsonNum(uint64(tc.code)), msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
			assert.NotEmpty(t, msg.Header.Get(micro.ErrorHeader))
			var body service.ErrorBody
			require.NoError(t, json.Unmarshal(msg.Data, &body), string(msg.Data))
			assert.Equal(t, tc.code, body.Error.Code)
			assert.Equal(t, tc.kind, body.Error.Kind)
			assert.Equal(t, tc.field, body.Error.Field)
			assert.NotEmpty(t, body.Error.Message)
			assert.Equal(t, before, lastSeq(t, s), "a refused request records nothing")
		})
	}
}

// TestUnknownFilterValueNamesTheValues: a filter value a view does not
// take is a 400 that says which values it takes; the client gets the
// same malformed error back, as the CLI would locally.
func TestUnknownFilterValueNamesTheValues(t *testing.T) {
	s := serve(t, true)
	nc := client(t, s.url)
	msg := request(t, nc, "ledgerapi.v1.view.decisions", `{"product":"checkout","outsideAuthority":true,"role":"boss"}`)
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader))
	assert.Contains(t, string(msg.Data), `role \"boss\" is not one of pm, po, stakeholder, team`)
	var v query.Backlog
	err := service.NewClient(nc).View(context.Background(), query.ViewBacklog, query.Options{Product: "checkout", Status: "closed"}, &v)
	assert.Equal(t, domain.KindMalformed, domain.KindOf(err))
	assert.Equal(t, "status", domain.FieldOf(err))
	assert.ErrorContains(t, err, "open, all, new, in-progress, delivered, removed")
}

// TestCommandIDsNotUTF8DoNotCollapse: "\xffA" and "\xfeA" are different
// command ids that encoding/json would both read as "\uFFFDA", recording
// the first and answering the second as its duplicate. Both are refused,
// and neither is recorded.
func TestCommandIDsNotUTF8DoNotCollapse(t *testing.T) {
	s := serve(t, true)
	nc := client(t, s.url)
	before := lastSeq(t, s)
	for i, id := range []string{"\xffA", "\xfeA"} {
		body := fmt.Sprintf("{\"action\":\"request.submit\",\"product\":\"checkout\",\"actor\":\"sally\",\"commandId\":\"%s\","+
			"\"args\":{\"id\":\"REQ-U%d\",\"title\":\"Twint\",\"why\":\"Swiss shops\"}}", id, i)
		msg := request(t, nc, "ledgerapi.v1.command", body)
		assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
		var b service.ErrorBody
		require.NoError(t, json.Unmarshal(msg.Data, &b), string(msg.Data))
		assert.Equal(t, "commandId", b.Error.Field)
		assert.Contains(t, b.Error.Message, "not valid UTF-8")
	}
	assert.Equal(t, before, lastSeq(t, s), "neither is recorded")
}

func lastSeq(t *testing.T, s *served) uint64 {
	t.Helper()
	st, err := s.store.JetStream().Stream(context.Background(), eventstore.StreamName)
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	return info.State.LastSeq
}

// failing answers every command with one error, to show how the edge
// maps the kinds that no real request provokes on demand.
type failing struct{ err error }

func (f failing) Do(context.Context, command.Request) (command.Output, error) {
	return command.Output{}, f.err
}

// listening opens a served store with no service on it yet.
func listening(t *testing.T) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: filepath.Join(t.TempDir(), "data"), Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConflictAndInternalErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		code string
		kind domain.Kind
	}{
		{"Conflict", domain.Conflict("item %q was changed by nina while this decision was being recorded", "A"), "409", domain.KindConflict},
		{"Other", errors.New("disk on fire"), "500", domain.KindOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := listening(t)
			svc, err := service.Start(s.Conn(), failing{tc.err}, query.New(s, nil), service.Options{})
			require.NoError(t, err)
			defer svc.Stop()
			nc := client(t, s.ClientURL())
			msg := request(t, nc, "ledgerapi.v1.command", `{"action":"item.start","product":"checkout","actor":"tom","args":{"id":"A"}}`)
			assert.Equal(t, tc.code, msg.Header.Get(micro.ErrorCodeHeader))
			_, err = service.NewClient(nc).Do(context.Background(), command.Request{Action: "item.start", Product: "checkout", Actor: "tom", Args: json.RawMessage(`{"id":"A"}`)})
			require.Error(t, err)
			assert.Equal(t, tc.kind, domain.KindOf(err))
			assert.Contains(t, err.Error(), tc.err.Error())
		})
	}
}

func TestClientGetsTheDomainErrorBack(t *testing.T) {
	s := serve(t, true)
	c := service.NewClient(client(t, s.url))
	ctx := context.Background()
	_, err := c.Do(ctx, command.Request{Action: "item.rank", Product: "checkout", Actor: "olga",
		Args: json.RawMessage(`{"id":"BNPL-3","top":true,"why":"x"}`)})
	require.Error(t, err)
	assert.True(t, errors.Is(err, domain.ErrUnauthorized), err.Error())
	assert.Contains(t, err.Error(), "olga")

	var w query.Why
	err = c.View(ctx, "why", query.Options{Product: "checkout", ID: "NOPE"}, &w)
	assert.True(t, errors.Is(err, domain.ErrNotFound))
	assert.Equal(t, "id", domain.FieldOf(err))

	require.NoError(t, c.View(ctx, "why", query.Options{Product: "checkout", ID: "CARD-2"}, &w))
	assert.Equal(t, "CARD-2", w.ID)
	assert.NotEmpty(t, w.Decisions)

	assert.True(t, service.Available(ctx, client(t, s.url), time.Second))
}

func TestDiscovery(t *testing.T) {
	s := serve(t, false)
	nc := client(t, s.url)
	msg := request(t, nc, "$SRV.INFO.ledger", "")
	var info micro.Info
	require.NoError(t, json.Unmarshal(msg.Data, &info))
	assert.Equal(t, "ledger", info.Name)
	var subjects []string
	for _, e := range info.Endpoints {
		subjects = append(subjects, e.Subject)
	}
	assert.Contains(t, subjects, "ledgerapi.v1.command")
	for _, v := range query.Views {
		assert.Contains(t, subjects, "ledgerapi.v1.view."+v)
	}
}

func TestUnknownOutcomeWhenTheServiceDiesMidWrite(t *testing.T) {
	s := listening(t)
	// A service that takes the request and never answers, as a serve
	// killed between receiving a command and replying would.
	got := make(chan []byte, 1)
	sub, err := s.Conn().Subscribe("ledgerapi.v1.command", func(m *nats.Msg) { got <- m.Data })
	require.NoError(t, err)
	defer sub.Unsubscribe()
	c := service.NewClient(client(t, s.ClientURL()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = c.Do(ctx, command.Request{Action: "product.create", Product: "shop", Actor: "pam",
		Args: json.RawMessage(`{"name":"Shop","pm":"pam","po":"olga"}`)})
	var unknown *service.UnknownOutcomeError
	require.ErrorAs(t, err, &unknown)
	sent := <-got
	var r command.Request
	require.NoError(t, json.Unmarshal(sent, &r))
	require.NotEmpty(t, r.CommandID, "the client names the command before sending it")
	assert.Equal(t, r.CommandID, unknown.CommandID)
	assert.Contains(t, err.Error(), "the outcome of command "+r.CommandID+" is unknown")
	assert.Contains(t, err.Error(), "retry with --command-id "+r.CommandID)
}

func TestNoService(t *testing.T) {
	s := listening(t)
	nc := client(t, s.ClientURL())
	assert.False(t, service.Available(context.Background(), nc, 200*time.Millisecond))
	_, err := service.NewClient(nc).Do(context.Background(), command.Request{Action: "item.start"})
	assert.ErrorIs(t, err, service.ErrNoService)
}

// TestNatsCLI drives the service with the real nats CLI, as docs/service.md
// tells users to.
func TestNatsCLI(t *testing.T) {
	bin, err := exec.LookPath("nats")
	if err != nil {
		t.Skip("the nats CLI is not installed: go install github.com/nats-io/natscli/nats@v0.5.0")
	}
	s := serve(t, true)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--server", s.url}, args...)...).CombinedOutput()
		require.NoError(t, err, "nats %s: %s", strings.Join(args, " "), out)
		return string(out)
	}
	assert.Contains(t, run("micro", "ls"), "ledger")
	assert.Contains(t, run("micro", "info", "ledger"), "ledgerapi.v1.view.backlog")
	out := run("req", "ledgerapi.v1.command", `{"action":"item.rank","product":"checkout","actor":"nina","args":{"id":"BNPL-3","top":true,"why":"Sandbox stable"}}`)
	assert.Contains(t, out, `"type":"BacklogItemRanked"`)
	out = run("req", "ledgerapi.v1.view.backlog", `{"product":"checkout"}`)
	assert.Contains(t, out, `"id":"BNPL-3"`)
}

// TestDecisionsOverNATS asks the auditor's question of the live service:
// the CARDS epic's rank decisions in 2026 are 44, 45 and 46 of the demo
// (CARD-1, CARD-5, then CARD-2 over their higher scores), now and as of
// the end of 8 January; a filter value it does not take is a 400 naming
// its field.
func TestDecisionsOverNATS(t *testing.T) {
	s := serve(t, true)
	nc := client(t, s.url)
	for i, opts := range []string{
		`{"product":"checkout","epic":"CARDS","type":["ranked"],"from":"2026-01-01","to":"2027-01-01"}`,
		`{"product":"checkout","epic":"CARDS","type":["BacklogItemRanked"],"asOf":"2026-01-08"}`,
	} {
		msg := request(t, nc, "ledgerapi.v1.view.decisions", opts)
		require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
		var d query.Decisions
		require.NoError(t, json.Unmarshal(msg.Data, &d))
		var seqs []uint64
		for _, r := range d.Decisions {
			seqs = append(seqs, r.Seq)
		}
		assert.Equal(t, []uint64{44, 45, 46}, seqs, opts)
		if i == 0 {
			assert.Zero(t, d.Replayed, "now comes from the live projections")
		}
		require.Len(t, d.Decisions, 3)
		assert.Equal(t, []string{"rank 4 -> 1", "score RICE/v1 1687.5"}, d.Decisions[2].Changes)
		assert.Len(t, d.Decisions[2].Overrides, 2)
	}

	msg := request(t, nc, "ledgerapi.v1.view.decisions", `{"product":"checkout","reason":"boring"}`)
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader))
	assert.Contains(t, string(msg.Data), `"field":"reason"`)
	msg = request(t, nc, "ledgerapi.v1.view.decisions", `{"product":"checkout","overrides":"yes"}`)
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader))
}

// sized answers every view with a string of n bytes.
type sized struct{ n int }

func (v sized) View(context.Context, string, query.Options) (any, error) {
	return strings.Repeat("x", v.n), nil
}

// The embedded server carries views of megabytes, and an answer too
// large even for it is an error that says so, with what to do, rather
// than silence until the caller's timeout.
func TestAnswersBeyondOneMessage(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"ThreeMegabytes", 3 << 20, ""},
		{"OverTheLimit", 9 << 20, "the backlog view is 9.0 MiB, over the 8.0 MiB this NATS server allows in one message (max_payload)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := listening(t)
			svc, err := service.Start(s.Conn(), failing{}, sized{tc.n}, service.Options{})
			require.NoError(t, err)
			defer svc.Stop()
			nc := client(t, s.ClientURL())
			var got string
			start := time.Now()
			err = service.NewClient(nc).View(ctx, "backlog", query.Options{Product: "checkout"}, &got)
			if tc.want == "" {
				require.NoError(t, err)
				assert.Len(t, got, tc.n)
				return
			}
			require.Error(t, err)
			assert.Equal(t, domain.KindInvalid, domain.KindOf(err))
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "HTTP API")
			assert.Less(t, time.Since(start), 5*time.Second, "answered, not timed out")
		})
	}
}

// A request over 1 MiB is refused unread, though the server would carry
// it: the larger message limit is for answers.
func TestRequestsOverOneMiBRefused(t *testing.T) {
	s := listening(t)
	svc, err := service.Start(s.Conn(), failing{errors.New("must not be called")}, sized{10}, service.Options{})
	require.NoError(t, err)
	defer svc.Stop()
	nc := client(t, s.ClientURL())
	big := `{"action":"item.start","product":"checkout","actor":"tom","args":{"id":"A","why":"` + strings.Repeat("x", 2<<20) + `"}}`
	msg := request(t, nc, "ledgerapi.v1.command", big)
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader))
	assert.Contains(t, string(msg.Data), "over the 1.0 MiB a request may be")
}

func TestConcurrentCommandsAreEachAnsweredByTheirOwnWrite(t *testing.T) {
	// Many callers at once, as a team, its importers and its bots write:
	// the single writer takes their commands one after the other and
	// sends them together. Each is answered with where it is stored; the
	// refused ones are refused and take nothing down; a view asked right
	// after reflects every write answered.
	sv := serve(t, true)
	c := service.NewClient(client(t, sv.url))
	ctx := context.Background()
	const writers = 16
	type result struct {
		out command.Output
		err error
	}
	results := make([]result, 2*writers)
	var wg sync.WaitGroup
	for i := range 2 * writers {
		wg.Go(func() {
			r := command.Request{Action: "item.add", Product: "checkout", Actor: "nina",
				Args: json.RawMessage(fmt.Sprintf(`{"id":"CONC-%d","title":"Concurrent %d"}`, i, i))}
			if i%2 == 1 {
				// Refused by the rules: only the Product Owner adds items.
				r.Actor = "pam"
			}
			out, err := c.Do(ctx, r)
			results[i] = result{out, err}
		})
	}
	wg.Wait()
	seqs := map[uint64]bool{}
	for i, r := range results {
		if i%2 == 1 {
			require.ErrorIs(t, r.err, domain.ErrUnauthorized, "caller %d", i)
			continue
		}
		require.NoError(t, r.err, "caller %d", i)
		require.Len(t, r.out.Events, 1)
		assert.Equal(t, fmt.Sprintf("CONC-%d", i), r.out.Events[0].Aggregate.ID)
		seqs[r.out.Events[0].Seq] = true
	}
	assert.Len(t, seqs, writers, "each stored at a sequence of its own")
	var stored []domain.Event
	_, err := sv.store.Read(ctx, "checkout", 0, func(e domain.Event) error {
		if strings.HasPrefix(e.Aggregate.ID, "CONC-") {
			stored = append(stored, e)
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, stored, writers, "stored once each, the refused ones not at all")
	for _, e := range stored {
		assert.True(t, seqs[e.Seq], "answered with the sequence it is stored at: %s", e.Aggregate.ID)
	}
	var b query.Backlog
	require.NoError(t, c.View(ctx, query.ViewBacklog, query.Options{Product: "checkout"}, &b))
	n := 0
	for _, it := range b.Items {
		if strings.HasPrefix(it.ID, "CONC-") {
			n++
		}
	}
	assert.Equal(t, writers, n, "the view reflects every write answered")
}
