package projections_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// logDigests are the SHA-256 of the transparency log's snapshot and of
// every chain's JSON (kind by kind, id by id) after bench.NewGenerator(seed,
// 1, n) histories, as the log gave them when it kept every Decision value
// as built (commit 7cb0230, before logbook.go): the encoded chains must
// read back to the same bytes. (The snapshot's digest changed with
// roadmap/2, whose state it carries, which remembers the order periods
// appeared in; the chains' did not.) The histories rank over long backlogs with
// scores, so they hold thousands of score overrides.
var logDigests = map[string][2]string{
	"Seed1x20000": {"35997007da15fc301e3e51371d499b7d6a200f7ef0cd8985e00e40a8a8c50b06", "e10ad6516350e5d23f8f5e9d76e6c46799ebd8e584ef8696395583102fc4881b"}, // 119196 overrides
	"Seed2x5000":  {"0b3eb36c29ab988194edbf845564cbea67cb790212bdbb4f43e95323059984d4", "9d822bec1dd01809fa5001cd67cb09449baac8d84e64ca2ab4dc3fe4ae15d086"}, // 17044 overrides
	"Seed3x50000": {"8a13e1b644d49c0bfe2e50d418c3bdab74a79e87c82b5374be5af23c5c4b39ff", "9868b1b0df013bfc20959ee17c658b7332c9f72a03a4027ff080e6fbbda88c4a"}, // 327022 overrides
}

func TestLogMatchesDecisionValues(t *testing.T) {
	for _, c := range []struct {
		seed uint64
		n    int
	}{{1, 20000}, {2, 5000}, {3, 50000}} {
		name := fmt.Sprintf("Seed%dx%d", c.seed, c.n)
		t.Run(name, func(t *testing.T) {
			g := bench.NewGenerator(c.seed, 1, c.n)
			s := projections.NewSet()
			for done := 0; done < c.n; {
				evs := g.NextRun(min(bench.RunLength, c.n-done))
				for i := range evs {
					evs[i].Seq = uint64(done + i + 1)
					s.Apply(evs[i])
				}
				done += len(evs)
			}
			q, _ := s.Quarantined()
			require.Zero(t, q)
			snap, err := s.Log.MarshalSnapshot()
			require.NoError(t, err)
			chains := sha256.New()
			overrides := 0
			for _, kind := range []domain.AggregateKind{domain.KindItem, domain.KindRequest, domain.KindRoadmap, domain.KindProduct} {
				for _, id := range s.Log.IDs(kind) {
					ds, ok := s.Log.ChainOf(kind, id)
					require.True(t, ok)
					for _, d := range ds {
						overrides += len(d.OverridesScore)
					}
					b, err := json.Marshal(ds)
					require.NoError(t, err)
					chains.Write(b)
				}
			}
			sum := sha256.Sum256(snap)
			got := [2]string{hex.EncodeToString(sum[:]), hex.EncodeToString(chains.Sum(nil))}
			if os.Getenv("LOG_DIGESTS") != "" {
				fmt.Printf("%q: {%q, %q}, // %d overrides\n", name, got[0], got[1], overrides)
			}
			assert.Greater(t, overrides, 1000)
			assert.Equal(t, logDigests[name], got)

			// A restored log reads the same and writes the same snapshot.
			back := projections.NewLog()
			require.NoError(t, back.UnmarshalSnapshot(snap))
			again, err := back.MarshalSnapshot()
			require.NoError(t, err)
			require.Equal(t, string(snap), string(again))
		})
	}
}
