package projections

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// randomDecision draws a decision with every field the log can hold, nil
// and empty alike, and the instants that do not survive a Unix time in
// UTC (zones, monotonic readings, the zero time).
func randomDecision(r *rand.Rand) Decision {
	str := func() string {
		return []string{"", "olga", "PAY-7", "RICE", "a \"quoted\" why ✓", "rank 5 -> 2", fmt.Sprint("id-", r.Intn(50))}[r.Intn(7)]
	}
	// Change lines: most are a field and numbers, which the log keeps as
	// numbers when they read back byte for byte.
	line := func() string {
		return []string{str(), "rank 5 -> 2", "rank -3 -> 12", "estimate 8", "rank 007 -> 1", "rank 0 -> -0",
			"rank 1 -> 99999999999999999999", "rank 123456789012345678 -> -123456789012345678", "a b -> 3", "rank  5",
			"rank 5 -> ", " 5", "rank +5", "rank 5 -> 2 -> 1", "period 2026-Q2 -> 2026-Q3", "score RICE/v1 12.5"}[r.Intn(16)]
	}
	strs := func() []string {
		switch r.Intn(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.Intn(4))
		for i := range out {
			out[i] = line()
		}
		return out
	}
	at := []time.Time{{}, time.Now(), time.Unix(r.Int63n(4e9), r.Int63n(1e9)).UTC(),
		time.Unix(r.Int63n(4e9), 0).In(time.FixedZone("", 7200)), time.Unix(r.Int63n(4e9), 5).Local()}[r.Intn(5)]
	// Event ids: a ULID of the decision's millisecond (as the ledger
	// derives them), of another, in lower case, too large, and not one.
	id := []string{str(), domain.EventID("p", fmt.Sprint("c", r.Intn(9)), at, r.Intn(3)),
		ulid.MustNew(uint64(r.Int63n(1<<47)), r).String(), strings.ToLower(ulid.Make().String()),
		"8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FA"}[r.Intn(8)]
	d := Decision{Citation: Citation{Seq: r.Uint64() >> r.Intn(64), Type: str(), Actor: str(), Role: domain.Role(str()),
		At: at, Why: []string{str(), fmt.Sprint("why ", r.Int63())}[r.Intn(2)], OutsideAuthority: r.Intn(2) == 0},
		EventID: id, Reason: domain.ReasonCode(str()), Changes: strs(), Via: str()}
	if r.Intn(3) == 0 {
		d.Source = &domain.Source{System: str(), Key: str(), URL: str(), Change: str(), Author: str()}
	}
	if r.Intn(2) == 0 {
		d.Links = &Links{Request: str(), Item: str(), Epic: str(), Roadmap: str(), Repeats: str()}
	}
	switch r.Intn(3) {
	case 0:
		d.OverridesScore = []Override{}
	case 1:
		for range 1 + r.Intn(300) {
			d.OverridesScore = append(d.OverridesScore, Override{ID: str(), Framework: str(), Score: r.NormFloat64() * 1e6})
		}
	}
	if r.Intn(2) == 0 {
		s := &Score{Framework: str(), Formula: str()}
		if r.Intn(4) > 0 {
			s.Inputs = map[string]float64{}
			for range r.Intn(5) {
				s.Inputs[str()] = r.Float64()
			}
		}
		if r.Intn(3) > 0 {
			v := []float64{0, math.Copysign(0, -1), r.ExpFloat64(), math.MaxFloat64}[r.Intn(4)]
			s.Value = &v
		}
		d.Score = s
	}
	return d
}

func TestBookRoundTrip(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewSource(seed))
		var k book
		var recs []byte
		var want []Decision
		for range 200 {
			d := randomDecision(r)
			want = append(want, d)
			recs = k.appendDecision(recs, &d, nil)
		}
		got := k.decisions(recs, len(want), nil)
		require.Equal(t, want, got, "seed %d", seed)
		for i := range want {
			// Equal compares floats by value: the bits must be kept too.
			if want[i].Score != nil && want[i].Score.Value != nil {
				require.Equal(t, math.Float64bits(*want[i].Score.Value), math.Float64bits(*got[i].Score.Value))
			}
		}
		// What a read hands out is the reader's: writing on it changes
		// nothing the log reads next.
		for i := range got {
			if len(got[i].Changes) > 0 {
				got[i].Changes[0] = "scribbled"
			}
			if len(got[i].OverridesScore) > 0 {
				got[i].OverridesScore[0].ID = "scribbled"
			}
			if got[i].Score != nil && got[i].Score.Inputs != nil {
				got[i].Score.Inputs["scribbled"] = 1
			}
		}
		require.Equal(t, want, k.decisions(recs, len(want), nil), "seed %d, read again", seed)
	}
}

// TestULIDBytes checks the log's ULID codec against the ulid package: an
// id of the decision's millisecond keeps its entropy only, another ULID
// its 16 bytes, anything else its text.
func TestULIDBytes(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 1000 {
		at := time.UnixMilli(r.Int63n(1 << 47)).Add(time.Duration(r.Intn(1e6)))
		u := ulid.MustNew(ulid.Timestamp(at), r)
		raw, flag := ulidBytes(u.String(), at)
		require.Equal(t, uint64(recIDAt), flag)
		require.Equal(t, u.String(), ulidString(at, string(raw[6:])))
		raw, flag = ulidBytes(u.String(), at.Add(time.Millisecond))
		require.Equal(t, uint64(recIDBin), flag)
		require.Equal(t, [16]byte(u), raw)
		require.Equal(t, u.String(), ulidString(time.Time{}, string(raw[:])))
	}
	for _, id := range []string{"", "01arz3ndektsv4rrffq69g5fav", "81ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAU",
		"01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "01ARZ3NDEKTSV4RRFFQ69G5FAI"} {
		_, flag := ulidBytes(id, time.Now())
		require.Zero(t, flag, id)
	}
}

// TestWhyInternedWhenItRecurs checks that a why is written inline the
// first time and as a string index from its second sighting, and that
// one written once never enters the string table.
func TestWhyInternedWhenItRecurs(t *testing.T) {
	var k book
	once := k.appendWhy(nil, "a reason given once")
	first := k.appendWhy(nil, "by value per effort")
	second := k.appendWhy(nil, "by value per effort")
	third := k.appendWhy(nil, "by value per effort")
	require.Len(t, once, 1+len("a reason given once"))
	require.Len(t, first, 1+len("by value per effort"))
	require.Len(t, second, 1)
	require.Equal(t, second, third)
	require.Equal(t, []string{"by value per effort"}, k.strs)
	for _, enc := range [][]byte{once, first, second} {
		r := bookReader{k: &k, s: string(enc)}
		require.NotEmpty(t, r.why())
		require.Equal(t, len(enc), r.at)
	}
}
