package eventstore

import (
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// chainUp appends a product's creation and one item, two appends in a
// row, which is what lets the store vouch for where the stream ends; it
// returns the product's last sequence.
func chainUp(t *testing.T, s *Store, product string) uint64 {
	t.Helper()
	ctx := testCtx(t)
	seqs, err := s.Append(ctx, []domain.Event{productCreated(product, product+"-c")}, 0)
	require.NoError(t, err)
	seqs, err = s.Append(ctx, []domain.Event{itemAdded(product, product+"-i", 0)}, seqs[0])
	require.NoError(t, err)
	return seqs[0]
}

func TestSend_Pipelined(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	last := chainUp(t, s, "pipe")
	other := chainUp(t, s, "other")

	// Two decisions of one product and one of another, each sent before
	// the one before is answered, the second expecting the sequence
	// predicted for the first.
	a, waitA := s.Send(ctx, []domain.Event{itemAdded("pipe", "pa", 1)}, last, "")
	require.NotNil(t, a, "the store knows where the stream ends")
	o, waitO := s.Send(ctx, []domain.Event{itemAdded("other", "oa", 1)}, other, "")
	require.NotNil(t, o)
	b, waitB := s.Send(ctx, []domain.Event{itemAdded("pipe", "pb", 2)}, a[0], "")
	require.NotNil(t, b)
	assert.Equal(t, []uint64{a[0] + 1}, o)
	assert.Equal(t, []uint64{a[0] + 2}, b)

	// A batch cannot follow an append still on its way (JetStream takes
	// no expected message id in a batch): it is refused at once.
	_, waitC := s.Send(ctx, itemsAdded("pipe", "pc", 2), b[0], "")
	_, err := waitC()
	require.ErrorIs(t, err, domain.ErrConflict)

	for i, w := range []func() ([]uint64, error){waitA, waitO, waitB} {
		got, err := w()
		require.NoError(t, err)
		assert.Equal(t, [][]uint64{a, o, b}[i], got, "stored where predicted")
	}
	// Once nothing is on its way, the batch is chained too.
	c, waitC := s.Send(ctx, itemsAdded("pipe", "pc", 2), b[0], "")
	require.Equal(t, []uint64{b[0] + 1, b[0] + 2}, c)
	got, err := waitC()
	require.NoError(t, err)
	assert.Equal(t, c, got)

	stored := readAll(t, s, "pipe")
	require.Len(t, stored, 2+2+2)
	assert.Equal(t, []uint64{a[0], b[0], c[0], c[1]}, []uint64{stored[2].Seq, stored[3].Seq, stored[4].Seq, stored[5].Seq})
}

func TestSend_NothingStoredOnAPositionThatNeverExisted(t *testing.T) {
	// A decision sent behind one that is not stored must not be stored
	// either: it was decided on a state that never existed. Here the
	// first is a copy of an event already stored (JetStream drops it as a
	// duplicate), so its predicted sequence is never filled, while the
	// stream's last message is the very event whose id it carries: only
	// the expected sequence tells them apart.
	s := openTemp(t)
	ctx := testCtx(t)
	last := chainUp(t, s, "dup")
	again := itemAdded("dup", "dup-i", 0) // stored by chainUp at last

	seqsA, waitA := s.Send(ctx, []domain.Event{again}, last, "")
	require.NotNil(t, seqsA)
	seqsB, waitB := s.Send(ctx, []domain.Event{itemAdded("dup", "dup-b", 1)}, seqsA[0], "")
	require.NotNil(t, seqsB, "chained to the first")

	gotA, err := waitA()
	require.NoError(t, err, "a retried write is answered with its original sequence")
	assert.Equal(t, []uint64{last}, gotA)
	_, err = waitB()
	require.ErrorIs(t, err, domain.ErrConflict, "decide again on what the stream holds")
	assert.Contains(t, err.Error(), "decide again")
	assert.Len(t, readAll(t, s, "dup"), 2, "nothing stored behind the duplicate")

	// The next append, on what the stream really holds, is stored.
	_, err = s.Append(ctx, []domain.Event{itemAdded("dup", "dup-c", 2)}, last)
	require.NoError(t, err)
}

func TestAppend_ChainBrokenByAnotherWriter(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	mine := chainUp(t, s, "mine")
	theirs := chainUp(t, s, "theirs")

	// Another writer (a publish around this store's appends, as another
	// process would make) changes "theirs": the stream no longer ends
	// where this store left it.
	e := itemAdded("theirs", "t1", 1)
	data, err := domain.Encode(e)
	require.NoError(t, err)
	m := nats.NewMsg(e.Subject())
	m.Data = data
	m.Header.Set("Nats-Msg-Id", e.ID)
	m.Header.Set(hdrExpectedLastSubjSeq, strconv.FormatUint(theirs, 10))
	m.Header.Set(hdrExpectedLastSubjSeqSubj, domain.ProductSubjects("theirs"))
	_, err = s.js.PublishMsg(ctx, m)
	require.NoError(t, err)

	// "mine" did not change: its next append is stored.
	seqs, err := s.Append(ctx, []domain.Event{itemAdded("mine", "m1", 1)}, mine)
	require.NoError(t, err, "the product did not change")
	got := readAll(t, s, "mine")
	require.Len(t, got, 3)
	assert.Equal(t, got[2].Seq, seqs[0])
	// "theirs" did: the append that expected it unchanged conflicts.
	_, err = s.Append(ctx, []domain.Event{itemAdded("theirs", "t2", 2)}, theirs)
	require.ErrorIs(t, err, domain.ErrConflict)
	assert.Len(t, readAll(t, s, "theirs"), 3)
}

func TestSend_NeverChainedOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	// JetStream checks a product's expectation before it replicates a
	// write, against the writes in flight that expect the same product:
	// one expecting the stream's last message is not among them.
	s, err := Open(testCtx(t), Options{URL: startCluster(t), Replicas: 3})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	chainUp(t, s, "clu")
	last := chainUp(t, s, "clu2")
	seqs, wait := s.Send(testCtx(t), []domain.Event{itemAdded("clu2", "x", 1)}, last, "")
	assert.Nil(t, seqs, "the sequences are not predicted")
	_, err = wait()
	require.NoError(t, err)
}

func TestSend_ChainedOnAStandaloneServer(t *testing.T) {
	// serve --nats URL on a single server: the same as embedded.
	s, err := Open(testCtx(t), Options{URL: startPlainServer(t)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	last := chainUp(t, s, "solo")
	seqs, wait := s.Send(testCtx(t), []domain.Event{itemAdded("solo", "x", 1)}, last, "")
	require.Equal(t, []uint64{last + 1}, seqs, "predicted")
	got, err := wait()
	require.NoError(t, err)
	assert.Equal(t, seqs, got)
}

func TestSend_NothingStoredBehindAnotherWritersEvent(t *testing.T) {
	// Another writer's event takes the place predicted for this store's
	// next append, which JetStream therefore refuses. An append of
	// another product sent behind it is stored only if it expects that
	// very append (its id), not merely the sequence: else the third,
	// chained to the second and decided on the first, would be stored on
	// a state that never existed.
	s := openTemp(t)
	ctx := testCtx(t)
	around := func(e domain.Event, expect uint64) uint64 {
		t.Helper()
		data, err := domain.Encode(e)
		require.NoError(t, err)
		m := nats.NewMsg(e.Subject())
		m.Data = data
		m.Header.Set("Nats-Msg-Id", e.ID)
		m.Header.Set(hdrExpectedLastSubjSeq, strconv.FormatUint(expect, 10))
		m.Header.Set(hdrExpectedLastSubjSeqSubj, domain.ProductSubjects(e.Product))
		ack, err := s.js.PublishMsg(ctx, m)
		require.NoError(t, err)
		return ack.Sequence
	}
	// "other" is written around this store: the chain never vouched for it.
	other := around(productCreated("other", "o0"), 0)
	last := chainUp(t, s, "mine")
	around(itemAdded("theirs", "x", 0), 0) // takes the place predicted next

	a, waitA := s.Send(ctx, []domain.Event{itemAdded("mine", "a", 1)}, last, "")
	require.NotNil(t, a)
	b, waitB := s.Send(ctx, []domain.Event{itemAdded("other", "b", 1)}, other, "")
	require.NotNil(t, b)
	c, waitC := s.Send(ctx, []domain.Event{itemAdded("mine", "c", 2)}, a[0], "")
	require.NotNil(t, c)
	for _, w := range []func() ([]uint64, error){waitA, waitB, waitC} {
		_, err := w()
		require.ErrorIs(t, err, domain.ErrConflict)
	}
	assert.Len(t, readAll(t, s, "mine"), 2, "nothing stored on a position that never existed")
	assert.Len(t, readAll(t, s, "other"), 1)
	// What the stream holds is decided on again: stored.
	_, err := s.Append(ctx, []domain.Event{itemAdded("other", "b", 1)}, other)
	require.NoError(t, err)
}
