package projections

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/decisionledger/ledger/domain"
)

func nan() float64 { return math.NaN() }

func TestComputeScore(t *testing.T) {
	tests := []struct {
		name      string
		in        domain.Score
		framework string
		formula   string
		value     *float64
	}{
		{"RICE", domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": 1000, "impact": 2, "confidence": 0.8, "effort": 4}},
			"RICE", FormulaRICE, f64(400)},
		{"RICECaseInsensitive", domain.Score{Framework: "rice", Inputs: map[string]float64{"Reach": 10, "IMPACT": 3, "confidence": 1, "effort": 2}},
			"RICE", FormulaRICE, f64(15)},
		{"RICEMissingInput", domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": 10, "impact": 3, "effort": 2}},
			"RICE", FormulaRICE, nil},
		{"RICEZeroEffort", domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": 10, "impact": 3, "confidence": 1, "effort": 0}},
			"RICE", FormulaRICE, nil},
		{"RICENaNInputDropped", domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": nan(), "impact": 3, "confidence": 1, "effort": 1}},
			"RICE", FormulaRICE, nil},
		{"RICEOverflow", domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": math.MaxFloat64, "impact": 10, "confidence": 1, "effort": 1}},
			"RICE", FormulaRICE, nil},
		{"WSJFShortKeys", domain.Score{Framework: "WSJF", Inputs: map[string]float64{"bv": 8, "tc": 5, "rr": 3, "size": 4}},
			"WSJF", FormulaWSJF, f64(4)},
		{"WSJFLongNames", domain.Score{Framework: "Wsjf", Inputs: map[string]float64{"business-value": 8, "time-criticality": 5, "risk-reduction": 2, "job-size": 3}},
			"WSJF", FormulaWSJF, f64(5)},
		{"WSJFMissingInput", domain.Score{Framework: "WSJF", Inputs: map[string]float64{"bv": 8, "tc": 5, "size": 4}},
			"WSJF", FormulaWSJF, nil},
		{"WSJFZeroSize", domain.Score{Framework: "WSJF", Inputs: map[string]float64{"bv": 8, "tc": 5, "rr": 3, "size": 0}},
			"WSJF", FormulaWSJF, nil},
		{"UnknownFramework", domain.Score{Framework: "MoSCoW", Inputs: map[string]float64{"must": 1}},
			"MoSCoW", "", nil},
		{"NilInputs", domain.Score{Framework: "RICE"}, "RICE", FormulaRICE, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ComputeScore(tt.in)
			assert.Equal(t, tt.framework, s.Framework)
			assert.Equal(t, tt.formula, s.Formula)
			if tt.value == nil {
				assert.Nil(t, s.Value)
			} else if assert.NotNil(t, s.Value) {
				assert.InDelta(t, *tt.value, *s.Value, 1e-9)
			}
			for _, v := range s.Inputs {
				assert.False(t, math.IsNaN(v) || math.IsInf(v, 0))
			}
		})
	}
}
