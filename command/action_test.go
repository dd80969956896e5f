package command_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
)

func TestEncodeDecodeRoundTripsEveryDemoCommand(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range demo.Commands("checkout") {
		r, err := command.Encode(c)
		require.NoError(t, err)
		b, err := json.Marshal(r)
		require.NoError(t, err)
		var back command.Request
		require.NoError(t, json.Unmarshal(b, &back))
		got, err := command.Decode(back)
		require.NoError(t, err, "%s", b)
		if c.At.IsZero() {
			got.At = time.Time{}
		}
		assert.Equal(t, c.At.UTC(), got.At.UTC(), c.ID)
		got.At, c.At = time.Time{}, time.Time{}
		assert.Equal(t, c, got, "%s", b)
		assert.Equal(t, command.ActionName(c.Action), r.Action)
		seen[r.Action] = true
	}
	// The demo uses most actions; every name must at least decode.
	for _, name := range command.Actions() {
		_, known := seen[name]
		_ = known
	}
	assert.GreaterOrEqual(t, len(seen), 18, "the demo exercises most actions: %v", seen)
}

func TestDecode(t *testing.T) {
	req := func(action, args string) command.Request {
		return command.Request{Action: action, Product: "checkout", Actor: "olga", CommandID: "c-1", Args: json.RawMessage(args)}
	}
	t.Run("OK", func(t *testing.T) {
		c, err := command.Decode(req("item.rank", `{"id":"BNPL-3","top":true,"why":"Sandbox is stable","score":"RICE:reach=500,impact=2,confidence=0.8,effort=3"}`))
		require.NoError(t, err)
		assert.Equal(t, "Sandbox is stable", c.Why)
		assert.Equal(t, domain.RankItem{ID: "BNPL-3", Position: domain.Position{Place: domain.PlaceTop},
			Score: &domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": 500, "impact": 2, "confidence": 0.8, "effort": 3}}}, c.Action)
	})
	t.Run("ScoreObject", func(t *testing.T) {
		c, err := command.Decode(req("item.rank", `{"id":"X","below":"Y","why":"w","score":{"framework":"WSJF","inputs":{"bv":1,"tc":2,"rr":3,"size":4}}}`))
		require.NoError(t, err)
		assert.Equal(t, "WSJF", c.Action.(domain.RankItem).Score.Framework)
	})
	t.Run("Reject", func(t *testing.T) {
		c, err := command.Decode(req("request.reject", `{"id":"Q-1","reason":"low-value","why":"Few users"}`))
		require.NoError(t, err)
		assert.Equal(t, domain.RejectRequest{ID: "Q-1", Reason: domain.ReasonLowValue}, c.Action)
	})
	t.Run("SubmitWhyIsTheBusinessCase", func(t *testing.T) {
		c, err := command.Decode(req("request.submit", `{"id":"Q-1","title":"PayPal","why":"Lost three deals"}`))
		require.NoError(t, err)
		assert.Equal(t, "Lost three deals", c.Action.(domain.SubmitRequest).BusinessCase)
	})
	t.Run("ProductFromArgs", func(t *testing.T) {
		r := req("product.create", `{"id":"shop","name":"Shop","pm":"pam","po":"olga"}`)
		r.Product = ""
		c, err := command.Decode(r)
		require.NoError(t, err)
		assert.Equal(t, "shop", c.Product)
	})
	t.Run("AtDate", func(t *testing.T) {
		r := req("item.start", `{"id":"X"}`)
		r.At = "2026-04-01"
		c, err := command.Decode(r)
		require.NoError(t, err)
		assert.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), c.At)
	})
	t.Run("DefaultCommandID", func(t *testing.T) {
		r := req("item.start", `{"id":"X"}`)
		r.CommandID = ""
		c, err := command.Decode(r)
		require.NoError(t, err)
		assert.Len(t, c.ID, 26)
	})
	errs := []struct {
		name, action, args string
		at, cmdID          string
		kind               domain.Kind
		field              string
	}{
		{"ErrNoAction", "", `{}`, "", "c", domain.KindMalformed, "action"},
		{"ErrUnknownAction", "item.promote", `{}`, "", "c", domain.KindMalformed, "action"},
		{"ErrUnknownField", "item.rank", `{"id":"X","top":true,"wy":"typo"}`, "", "c", domain.KindMalformed, "wy"},
		{"ErrWrongType", "item.rank", `{"id":"X","top":"yes"}`, "", "c", domain.KindMalformed, "top"},
		{"ErrArgsNotObject", "item.rank", `[1]`, "", "c", domain.KindMalformed, "args"},
		{"ErrArgOfAnotherCase", "item.rank", `{"id":"X","Top":true,"why":"w"}`, "", "c", domain.KindMalformed, "Top"},
		{"ErrEmbeddedArgOfAnotherCase", "item.rank", `{"ID":"X","top":true,"why":"w"}`, "", "c", domain.KindMalformed, "ID"},
		{"ErrScoreFieldOfAnotherCase", "item.rank", `{"id":"X","top":true,"why":"w","score":{"Framework":"RICE","inputs":{"reach":1,"impact":1,"confidence":1,"effort":1}}}`, "", "c", domain.KindMalformed, "Framework"},
		{"ErrArgNotUTF8", "item.rank", "{\"id\":\"X\",\"top\":true,\"why\":\"\xff\"}", "", "c", domain.KindMalformed, "why"},
		{"ErrBadJSON", "item.rank", `{"id":`, "", "c", domain.KindMalformed, "args"},
		{"ErrTwoPositions", "item.rank", `{"id":"X","top":true,"below":"Y","why":"w"}`, "", "c", domain.KindInvalid, "position"},
		{"ErrBadAt", "item.start", `{"id":"X"}`, "yesterday", "c", domain.KindInvalid, "at"},
		{"ErrZeroAt", "item.start", `{"id":"X"}`, "0001-01-01", "c", domain.KindInvalid, "at"},
		{"ErrFarFutureAt", "item.start", `{"id":"X"}`, "9999-12-31T00:00:00Z", "c", domain.KindInvalid, "at"},
		{"ErrScoreText", "item.rank", `{"id":"X","top":true,"why":"w","score":"RICE"}`, "", "c", domain.KindInvalid, "score"},
		{"ErrScoreDuplicateKey", "item.rank", `{"id":"X","top":true,"why":"w","score":"RICE:reach=1,reach=2,impact=1,confidence=1,effort=1"}`, "", "c", domain.KindInvalid, "score"},
		{"ErrNoPoints", "item.estimate", `{"id":"X"}`, "", "c", domain.KindInvalid, "points"},
		{"ErrCommandIDControl", "item.start", `{"id":"X"}`, "", "c\x1b[2J", domain.KindInvalid, "commandId"},
		{"ErrCommandIDInvalidUTF8", "item.start", `{"id":"X"}`, "", "c\xff", domain.KindInvalid, "commandId"},
		{"ErrCommandIDTooLong", "item.start", `{"id":"X"}`, "", string(make([]byte, 129)), domain.KindInvalid, "commandId"},
		{"ErrProductTwice", "product.create", `{"id":"other","name":"n","pm":"p","po":"o"}`, "", "c", domain.KindInvalid, "id"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			r := req(tc.action, tc.args)
			r.At, r.CommandID = tc.at, tc.cmdID
			_, err := command.Decode(r)
			require.Error(t, err)
			assert.Equal(t, tc.kind, domain.KindOf(err), err.Error())
			assert.Equal(t, tc.field, domain.FieldOf(err), err.Error())
			assert.NotContains(t, err.Error(), "--", "messages name fields, not flags")
		})
	}
}

func TestOutputJSONRoundTrip(t *testing.T) {
	c := demo.Commands("checkout")[0]
	evs, err := domain.Decide(domain.NewState("checkout"), c, c.At.Add(time.Hour))
	require.NoError(t, err)
	evs[0].Seq = 7
	out := command.Result{Events: evs, FirstSeq: 7}.Output()
	b, err := json.Marshal(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"duplicate":false,"events":[{"seq":7,"id":`)
	var back command.Output
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, out, back)

	dup, err := json.Marshal(command.Result{Duplicate: true, FirstSeq: 3}.Output())
	require.NoError(t, err)
	assert.JSONEq(t, `{"duplicate":true,"firstSeq":3,"events":[]}`, string(dup))
}
