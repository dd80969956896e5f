package main

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// After SIGTERM (or Ctrl-C), serve lets the work in flight finish for
// stopGrace: the HTTP requests and event streams, the NATS service's
// requests, the last checkpoint, the live projections. Then it stores
// what it must and closes the store, and by stopLimit it exits whatever is
// still running: a request waiting on a store that no longer answers, a
// client that never reads, or anything else that would hold the process
// (the service alone waits 30 s for a request in flight, the store's
// drain 10 s). What it abandons it names on stderr. An abandoned write is
// a write whose answer never came, as after a crash: its client reports
// it as of unknown outcome, and a retry with its command id records it
// once; every acknowledged write is already on disk.
const (
	stopGrace = 6 * time.Second
	stopLimit = 8500 * time.Millisecond
)

// stopStep is one part of serve to stop, named for the report of what
// was abandoned.
type stopStep struct {
	name string
	stop func()
}

// stopTogether runs the steps side by side and waits for them until
// deadline (the zero time: for as long as they take). It returns the
// names of the steps still running then; they are left to end with the
// process.
func stopTogether(steps []stopStep, deadline time.Time) []string {
	var mu sync.Mutex
	running := map[string]bool{}
	var wg sync.WaitGroup
	for _, s := range steps {
		mu.Lock()
		running[s.name] = true
		mu.Unlock()
		wg.Go(func() {
			s.stop()
			mu.Lock()
			delete(running, s.name)
			mu.Unlock()
		})
	}
	if !waitUntil(wg.Wait, deadline) {
		mu.Lock()
		defer mu.Unlock()
		var left []string
		for _, s := range steps {
			if running[s.name] {
				left = append(left, s.name)
			}
		}
		return left
	}
	return nil
}

// stopInTurn runs the steps one after the other until deadline (the zero
// time: for as long as they take) and returns the names of those it
// abandoned: the one running at the deadline and those not started.
func stopInTurn(steps []stopStep, deadline time.Time) []string {
	for i, s := range steps {
		if !waitUntil(s.stop, deadline) {
			var left []string
			for _, r := range steps[i:] {
				left = append(left, r.name)
			}
			return left
		}
	}
	return nil
}

// waitUntil runs fn and reports whether it returned by deadline (always,
// for the zero time). A late fn goes on running.
func waitUntil(fn func(), deadline time.Time) bool {
	if deadline.IsZero() {
		fn()
		return true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// stopping records that serve was asked to stop now: from then on its
// shutdown, closing the store included, is bounded (see stopGrace).
func (a *app) stopping() {
	if a.stopAt.IsZero() {
		a.stopAt = time.Now()
	}
}

// deadline is the time by which the part of the shutdown that may take
// after (from the signal) must be done; zero when serve is not stopping.
func (a *app) deadline(after time.Duration) time.Time {
	if a.stopAt.IsZero() {
		return time.Time{}
	}
	return a.stopAt.Add(after)
}

// abandon names work the shutdown did not wait for.
func (a *app) abandon(what []string, after time.Duration) {
	if len(what) == 0 {
		return
	}
	fmt.Fprintf(a.stderr, "ledger: abandoned, not done %s after the signal to stop: %s\n", after, strings.Join(what, "; "))
}
