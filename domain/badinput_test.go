package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadInputIsRefused tries what the reliability review found getting
// through, each refused with the field at fault and KindInvalid (exit 3,
// 422 on the other edges), nothing recorded.
func TestBadInputIsRefused(t *testing.T) {
	rice := func(in map[string]float64) *Score { return &Score{Framework: "RICE", Inputs: in} }
	tests := []struct {
		name  string
		actor string
		why   string
		at    time.Time
		a     Action
		field string
		msg   string
	}{
		{"ErrTitleEscape", "olga", "", time.Time{}, AddItem{ID: "X1", Title: "Card\x1b[2J form"}, "title", "control character"},
		{"ErrTitleNewline", "olga", "", time.Time{}, AddItem{ID: "X1", Title: "Card\nform"}, "title", "control character"},
		{"ErrTitleBidi", "olga", "", time.Time{}, AddItem{ID: "X1", Title: "Card \u202eform"}, "title", "control character"},
		{"ErrTitleZeroWidth", "olga", "", time.Time{}, AddItem{ID: "X1", Title: "Card\u200bform"}, "title", "control character"},
		{"ErrWhyNUL", "olga", "because\x00", time.Time{}, RankItem{ID: "A", Position: Position{Place: PlaceTop}}, "why", "control character"},
		{"ErrYear1", "olga", "w", time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), RankItem{ID: "A", Position: Position{Place: PlaceTop}}, "at", "not a plausible time"},
		{"ErrYear9999", "olga", "w", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), RankItem{ID: "A", Position: Position{Place: PlaceTop}}, "at", "not a plausible time"},
		{"ErrEffortZero", "olga", "w", time.Time{}, RankItem{ID: "A", Position: Position{Place: PlaceTop},
			Score: rice(map[string]float64{"reach": 1, "impact": 1, "confidence": 0.5, "effort": 0})}, "score", "effort must be more than 0"},
		{"ErrWSJFSizeZero", "olga", "w", time.Time{}, RankItem{ID: "A", Position: Position{Place: PlaceTop},
			Score: &Score{Framework: "WSJF", Inputs: map[string]float64{"bv": 1, "tc": 1, "rr": 1, "size": 0}}}, "score", "size must be more than 0"},
		{"ErrScoreInputTwiceByCase", "olga", "w", time.Time{}, RankItem{ID: "A", Position: Position{Place: PlaceTop},
			Score: rice(map[string]float64{"reach": 1, "Reach": 1000, "impact": 1, "confidence": 0.5, "effort": 1})}, "score", "gives reach twice"},
		{"ErrConfidenceOver100", "olga", "w", time.Time{}, RankItem{ID: "A", Position: Position{Place: PlaceTop},
			Score: rice(map[string]float64{"reach": 1, "impact": 1, "confidence": 80, "effort": 1})}, "score", "more than 100%"},
		{"ErrPeriodYear0", "pam", "w", time.Time{}, PlanRoadmapItem{ID: "R-OLD", Title: "Antiquity", Period: "0000-Q1"}, "period", "give a period from 1970 to 2999"},
		{"ErrPeriodYear9999", "pam", "w", time.Time{}, PlanRoadmapItem{ID: "R-FAR", Title: "Far future", Period: "9999-Q4"}, "period", "give a period from 1970 to 2999"},
		{"ErrHugeVision", "pam", "w", time.Time{}, StateVision{Vision: strings.Repeat("v", 1_200_000)}, "vision", "the limit is"},
		{"ErrTooManyMetrics", "pam", "w", time.Time{}, StateVision{Vision: "v", Metrics: make([]string, MaxMetrics+1)}, "metric", "at most"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.cmd(tc.actor, tc.why, tc.a)
			c.At = tc.at
			_, err := Decide(f.s, c, f.now.Add(time.Minute))
			require.Error(t, err)
			assert.Equal(t, KindInvalid, KindOf(err), err.Error())
			assert.Equal(t, tc.field, FieldOf(err), err.Error())
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// TestOversizedEventIsRefused: texts within their own limits can still add
// up past what one event may hold (JSON writes '<' as six bytes); the
// decision is refused naming the limit rather than failing in the stream.
func TestOversizedEventIsRefused(t *testing.T) {
	f := newFixture(t)
	metrics := make([]string, MaxMetrics)
	for i := range metrics {
		metrics[i] = strings.Repeat("<", MaxTitleLen)
	}
	_, err := f.try("pam", strings.Repeat("<", MaxTextLen), StateVision{Vision: strings.Repeat("<", MaxTextLen), Metrics: metrics})
	require.Error(t, err)
	assert.Equal(t, KindInvalid, KindOf(err))
	assert.Contains(t, err.Error(), "the limit is 65536 bytes (64 KiB)")
}
