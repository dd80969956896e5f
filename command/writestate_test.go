package command_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/snapshot"
)

func openStore(t testing.TB, dir string) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// countingStore is the real store, counting the events Read delivers.
type countingStore struct {
	*eventstore.Store
	mu   sync.Mutex
	read int
}

func (c *countingStore) Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error) {
	return c.Store.Read(ctx, product, after, func(e domain.Event) error {
		c.mu.Lock()
		c.read++
		c.mu.Unlock()
		return fn(e)
	})
}

func (c *countingStore) reads() int { c.mu.Lock(); defer c.mu.Unlock(); return c.read }

// warnings collects a handler's warnings.
type warnings struct {
	mu   sync.Mutex
	errs []error
}

func (w *warnings) add(err error) { w.mu.Lock(); defer w.mu.Unlock(); w.errs = append(w.errs, err) }
func (w *warnings) list() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]error(nil), w.errs...)
}

func readEvents(t testing.TB, s *eventstore.Store, product string) []domain.Event {
	t.Helper()
	var evs []domain.Event
	_, err := s.Read(context.Background(), product, 0, func(e domain.Event) error {
		evs = append(evs, e)
		return nil
	})
	require.NoError(t, err)
	return evs
}

// fold is the write state folded from the first event, remembering limit
// command ids.
func fold(product string, evs []domain.Event, limit int) *domain.State {
	s := domain.NewState(product)
	s.SetCommandLimit(limit)
	for _, e := range evs {
		s.Apply(e)
	}
	return s
}

func assertSameState(t testing.TB, want, got *domain.State) {
	t.Helper()
	wb, err := want.MarshalSnapshot()
	require.NoError(t, err)
	gb, err := got.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(wb), string(gb), "restored and caught up equals folded from scratch")
	assert.Equal(t, want.Items, got.Items)
	assert.Equal(t, want.Requests, got.Requests)
	assert.Equal(t, want.Roadmap, got.Roadmap)
	assert.Equal(t, want.Product, got.Product)
}

// appendFrom appends evs to product after sequence expect in atomic
// batches of at most eventstore.MaxBatch, setting their sequences.
func appendFrom(t testing.TB, s *eventstore.Store, evs []domain.Event, expect uint64) uint64 {
	t.Helper()
	for i := 0; i < len(evs); {
		n := min(eventstore.MaxBatch, len(evs)-i)
		seqs, err := s.Append(context.Background(), evs[i:i+n], expect)
		require.NoError(t, err)
		for j, seq := range seqs {
			evs[i+j].Seq = seq
		}
		expect = seqs[len(seqs)-1]
		i += n
	}
	return expect
}

// withAttestedSnapshot writes evs into a new store as a Handler with
// write-state snapshots would leave them with a snapshot at k: the state
// folded from evs[:k] stored as the newest write-state snapshot, and the
// decision that follows it (the events of one command id) appended
// attesting it. With k = len(evs) nothing attests the snapshot.
func withAttestedSnapshot(t testing.TB, product string, evs []domain.Event, k, limit int) *eventstore.Store {
	t.Helper()
	s := openStore(t, t.TempDir())
	own := make([]domain.Event, len(evs))
	for i, e := range evs {
		e.Seq, e.Stored = 0, nil
		own[i] = e
	}
	last := appendFrom(t, s, own[:k], 0)
	st := fold(product, own[:k], limit)
	data, err := st.MarshalSnapshot()
	require.NoError(t, err)
	if k < len(own) {
		j := k + 1
		for j < len(own) && own[j].CommandID == own[k].CommandID {
			j++
		}
		seqs, err := s.AppendAttested(context.Background(), own[k:j], last, command.Attestation(last, data))
		require.NoError(t, err)
		for i, seq := range seqs {
			own[k+i].Seq = seq
		}
		appendFrom(t, s, own[j:], seqs[len(seqs)-1])
	}
	info := snapshot.Info{Product: product, Version: domain.StateVersion, Seq: st.LastSeq, LastAt: st.LastAt, Events: uint64(k)}
	require.NoError(t, s.WriteStates().Put(context.Background(), info, data))
	return s
}

// checkRestores writes evs with an attested write-state snapshot at each
// cut and requires a new Handler to restore it, read only the events
// after it and end in the state folded from scratch. A snapshot at the
// end of the stream is attested by nothing: it is replayed from the first
// event, without a warning.
func checkRestores(t *testing.T, product string, evs []domain.Event, cuts []int, limit int) {
	t.Helper()
	ctx := context.Background()
	for _, k := range cuts {
		// A handler snapshots between decisions, never inside the atomic
		// batch of one (the validating fold checks a decision whole).
		for k > 0 && k < len(evs) && evs[k].CommandID == evs[k-1].CommandID {
			k--
		}
		t.Run(fmt.Sprintf("snapshot=%d", k), func(t *testing.T) {
			s := withAttestedSnapshot(t, product, evs, k, limit)
			want := fold(product, readEvents(t, s, product), limit)
			cs := &countingStore{Store: s}
			var w warnings
			h := command.New(cs, nil, command.WithSnapshots(s.WriteStates(), len(evs)+1), command.WithCommandLimit(limit), command.WithWarnings(w.add))
			got, err := h.State(ctx, product)
			require.NoError(t, err)
			h.Wait()
			require.Empty(t, w.list())
			if k == len(evs) {
				assert.Equal(t, len(evs), cs.reads(), "a snapshot nothing attests is replayed from the first event")
			} else {
				assert.Equal(t, len(evs)-k, cs.reads(), "only the events after the snapshot are read")
			}
			assertSameState(t, want, got)
		})
	}
}

func TestRestoredStateEqualsReplayOnDemo(t *testing.T) {
	s := openStore(t, t.TempDir())
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	_, err := demo.Seed(context.Background(), command.New(s, func() time.Time { return now }), demo.Product)
	require.NoError(t, err)
	evs := readEvents(t, s, demo.Product)
	n := len(evs)
	checkRestores(t, demo.Product, evs, []int{1, 2, n / 3, n / 2, n - 1, n}, 0)
}

func TestRestoredStateEqualsReplayOnLongHistory(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 3_000
	}
	h := newHistory(7, "long")
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = h.Next()
	}
	// A bound below the number of commands, so that the snapshot holds
	// an evicting ring and catching up evicts further.
	checkRestores(t, "long", evs, []int{n / 4, n / 2, n - 1}, n/10)
}

// setUpProduct records a product with items A to D through h.
func setUpProduct(t *testing.T, h *command.Handler, product string) {
	t.Helper()
	for i, a := range []domain.Action{
		domain.CreateProduct{Name: "P", PM: "pam", PO: "olga"},
		domain.AddItem{ID: "A", Title: "a"}, domain.AddItem{ID: "B", Title: "b"},
		domain.AddItem{ID: "C", Title: "c"}, domain.AddItem{ID: "D", Title: "d"},
	} {
		actor := "olga"
		if i == 0 {
			actor = "pam"
		}
		_, err := h.Execute(context.Background(), domain.Command{ID: fmt.Sprintf("setup-%d", i), Product: product, Actor: actor, Action: a})
		require.NoError(t, err)
	}
}

func rank(id, item string, place domain.Placement) domain.Command {
	return domain.Command{ID: id, Product: "p", Actor: "olga", Why: "w", Action: domain.RankItem{ID: item, Position: domain.Position{Place: place}}}
}

func TestHandlerStoresWriteStateSnapshots(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	ws := s.WriteStates()
	var w warnings
	const every = 10
	h := command.New(s, nil, command.WithSnapshots(ws, every), command.WithWarnings(w.add))
	setUpProduct(t, h, "p")
	first, err := h.Execute(ctx, rank("first", "A", domain.PlaceTop))
	require.NoError(t, err)
	for i := range 3 * every {
		_, err := h.Execute(ctx, rank(fmt.Sprint("r", i), "B", []domain.Placement{domain.PlaceTop, domain.PlaceBottom}[i%2]))
		require.NoError(t, err)
	}
	h.Wait()
	require.Empty(t, w.list())
	list, err := s.Snapshots().List(ctx, "p", eventstore.WriteStateKind)
	require.NoError(t, err)
	require.NotEmpty(t, list)
	assert.LessOrEqual(t, len(list), 2, "older write-state snapshots are deleted")
	last, err := s.LastSeq(ctx, "p")
	require.NoError(t, err)
	newest := list[len(list)-1]
	assert.Equal(t, domain.StateVersion, newest.Version)
	assert.Greater(t, newest.Seq, last-2*every, "a snapshot at most every events (and one being stored) behind")

	// A fresh process restores it, reads only what follows, and still
	// recognises a retry of a command older than the snapshot.
	cs := &countingStore{Store: s}
	fresh := command.New(cs, nil, command.WithSnapshots(ws, every), command.WithWarnings(w.add))
	again, err := fresh.Execute(ctx, rank("first", "A", domain.PlaceTop))
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.FirstSeq, again.FirstSeq)
	assert.Equal(t, int(last-newest.Seq), cs.reads())
	fresh.Wait()
	require.Empty(t, w.list())
}

func TestRetryBeyondTheCommandLimitIsDecidedAgain(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	opts := []command.Option{command.WithSnapshots(s.WriteStates(), 1), command.WithCommandLimit(3)}
	h := command.New(s, nil, opts...)
	setUpProduct(t, h, "p")
	old, err := h.Execute(ctx, rank("old", "A", domain.PlaceTop))
	require.NoError(t, err)
	recent := make([]command.Result, 3)
	for i := range recent {
		recent[i], err = h.Execute(ctx, rank(fmt.Sprint("recent-", i), "B", domain.PlaceTop))
		require.NoError(t, err)
	}
	h.Wait()
	for _, fresh := range []bool{false, true} {
		hh := h
		if fresh {
			hh = command.New(s, nil, opts...) // restored from a snapshot
		}
		for i, want := range recent {
			res, err := hh.Execute(ctx, rank(fmt.Sprint("recent-", i), "B", domain.PlaceTop))
			require.NoError(t, err)
			assert.True(t, res.Duplicate, "recent-%d is among the last 3 commands", i)
			assert.Equal(t, want.FirstSeq, res.FirstSeq)
		}
		hh.Wait()
	}
	// "old" is the 4th command back: forgotten, so its retry is decided
	// again and recorded a second time.
	res, err := h.Execute(ctx, rank("old", "A", domain.PlaceTop))
	require.NoError(t, err)
	assert.False(t, res.Duplicate)
	assert.Greater(t, res.FirstSeq, old.FirstSeq)
	h.Wait()
}

func TestUnusableWriteStateSnapshotIsReplayed(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	setUpProduct(t, command.New(s, nil), "p")
	evs := readEvents(t, s, "p")
	good := fold("p", evs[:3], 0)
	data, err := good.MarshalSnapshot()
	require.NoError(t, err)
	ahead := fold("p", evs, 0)
	ahead.LastSeq += 1000 // a snapshot of a longer stream than this one
	aheadData, err := ahead.MarshalSnapshot()
	require.NoError(t, err)
	info := snapshot.Info{Product: "p", Version: domain.StateVersion, Seq: good.LastSeq, LastAt: good.LastAt}
	for _, c := range []struct {
		name string
		info snapshot.Info
		data []byte
		msg  string
	}{
		{"ErrGarbage", info, []byte("{not json"), "does not decode"},
		{"ErrVersion", info, bytes.Replace(data, []byte(`"version":"`+domain.StateVersion+`"`), []byte(`"version":"writestate/0"`), 1), `version "writestate/0"`},
		{"ErrDigest", info, bytes.Replace(data, []byte(`"title":"a"`), []byte(`"title":"x"`), 1), "digest"},
		{"ErrListedVersion", func() snapshot.Info { i := info; i.Version = "writestate/9"; return i }(), data, `listed as version "writestate/9"`},
		{"ErrListedSeq", func() snapshot.Info { i := info; i.Seq++; return i }(), data, "at sequence"},
		// Nothing after it in the stream attests it: replayed, and no
		// warning, since a snapshot nobody attested yet is no fault.
		{"AheadOfStream", snapshot.Info{Product: "p", Version: domain.StateVersion, Seq: ahead.LastSeq, LastAt: ahead.LastAt}, aheadData, ""},
		{"NotAttested", info, data, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws := s.WriteStates()
			require.NoError(t, ws.Put(ctx, c.info, c.data))
			var w warnings
			h := command.New(s, nil, command.WithSnapshots(ws, 1000), command.WithWarnings(w.add))
			res, err := h.Execute(ctx, rank("after-"+c.name, "C", domain.PlaceTop))
			require.NoError(t, err)
			require.Len(t, res.Events, 1)
			h.Wait()
			if c.msg == "" {
				assert.Empty(t, w.list())
			} else {
				require.NotEmpty(t, w.list())
				assert.Contains(t, w.list()[0].Error(), c.msg)
				assert.Contains(t, w.list()[0].Error(), `replaying`)
			}
			got, err := h.State(ctx, "p")
			require.NoError(t, err)
			assertSameState(t, fold("p", readEvents(t, s, "p"), 0), got)
		})
	}
}

// TestForgedWriteStateSnapshotGrantsNoRole: without an audit key, anyone
// who can write the snapshot bucket can write a write-state snapshot in
// which mallory holds the po role, its digest recomputed. A one-shot
// write restored it and recorded mallory's rank "by mallory (po)", an
// event every view then quarantined. The stream attests no such state:
// the write is decided on the state folded from the stream, and refused.
func TestForgedWriteStateSnapshotGrantsNoRole(t *testing.T) {
	ctx := context.Background()
	forge := func(t *testing.T, s *eventstore.Store, seq func(st *domain.State) uint64) {
		t.Helper()
		st, err := command.New(s, nil).State(ctx, "p")
		require.NoError(t, err)
		st.Product.Roles["mallory"] = map[domain.Role]bool{domain.RolePO: true}
		st.LastSeq = seq(st)
		data, err := st.MarshalSnapshot()
		require.NoError(t, err)
		require.NoError(t, s.WriteStates().Put(ctx, snapshot.Info{Product: "p", Version: domain.StateVersion, Seq: st.LastSeq, LastAt: st.LastAt}, data))
	}
	for _, tc := range []struct {
		name string
		// seq places the forged snapshot, given the true state.
		seq  func(*domain.State) uint64
		warn string
	}{
		{"AtTheEnd", func(st *domain.State) uint64 { return st.LastSeq }, ""},
		{"InPlaceOfAnAttestedOne", func(st *domain.State) uint64 { return st.LastSeq - 1 }, "attests another state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			// Every decision stores an attested snapshot of the state it
			// was taken on.
			h := command.New(s, nil, command.WithSnapshots(s.WriteStates(), 1))
			setUpProduct(t, h, "p")
			h.Wait() // one snapshot is stored at a time
			_, err := h.Execute(ctx, rank("olga-1", "A", domain.PlaceTop))
			require.NoError(t, err)
			h.Wait()
			forge(t, s, tc.seq)
			before := readEvents(t, s, "p")

			var w warnings
			fresh := command.New(s, nil, command.WithSnapshots(s.WriteStates(), 1000), command.WithWarnings(w.add))
			c := rank("mallory-1", "D", domain.PlaceTop)
			c.Actor = "mallory"
			_, err = fresh.Execute(ctx, c)
			require.Error(t, err, "mallory holds no role in the stream")
			assert.Equal(t, domain.KindUnauthorized, domain.KindOf(err), err.Error())
			fresh.Wait()
			assert.Len(t, readEvents(t, s, "p"), len(before), "nothing recorded")
			got, err := fresh.State(ctx, "p")
			require.NoError(t, err)
			assertSameState(t, fold("p", before, 0), got)
			if tc.warn == "" {
				assert.Empty(t, w.list())
			} else {
				require.NotEmpty(t, w.list())
				assert.Contains(t, w.list()[0].Error(), tc.warn)
			}
		})
	}
}

// TestCatchUpAll: serve catches up every product's write state when it
// starts, so that the first decision does not read the history; that
// decision stores the snapshot that was due, attested, so that the next
// start does not either.
func TestCatchUpAll(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	_, err := demo.Seed(ctx, command.New(s, nil), demo.Product)
	require.NoError(t, err)
	cs := &countingStore{Store: s}
	var w warnings
	h := command.New(cs, nil, command.WithSnapshots(s.WriteStates(), 50), command.WithWarnings(w.add))
	require.NoError(t, h.CatchUpAll(ctx, s))
	h.Wait()
	all := len(readEvents(t, s, demo.Product))
	assert.Equal(t, all, cs.reads(), "the whole history, once")
	_, _, ok, err := s.WriteStates().Latest(ctx, demo.Product)
	require.NoError(t, err)
	require.False(t, ok, "no snapshot without a decision to attest it")

	_, err = h.Do(ctx, command.Request{Action: "item.rank", Product: demo.Product, Actor: "nina", Args: []byte(`{"id":"OPS-5","top":true,"why":"After the catch-up"}`)})
	require.NoError(t, err)
	assert.Equal(t, all, cs.reads(), "the first decision reads nothing more")
	h.Wait()
	info, _, ok, err := s.WriteStates().Latest(ctx, demo.Product)
	require.NoError(t, err)
	require.True(t, ok, "the snapshot that was due is stored, of the state the decision was taken on")
	assert.Equal(t, uint64(all), info.Events)
	next := &countingStore{Store: s}
	fresh := command.New(next, nil, command.WithSnapshots(s.WriteStates(), 50))
	require.NoError(t, fresh.CatchUpAll(ctx, s))
	assert.Equal(t, 1, next.reads(), "the next start restores the snapshot and reads the decision after it")
	assert.Empty(t, w.list())
}
