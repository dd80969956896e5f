package faults

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// soak reports whether the long runs were asked for (LEDGER_SOAK=1).
func soak() bool { return os.Getenv("LEDGER_SOAK") != "" }

// envInt reads a positive number from the environment, or def.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s=%q", name, v)
	require.Positive(t, n, "%s", name)
	return n
}

// TestConcurrentWriters runs 16 writer processes of the CLI at once on
// one data directory, with serve (every write goes through its service)
// and without (every process opens the directory itself and queues for
// its lock). Each writer adds its own items and ranks each to the top.
// No write may fail with exit 1: it either succeeds or is refused (exit 3
// or 4) with a one-line message, and every acknowledged write is stored
// exactly once. LEDGER_SOAK=1 runs 48 writers of 5 rounds each;
// LEDGER_WRITERS and LEDGER_ROUNDS set other numbers.
func TestConcurrentWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many ledger processes")
	}
	writers, rounds := 16, 2
	if soak() {
		writers, rounds = 48, 5
	}
	writers = envInt(t, "LEDGER_WRITERS", writers)
	rounds = envInt(t, "LEDGER_ROUNDS", rounds)
	for _, mode := range []string{"WithServe", "WithoutServe"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			if mode == "WithServe" {
				startServe(t, dir, "--checkpoint-every", "0", "--checkpoint-interval", "0")
			}
			r := runLedger(t, "--data", dir, "product", "create", "conc", "--name", "Concurrency", "--pm", "pam", "--po", "olga", "--as", "pam")
			require.Equal(t, 0, r.code, "%s", r)

			var mu sync.Mutex
			acked := map[string]bool{}
			codes := map[int]int{}
			var failures []string
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range rounds {
						item := fmt.Sprintf("W%d-%d", w, j)
						for _, c := range []struct{ id, action string }{
							{"add-" + item, "add"},
							{"rank-" + item, "rank"},
						} {
							args := []string{"--data", dir, "-p", "conc", "--as", "olga", "item", c.action, item, "--command-id", c.id}
							if c.action == "add" {
								args = append(args, "--title", "Item "+item)
							} else {
								args = append(args, "--top", "--why", "writer "+strconv.Itoa(w)+" wants it first")
							}
							r := runLedger(t, args...)
							mu.Lock()
							codes[r.code]++
							switch r.code {
							case 0:
								acked[c.id] = true
							case 3, 4:
								if !clearRefusal(r.stderr) {
									failures = append(failures, "unclear refusal: "+r.String())
								}
							default:
								failures = append(failures, r.String())
							}
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			t.Logf("%s: %d writers x %d rounds x 2 writes: exit codes %v", mode, writers, rounds, codes)
			assert.Empty(t, failures, "writes that neither succeeded nor were refused clearly")

			entries := readLog(t, dir, "conc")
			checkExactlyOnce(t, entries, acked)
			// The product's first item is the one ranked to the top last.
			var lastTop string
			for _, e := range entries {
				if e.Type == "BacklogItemRanked" {
					lastTop = e.Aggregate.ID
				}
			}
			if lastTop != "" {
				r := runLedger(t, "--data", dir, "-p", "conc", "show", "backlog", "--json")
				require.Equal(t, 0, r.code, "%s", r)
				var b struct {
					Items []struct{ ID string } `json:"items"`
				}
				require.NoError(t, jsonUnmarshal(r.stdout, &b))
				require.NotEmpty(t, b.Items)
				assert.Equal(t, lastTop, b.Items[0].ID, "no rank decision was lost")
			}
		})
	}
}

// clearRefusal reports whether stderr is the CLI's one line saying what
// was wrong ("ledger: ..."), with no Go error chain noise in it.
func clearRefusal(stderr string) bool {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	return strings.HasPrefix(last, "ledger: ") && !strings.Contains(last, "context deadline exceeded")
}
