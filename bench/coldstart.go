package bench

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
)

// sizes compares the bytes of the snapshots with the bytes of the stream.
func (r *runner) sizes() error {
	info, err := r.ledgerInfo()
	if err != nil {
		return err
	}
	obs, err := r.js.ObjectStore(r.ctx, eventstore.SnapshotBucket)
	if err != nil {
		return err
	}
	status, err := obs.Status(r.ctx)
	if err != nil {
		return err
	}
	snap, stream := float64(status.Size()), float64(info.State.Bytes)
	r.rep.set("snapshot-bytes", "snapshot bytes vs stream bytes", Figure{Ledger: snap, Raw: stream, Ratio: stream / snap, Unit: "B",
		Note: "every Views snapshot kept (after thinning) against the LEDGER stream"})
	r.progressf("sizes   snapshots %.1f MiB, stream %.1f MiB", snap/(1<<20), stream/(1<<20))
	return nil
}

// ledgerInfo is the LEDGER stream's info.
func (r *runner) ledgerInfo() (*jetstream.StreamInfo, error) {
	st, err := r.js.Stream(r.ctx, eventstore.StreamName)
	if err != nil {
		return nil, err
	}
	return st.Info(r.ctx)
}

// coldStart closes the store and opens it again the way serve does,
// timing until the store is open (raw: the embedded server has recovered
// the stream), until the service answers a backlog view of every product,
// and until its live projections follow every product, so that why is
// answered from them too.
func (r *runner) coldStart() error {
	if err := deleteRawStream(r.ctx, r.js); err != nil {
		return err
	}
	if err := r.store.Close(); err != nil {
		return err
	}
	r.store = nil
	debug.FreeOSMemory()
	t := time.Now()
	if err := r.open(); err != nil {
		return err
	}
	opened := time.Since(t)
	sv, err := startServing(r.ctx, r.store)
	if err != nil {
		return err
	}
	defer sv.stop()
	for _, p := range r.products() {
		// The backlog, the largest view (megabytes at 1M events).
		var v query.Backlog
		if err := sv.client.View(r.ctx, query.ViewBacklog, query.Options{Product: p}, &v); err != nil {
			return err
		}
	}
	answered := time.Since(t)
	if err := sv.waitLive(r.ctx, r.last); err != nil {
		return err
	}
	live := time.Since(t)
	for _, p := range r.products() {
		for !sv.live.LogReady(p) {
			select {
			case <-r.ctx.Done():
				return r.ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	logs := time.Since(t)
	r.progressf("cold    store open %.2f s, backlog answered %.2f s, live views %.2f s, transparency logs %.2f s",
		opened.Seconds(), answered.Seconds(), live.Seconds(), logs.Seconds())
	f := Figure{Ledger: live.Seconds(), Raw: opened.Seconds(), Ratio: opened.Seconds() / live.Seconds(), Unit: "s",
		Target: "< 3 s at 1M", Note: fmt.Sprintf("until the service answers every product's views from live projections (the first backlog answer of every product came after %.2f s); "+
			"the transparency logs, built in the background (why answered from the stream meanwhile), were ready after %.2f s; raw is the embedded server recovering the stream", answered.Seconds(), logs.Seconds())}
	if r.opt.Events >= FullEvents {
		f.Met = metPtr(live.Seconds() < 3)
	}
	r.rep.set("cold-start", "serve cold start, with snapshots", f)
	return nil
}
