package bench

import (
	"encoding/json"
	"fmt"
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
	cost := func(at replay.Position) (time.Duration, error) {
		var bestT time.Duration
		for range 5 {
			t := time.Now()
			if _, err := q.Backlog(r.ctx, p, at, query.BacklogFilter{}, 0); err != nil {
				return 0, err
			}
			if d := time.Since(t); bestT == 0 || d < bestT {
				bestT = d
			}
		}
		return bestT, nil
	}
	early, err := cost(replay.AtTime(times[len(times)/10]))
	if err != nil {
		return err
	}
	late, err := cost(replay.AtTime(times[len(times)-1]))
	if err != nil {
		return err
	}
	tenth := r.opt.Events / 10
	ratio := early.Seconds() / late.Seconds()
	r.rep.set("asof-scaling", fmt.Sprintf("as-of cost at %dk vs %dk events", tenth/1000, r.opt.Events/1000), Figure{
		Ledger: late.Seconds() * 1000, Raw: early.Seconds() * 1000, Ratio: ratio, Unit: "ms", Target: "≥ 0.5 (late < 2× early)",
		Met: metPtr(ratio >= 0.5), Note: "backlog as of a tenth of the way into the history (raw column) and at its end (ledger column), from snapshots"})
	r.progressf("as-of   at %dk %.1f ms, at %dk %.1f ms", tenth/1000, early.Seconds()*1000, r.opt.Events/1000, late.Seconds()*1000)
	return nil
}
