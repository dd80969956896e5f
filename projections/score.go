package projections

import (
	"math"
	"sort"
	"strings"

	"github.com/decisionledger/ledger/domain"
)

// The named, versioned score formulas. A change to a formula is a new
// version, so a recorded value always says how it was computed.
const (
	// FormulaRICE is reach × impact × confidence ÷ effort.
	FormulaRICE = "RICE/v1"
	// FormulaWSJF is (business value + time criticality + risk
	// reduction) ÷ job size.
	FormulaWSJF = "WSJF/v1"
)

// Score is an item's latest prioritisation score: the framework and
// inputs the decision carried and the value the projection computed.
type Score struct {
	// Framework is "RICE" or "WSJF" for the known frameworks (matched
	// case-insensitively), otherwise as given.
	Framework string             `json:"framework"`
	Inputs    map[string]float64 `json:"inputs"`
	// Value is nil when an input is missing, the divisor is zero or the
	// framework is unknown; it is never NaN or infinite.
	Value *float64 `json:"value"`
	// Formula names the formula and its version, e.g. "RICE/v1"; empty
	// for an unknown framework.
	Formula string `json:"formula,omitempty"`
}

// ComputeScore computes a score decision's value with the current formula
// of its framework. Non-finite inputs are dropped.
func ComputeScore(s domain.Score) Score {
	out := Score{Framework: s.Framework, Inputs: map[string]float64{}}
	for k, v := range s.Inputs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out.Inputs[k] = v
		}
	}
	in := lowerKeys(out.Inputs)
	var v float64
	var ok bool
	switch strings.ToUpper(strings.TrimSpace(s.Framework)) {
	case "RICE":
		out.Framework, out.Formula = "RICE", FormulaRICE
		v, ok = rice(in)
	case "WSJF":
		out.Framework, out.Formula = "WSJF", FormulaWSJF
		v, ok = wsjf(in)
	}
	if ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
		out.Value = &v
	}
	return out
}

func rice(in map[string]float64) (float64, bool) {
	r, ok1 := in["reach"]
	i, ok2 := in["impact"]
	c, ok3 := in["confidence"]
	e, ok4 := in["effort"]
	if !ok1 || !ok2 || !ok3 || !ok4 || e == 0 {
		return 0, false
	}
	return r * i * c / e, true
}

func wsjf(in map[string]float64) (float64, bool) {
	bv, ok1 := pick(in, "bv", "business-value")
	tc, ok2 := pick(in, "tc", "time-criticality")
	rr, ok3 := pick(in, "rr", "risk-reduction")
	size, ok4 := pick(in, "size", "job-size")
	if !ok1 || !ok2 || !ok3 || !ok4 || size == 0 {
		return 0, false
	}
	return (bv + tc + rr) / size, true
}

func pick(in map[string]float64, names ...string) (float64, bool) {
	for _, n := range names {
		if v, ok := in[n]; ok {
			return v, true
		}
	}
	return 0, false
}

// lowerKeys folds input names to lower case; when two names fold to the
// same key the one first in sorted order wins, so the result never
// depends on map iteration.
func lowerKeys(in map[string]float64) map[string]float64 {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]float64, len(in))
	for _, k := range keys {
		lk := strings.ToLower(strings.TrimSpace(k))
		if _, dup := out[lk]; !dup {
			out[lk] = in[k]
		}
	}
	return out
}

func (s *Score) clone() *Score {
	if s == nil {
		return nil
	}
	c := *s
	c.Value = clonePtr(s.Value)
	if s.Inputs != nil {
		c.Inputs = make(map[string]float64, len(s.Inputs))
		for k, v := range s.Inputs {
			c.Inputs[k] = v
		}
	}
	return &c
}

// outscores reports whether s has a value higher than other's in the same
// framework.
func (s *Score) outscores(other *Score) bool {
	if s == nil || other == nil || s.Value == nil || other.Value == nil {
		return false
	}
	return *s.Value > *other.Value && (s.Framework == other.Framework || strings.EqualFold(s.Framework, other.Framework))
}
