package eventstore

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// BenchmarkRead reads back a product of 100k events, decoding each, from
// an embedded store; run with
//
//	go test ./eventstore -run '^$' -bench BenchmarkRead -benchtime 5x
func BenchmarkRead(b *testing.B) {
	const total = 100_000
	s := openTemp(b)
	ctx := testCtx(b)
	const p = "bench"
	// Another product interleaved, so that the filter has work to do.
	var last, other uint64
	for i := 0; i < total; i += MaxBatch {
		seqs, err := s.Append(ctx, itemsAdded(p, fmt.Sprintf("c%d", i), MaxBatch), last)
		require.NoError(b, err)
		last = seqs[len(seqs)-1]
		seqs, err = s.Append(ctx, []domain.Event{itemAdded("noise", fmt.Sprintf("n%d", i), 0)}, other)
		require.NoError(b, err)
		other = seqs[0]
	}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		_, err := s.Read(ctx, p, 0, func(domain.Event) error {
			n++
			return nil
		})
		require.NoError(b, err)
		require.Equal(b, total, n)
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppend appends one event at a time, each fsynced.
func BenchmarkAppend(b *testing.B) {
	s := openTemp(b)
	ctx := testCtx(b)
	var last uint64
	i := 0
	for b.Loop() {
		seqs, err := s.Append(ctx, []domain.Event{itemAdded("bench", fmt.Sprintf("c%d", i), 0)}, last)
		require.NoError(b, err)
		last = seqs[0]
		i++
	}
}
