package bench_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/replay"
)

// TestScalingRegions pins the regions the asof-scaling row draws its
// dates from: 10,000 events of the product (100 samples) around a tenth
// of the way in and at the end, or a tenth of the history when shorter.
func TestScalingRegions(t *testing.T) {
	for _, c := range []struct {
		name                 string
		samples              int
		earlyFrom, earlyTo   int
		lateFrom, lateLength int
	}{
		{"1M", 2500, 200, 300, 2400, 100},
		{"100k", 250, 13, 38, 225, 25},
		{"Short", 5, 0, 1, 4, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			times := make([]time.Time, c.samples)
			for i := range times {
				times[i] = time.Unix(int64(i), 0)
			}
			early, late := bench.ScalingRegions(times)
			require.NotEmpty(t, early)
			assert.Equal(t, times[c.earlyFrom], early[0])
			assert.Equal(t, times[c.earlyTo-1], early[len(early)-1])
			assert.Len(t, late, c.lateLength)
			assert.Equal(t, times[c.lateFrom], late[0])
			assert.Equal(t, times[len(times)-1], late[len(late)-1])
		})
	}
}

// TestAsOfScaling asks as many dates of each region, alternately (the
// medians it returns are timings, which only benchmarks measure).
func TestAsOfScaling(t *testing.T) {
	times := make([]time.Time, 2500)
	for i := range times {
		times[i] = time.Unix(int64(i), 0)
	}
	var asked []int
	_, _, err := bench.AsOfScaling(rand.New(rand.NewPCG(1, 2)), times, 7, func(at replay.Position) error {
		asked = append(asked, int(at.At.Unix()))
		return nil
	})
	require.NoError(t, err)
	require.Len(t, asked, 14)
	for k, i := range asked {
		if k%2 == 0 {
			assert.True(t, i >= 200 && i < 300, "early date %d", i)
		} else {
			assert.GreaterOrEqual(t, i, 2400, "late date")
		}
	}
}
