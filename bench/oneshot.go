package bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// DefaultOneShotEvents is the history the one-shot row writes on, against
// SmallOneShotEvents.
const (
	DefaultOneShotEvents = 20_000
	SmallOneShotEvents   = 10
)

// oneShotRuns is how many timed writes each side of the one-shot row
// makes, alternating; the row reports the medians.
const oneShotRuns = 7

// oneShotDirs are the one-shot row's data directories, beside
// Options.Dir: the long history and the short one.
func (r *runner) oneShotDirs() [2]string {
	return [2]string{r.opt.Dir + "-oneshot-long", r.opt.Dir + "-oneshot-short"}
}

// prepareOneShot writes the one-shot row's two histories first thing in a
// run, so that they are older than JetStream's duplicate window when the
// row is timed, last, as a user's are: a server starting on a stream
// reads again the message id of every message stored within the window
// (two minutes), which right after writing 20,000 events is all of them,
// 37 ms of every one-shot write in a profile, and then none.
func (r *runner) prepareOneShot() error {
	sizes := []int{r.opt.OneShotEvents, SmallOneShotEvents}
	for i, dir := range r.oneShotDirs() {
		item, window, err := r.writeProduct(dir, sizes[i])
		if err != nil {
			return err
		}
		r.oneShotItems[i] = item
		// Written once as a user's would have been, so that the longer
		// history has its write-state snapshot.
		if err := r.writeOnce(dir, item, "--top", 0); err != nil {
			return err
		}
		r.oneShotAged = time.Now().Add(window)
	}
	return nil
}

// oneShot is the one-shot row: a write without serve, the whole process
// (Options.WriteCommand: the ledger binary opening the data directory,
// deciding, appending and closing), on the directory of a product of
// OneShotEvents events against the one of SmallOneShotEvents, alternating,
// once both are older than JetStream's duplicate window (it waits for
// that unless Options.FreshOneShot). Without WriteCommand the write runs
// in this process, as BenchmarkOneShotWrite does.
func (r *runner) oneShot() error {
	waited := time.Duration(0)
	if wait := time.Until(r.oneShotAged); wait > 0 && !r.opt.FreshOneShot {
		r.progressf("oneshot waiting %.0f s for the histories to leave JetStream's duplicate window", wait.Seconds())
		select {
		case <-time.After(wait):
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
		waited = wait
	}
	fresh := time.Until(r.oneShotAged) > 0
	dirs := r.oneShotDirs()
	k := 0
	write := func(i int) (time.Duration, error) {
		k++
		place := []string{"--top", "--bottom"}[k%2]
		t := time.Now()
		err := r.writeOnce(dirs[i], r.oneShotItems[i], place, k)
		return time.Since(t), err
	}
	times := [2][]time.Duration{}
	for run := range oneShotRuns {
		for _, i := range []int{run % 2, 1 - run%2} {
			d, err := write(i)
			if err != nil {
				return err
			}
			times[i] = append(times[i], d)
		}
	}
	long, short := median(times[0]).Seconds(), median(times[1]).Seconds()
	how := "in this process (no ledger binary given): open the store, a Handler with write-state snapshots, one decision, close"
	if len(r.opt.WriteCommand) > 0 {
		how = "as a process of its own: " + strings.Join(r.opt.WriteCommand, " ") + " --data DIR --as olga item rank ID --top --why ..."
	}
	age := fmt.Sprintf("the histories older than JetStream's duplicate window (%.0f s waited for it)", waited.Seconds())
	if fresh {
		age = "the histories written moments before (within JetStream's duplicate window, which a server reads again when it starts)"
	}
	r.progressf("oneshot %d events %.0f ms  %d events %.0f ms", r.opt.OneShotEvents, long*1000, SmallOneShotEvents, short*1000)
	r.rep.set("oneshot", "one-shot CLI write without serve", Figure{Ledger: long, Raw: short, Ratio: short / long, Unit: "s",
		Target: "≥ 0.33 (≤ 3x)", Met: metPtr(short/long >= 1.0/3),
		Note: fmt.Sprintf("a write on a product of %d events (ledger) vs one of %d (raw column), the median of %d each, alternating, %s; %s",
			r.opt.OneShotEvents, SmallOneShotEvents, oneShotRuns, age, how)})
	return nil
}

// writeProduct stores the generator's history of one product of n events
// in a new data directory and returns one of its open items and the
// stream's duplicate window.
func (r *runner) writeProduct(dir string, n int) (string, time.Duration, error) {
	s, err := eventstore.Open(r.ctx, eventstore.Options{DataDir: dir, Name: "ledger-bench-oneshot"})
	if err != nil {
		return "", 0, err
	}
	defer s.Close()
	g := NewGenerator(r.opt.Seed, 1, n)
	var evs []domain.Event
	for len(evs) < n {
		run := g.NextRun(min(RunLength, n-len(evs)))
		if len(run) == 0 {
			break
		}
		evs = append(evs, run...)
	}
	if err := AppendAll(r.ctx, s, evs, func() int { return eventstore.MaxBatch }, nil); err != nil {
		return "", 0, err
	}
	open := slices.Clone(g.Products()[0].Open())
	if len(open) == 0 {
		return "", 0, fmt.Errorf("bench: the generated product of %d events has no open item to rank", n)
	}
	slices.Sort(open)
	st, err := s.JetStream().Stream(r.ctx, eventstore.StreamName)
	if err != nil {
		return "", 0, err
	}
	return open[0], st.CachedInfo().Config.Duplicates, s.Close()
}

// writeOnce ranks item in the product of dir's history as a one-shot
// write does: with Options.WriteCommand, by running it; otherwise in this
// process.
func (r *runner) writeOnce(dir, item, place string, k int) error {
	why := fmt.Sprintf("bench: one-shot write %d", k)
	if cmd := r.opt.WriteCommand; len(cmd) > 0 {
		args := append(slices.Clone(cmd[1:]), "--data", dir, "--as", "olga", "item", "rank", item, place, "--why", why)
		c := exec.CommandContext(r.ctx, cmd[0], args...)
		var stderr bytes.Buffer
		c.Stdout, c.Stderr = nil, &stderr
		if err := c.Run(); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(c.Args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	s, err := eventstore.Open(r.ctx, eventstore.Options{DataDir: dir, Name: "ledger-bench-oneshot"})
	if err != nil {
		return err
	}
	h := command.New(s, nil, command.WithSnapshots(s.WriteStates(), 0))
	pos := domain.Position{Place: domain.PlaceTop}
	if place == "--bottom" {
		pos.Place = domain.PlaceBottom
	}
	_, err = h.Execute(r.ctx, domain.Command{ID: command.NewID(), Product: "p1", Actor: "olga", Why: why, Action: domain.RankItem{ID: item, Position: pos}})
	h.Wait()
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}
