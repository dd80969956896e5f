package projections

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

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
	strs := func() []string {
		switch r.Intn(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.Intn(4))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	at := []time.Time{{}, time.Now(), time.Unix(r.Int63n(4e9), r.Int63n(1e9)).UTC(),
		time.Unix(r.Int63n(4e9), 0).In(time.FixedZone("", 7200)), time.Unix(r.Int63n(4e9), 5).Local()}[r.Intn(5)]
	d := Decision{Citation: Citation{Seq: r.Uint64() >> r.Intn(64), Type: str(), Actor: str(), Role: domain.Role(str()),
		At: at, Why: str(), OutsideAuthority: r.Intn(2) == 0},
		EventID: str(), Reason: domain.ReasonCode(str()), Changes: strs(), Via: str()}
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
