package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Tables show scores to six significant digits, never in exponent form.
func TestScoreNumber(t *testing.T) {
	for v, want := range map[float64]string{
		105.80000000000001: "105.8",
		26.514285714285716: "26.5143",
		2558.4:             "2558.4",
		12:                 "12",
		0:                  "0",
		1234567.89:         "1234570",
		0.000123456789:     "0.000123457",
		-3.25:              "-3.25",
	} {
		assert.Equal(t, want, scoreNumber(v), "%v", v)
	}
}
