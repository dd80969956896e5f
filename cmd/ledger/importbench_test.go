package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/trackers"
)

// benchCopies is how many copies of the Mozilla fixture (bug ids shifted)
// one benchmark import holds: 10 make 3,890 events, four atomic batches.
const benchCopies = 10

// benchExport is the Mozilla fixture benchCopies times, each copy's bug
// ids shifted, as one export file.
func benchExport(b *testing.B) []byte {
	b.Helper()
	raw, err := os.ReadFile(mozilla)
	require.NoError(b, err)
	var out bytes.Buffer
	for k := range benchCopies {
		for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			var bug map[string]any
			require.NoError(b, dec.Decode(&bug))
			id, err := bug["id"].(json.Number).Int64()
			require.NoError(b, err)
			bug["id"] = id + int64(k)*10_000_000
			shifted, err := json.Marshal(bug)
			require.NoError(b, err)
			out.Write(shifted)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

// BenchmarkImport compares the import's write path, Handler.Import (read
// the export, map, plan, read the product, check every step against a
// copy of its write state, append atomic batches with their
// acknowledgements read back) with the least a writer can do with the
// same messages: publish them as raw atomic batches.
//
//	go test ./cmd/ledger -run '^$' -bench Import -benchtime 5x
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	s := eventstoretest.Open(b)
	now := time.Now()
	export := benchExport(b)
	mapFile, err := os.ReadFile(bzMap)
	require.NoError(b, err)
	b.Run("ledger", func(b *testing.B) {
		h := command.New(s, func() time.Time { return now })
		events := 0
		for i := 0; b.Loop(); i++ {
			sum, err := h.Import(ctx, command.ImportRequest{Format: "bugzilla", Product: "ledger" + strconv.Itoa(i),
				Map: mapFile, Files: [][]byte{export}})
			require.NoError(b, err)
			events += sum.Written
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
			steps, _, err := trackers.Plan("bugzilla", product, mapFile, [][]byte{export})
			require.NoError(b, err)
			res, err := importer.Apply(domain.NewState(product), steps, now, eventstore.MaxBatch)
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
