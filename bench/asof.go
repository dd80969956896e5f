package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
)

// asOf asks for the backlog of a product as of random dates with
// snapshots and by full replay, checks both answers agree, and compares
// the cost early in the history with the cost at its end.
func (r *runner) asOf() error {
	q, full := query.New(r.store, r.store.Snapshots()), query.New(r.store, nil)
	p := r.products()[0]
	times := r.times[p]
	var snap, replayed time.Duration
	for i := range r.opt.Reps + 1 {
		at := replay.AtTime(times[len(times)/2+r.rng.IntN(len(times)/2)])
		sides := []func() (query.Backlog, time.Duration, error){
			func() (query.Backlog, time.Duration, error) {
				t := time.Now()
				b, err := q.Backlog(r.ctx, p, at, query.BacklogFilter{}, 0)
				return b, time.Since(t), err
			},
			func() (query.Backlog, time.Duration, error) {
				t := time.Now()
				b, err := full.Backlog(r.ctx, p, at, query.BacklogFilter{}, 0)
				return b, time.Since(t), err
			},
		}
		a, da, err := sides[0]()
		if err != nil {
			return err
		}
		b, db, err := sides[1]()
		if err != nil {
			return err
		}
		ja, _ := json.Marshal(a.Items)
		jb, _ := json.Marshal(b.Items)
		if a.Position != b.Position || string(ja) != string(jb) {
			return fmt.Errorf("as of %s: the answer from snapshots differs from the full replay", at)
		}
		snap += da
		replayed += db
		_ = i
	}
	k := float64(r.opt.Reps + 1)
	l, w := snap.Seconds()*1000/k, replayed.Seconds()*1000/k
	r.progressf("as-of   snapshots %.1f ms  full replay %.0f ms", l, w)
	f := Figure{Ledger: l, Raw: w, Ratio: w / l, Unit: "ms", Target: "≥ 50 at 1M",
		Note: "backlog as of a random date in the second half of a product's history, from snapshots vs by full replay"}
	if r.opt.Events >= FullEvents {
		f.Met = metPtr(w/l >= 50)
	}
	r.rep.set("asof", "backlog as of a random date", f)

	// The cost a tenth of the way in against the cost at the end.
	region, _ := ScalingRegions(times)
	early, late, err := AsOfScaling(r.rng, times, ScalingDates, func(at replay.Position) error {
		_, err := q.Backlog(r.ctx, p, at, query.BacklogFilter{}, 0)
		return err
	})
	if err != nil {
		return err
	}
	tenth := r.opt.Events / 10
	ratio := early.Seconds() / late.Seconds()
	r.rep.set("asof-scaling", fmt.Sprintf("as-of cost at %dk vs %dk events", tenth/1000, r.opt.Events/1000), Figure{
		Ledger: late.Seconds() * 1000, Raw: early.Seconds() * 1000, Ratio: ratio, Unit: "ms", Target: "≥ 0.5 (late < 2× early)",
		Met: metPtr(ratio >= 0.5), Note: fmt.Sprintf("backlog from snapshots: the median of %d random dates in the %d events of the product around a tenth of the way into its history (raw column) "+
			"and of %[1]d in its last %[2]d events (ledger column), asked alternately", ScalingDates, len(region)*sampleEvery)})
	r.progressf("as-of   at %dk %.1f ms, at %dk %.1f ms (medians of %d dates each)", tenth/1000, early.Seconds()*1000, r.opt.Events/1000, late.Seconds()*1000, ScalingDates)
	return nil
}

// ScalingDates is how many random dates each region of the asof-scaling
// row draws.
const ScalingDates = 30

// sampleEvery is how many of a product's events lie between two of the
// business times the runner samples (and BenchmarkAsOfDir keeps).
const sampleEvery = 100

// scalingRegion is the width of a region of the asof-scaling row, in
// samples: five times the widest gap Thin leaves between two snapshots
// (10,000 events at the default), so that the dates fall evenly against
// the snapshots they start from, whatever the history's length.
const scalingRegion = 5 * replay.MaxGap * replay.DefaultEvery / sampleEvery

// ScalingRegions returns the two regions of a product's history the
// asof-scaling row compares, as subslices of times (business times
// sampled every 100 events of the product): the scalingRegion samples
// centred on a tenth of the way in, and the last scalingRegion samples;
// each a tenth of times when that is fewer. A single date per region made
// the row move between 0.26 and 0.60 across runs at 1M, with where the
// date fell against the snapshot it starts from (up to 2,000 events
// before it).
func ScalingRegions(times []time.Time) (early, late []time.Time) {
	w := max(1, min(scalingRegion, len(times)/10))
	from := max(0, len(times)/10-w/2)
	return times[from:min(len(times), from+w)], times[max(0, len(times)-w):]
}

// AsOfScaling measures the asof-scaling row: it calls ask for n dates
// drawn at random from each region of times (ScalingRegions), alternating
// between the regions, and returns the median time ask took in each. ask
// answers an as-of question; its first error is returned.
func AsOfScaling(rng *rand.Rand, times []time.Time, n int, ask func(replay.Position) error) (early, late time.Duration, err error) {
	er, lr := ScalingRegions(times)
	if len(er) == 0 || n <= 0 {
		return 0, 0, fmt.Errorf("as-of scaling: no dates to ask (%d sampled, %d asked)", len(times), n)
	}
	var de, dl []time.Duration
	for range n {
		for _, c := range []struct {
			region []time.Time
			took   *[]time.Duration
		}{{er, &de}, {lr, &dl}} {
			at := replay.AtTime(c.region[rng.IntN(len(c.region))])
			t := time.Now()
			if err := ask(at); err != nil {
				return 0, 0, err
			}
			*c.took = append(*c.took, time.Since(t))
		}
	}
	return median(de), median(dl), nil
}

// median returns the middle of ds (the mean of the middle two for an
// even count); ds is sorted in place.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	m := len(ds) / 2
	if len(ds)%2 == 0 {
		return (ds[m-1] + ds[m]) / 2
	}
	return ds[m]
}
