package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/decisionledger/ledger/replay"
)

// replayChild is the replay row as a user runs it: the bench's store is
// closed, Options.ReplayCommand replays every product of the data
// directory in a process of its own (the embedded server recovering the
// stream included), and the store is opened again. Its peak RSS is the
// child's, from the kernel's accounting of it.
func (r *runner) replayChild() error {
	// The directory as a user's: the LEDGER stream and the buckets. The
	// raw stream, a million messages of the bench's own, would be
	// recovered by the child's embedded server too.
	if err := deleteRawStream(r.ctx, r.js); err != nil {
		return err
	}
	info, err := r.ledgerInfo()
	if err != nil {
		return err
	}
	want := int(info.State.Msgs)
	if err := r.store.Close(); err != nil {
		return err
	}
	r.store = nil
	args := append(append([]string(nil), r.opt.ReplayCommand[1:]...), "--data", r.opt.Dir, "--json",
		"--snapshot-every", fmt.Sprint(replay.DefaultEvery))
	cmd := exec.CommandContext(r.ctx, r.opt.ReplayCommand[0], args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t := time.Now()
	runErr := cmd.Start()
	peak := func(*os.ProcessState) (float64, bool) { return 0, false }
	if runErr == nil {
		peak = watchPeak(cmd.Process)
		runErr = cmd.Wait()
	}
	wall := time.Since(t).Seconds()
	mib, ok := peak(cmd.ProcessState)
	if err := r.open(); err != nil {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), runErr, strings.TrimSpace(stderr.String()))
	}
	var out struct {
		Products []struct {
			Product   string `json:"product"`
			Events    int    `json:"events"`
			Snapshots int    `json:"snapshots"`
			Warnings  []any  `json:"warnings"`
		} `json:"products"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return fmt.Errorf("reading what %s printed: %w", cmd.Args[0], err)
	}
	events, snaps, warnings := 0, 0, 0
	for _, p := range out.Products {
		events, snaps, warnings = events+p.Events, snaps+p.Snapshots, warnings+len(p.Warnings)
	}
	if events != want {
		return fmt.Errorf("ledger replay --all replayed %d events, not the stream's %d", events, want)
	}
	if warnings > 0 {
		return fmt.Errorf("ledger replay --all warned %d times: %s", warnings, stdout.String())
	}
	r.progressf("replay  ledger replay --all %.1f s (process %.1f s), %d snapshots, peak RSS %.0f MiB", out.Seconds, wall, snaps, mib)
	r.rep.set("replay", "ledger replay --all, with snapshots", Figure{Ledger: out.Seconds, Unit: "s",
		Note: fmt.Sprintf("every product's %d events rebuilt from one read, writing Views snapshots every %d events (%d written), in a process of its own "+
			"on the directory without the bench's raw stream (%.1f s with the embedded server's start and stop)", events, replay.DefaultEvery, snaps, wall)})
	f := Figure{Ledger: mib, Unit: "MiB", Target: "< 512 MiB at 1M",
		Note: "peak RSS (VmHWM) of the ledger replay --all process, its embedded server included, which does not build the transparency log"}
	if !ok {
		f.Skipped, f.Note = true, "this system does not report a child's peak RSS"
	} else if r.opt.Events >= FullEvents {
		f.Met = metPtr(mib < 512)
	}
	r.rep.set("rebuild-rss", "peak RSS of ledger replay", f)
	return nil
}
