package main

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/bugzilla"
)

// benchCopies is how many copies of the Mozilla fixture (bug ids shifted)
// one benchmark import holds: 10 make 3,890 events, four atomic batches.
const benchCopies = 10

func benchSteps(b *testing.B, product string) []importer.Step {
	b.Helper()
	f, err := os.Open(mozilla)
	require.NoError(b, err)
	defer f.Close()
	one, err := bugzilla.Parse(f)
	require.NoError(b, err)
	var bugs []bugzilla.Bug
	for k := range benchCopies {
		for _, bug := range one {
			bug.ID += k * 10_000_000
			bugs = append(bugs, bug)
		}
	}
	raw, err := os.ReadFile(bzMap)
	require.NoError(b, err)
	m, err := importer.ParseMap(raw, bugzilla.Defaults())
	require.NoError(b, err)
	res, err := bugzilla.Map(bugs, m)
	require.NoError(b, err)
	steps, _ := importer.Plan(bugzilla.System, product, m, res.Ops, res.Skipped)
	return steps
}

// BenchmarkImport compares the import's write path (map, plan, read the
// product, check every step against the write state, append atomic
// batches with their acknowledgements read back) with the least a writer
// can do with the same messages: publish them as raw atomic batches.
//
//	go test ./cmd/ledger -run '^$' -bench Import -benchtime 5x
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	s := eventstoretest.Open(b)
	now := time.Now()
	b.Run("ledger", func(b *testing.B) {
		events := 0
		for i := 0; b.Loop(); i++ {
			product := "ledger" + strconv.Itoa(i)
			steps := benchSteps(b, product)
			n, _, err := importInto(ctx, s, product, steps, now, false, nil)
			require.NoError(b, err)
			events += n
		}
		b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	})
	runs := 0
	b.Run("raw-batch", func(b *testing.B) {
		events := 0
		var elapsed time.Duration
		for range b.N {
			runs++ // the function runs again for each b.N: fresh products
			product := "raw" + strconv.Itoa(runs)
			res, err := importer.Apply(domain.NewState(product), benchSteps(b, product), now, eventstore.MaxBatch)
			require.NoError(b, err)
			var batches [][]*nats.Msg
			for _, batch := range res.Batches {
				msgs := make([]*nats.Msg, len(batch))
				for j, e := range batch {
					data, err := domain.Encode(e)
					require.NoError(b, err)
					msgs[j] = nats.NewMsg(e.Subject())
					msgs[j].Data = data
					msgs[j].Header.Set("Nats-Msg-Id", e.ID)
				}
				batches = append(batches, msgs)
			}
			start := time.Now()
			var expect uint64
			for _, msgs := range batches {
				seq, err := eventstoretest.PublishBatch(ctx, s, msgs, domain.ProductSubjects(product), expect)
				require.NoError(b, err)
				expect = seq
				events += len(msgs)
			}
			elapsed += time.Since(start)
		}
		b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "publish-ns/op")
	})
}
