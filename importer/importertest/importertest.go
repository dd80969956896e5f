// Package importertest holds what the importers' tests share: the
// per-request figures a fixture's testdata/summary.py works out from the
// raw export on its own (outcomes.json, summary.json), and the same
// figures derived from the importer's planned events, so that each
// format's tests compare the two.
package importertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
)

// Outcome is one request's figures, as testdata/outcomes.json holds them
// (testdata/summary.py --outcomes) and as Outcomes derives them.
type Outcome struct {
	Submitted struct {
		At    string `json:"at"`
		Actor string `json:"actor"`
	} `json:"submitted"`
	Accepted  *Accepted  `json:"accepted"`
	Deferred  *string    `json:"deferred"`
	Rejected  *Decided   `json:"rejected"`
	Removed   *Decided   `json:"removed"`
	Delivered *Delivered `json:"delivered"`
	Slips     []Slip     `json:"slips"`
	Repeats   string     `json:"repeats,omitempty"`
}

// Accepted is when and by whom a request was taken on, into which item.
type Accepted struct {
	At      string  `json:"at"`
	Actor   string  `json:"actor"`
	Item    string  `json:"item"`
	Kind    string  `json:"kind"`
	Epic    *string `json:"epic"`
	Release *string `json:"release"`
}

// Decided is a rejection or a removal: when, and the reason code.
type Decided struct {
	At     string `json:"at"`
	Reason string `json:"reason"`
}

// Delivered is when the item shipped, and in which release.
type Delivered struct {
	At      string  `json:"at"`
	Release *string `json:"release"`
}

// Slip is a move of the item from one release to another.
type Slip struct {
	At   string `json:"at"`
	From string `json:"from"`
	To   string `json:"to"`
}

// WantOutcomes reads the script's per-request figures from
// dir/outcomes.json.
func WantOutcomes(t testing.TB, dir string) map[string]Outcome {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "outcomes.json"))
	require.NoError(t, err)
	var file struct {
		Requests map[string]Outcome `json:"requests"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.NotEmpty(t, file.Requests)
	return file.Requests
}

// Outcomes derives each request's figures from the planned steps'
// events: its submission, acceptance (with the item's kind, epic and
// release), deferral, rejection, the item's removal and delivery, and
// every move of the item from one release to another (a slip). Releases
// are named as the tracker names them: a roadmap item's name is the
// source key of the step that planned it.
func Outcomes(t testing.TB, steps []importer.Step) map[string]Outcome {
	t.Helper()
	names := map[string]string{}
	requests := map[string]*Outcome{}
	byItem := map[string]*Outcome{}
	serving := map[string]string{}
	orNil := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	for _, s := range steps {
		for _, e := range s.Events {
			at := e.OccurredAt.UTC().Format(time.RFC3339Nano)
			id := e.Aggregate.ID
			switch d := e.Data.(type) {
			case domain.RoadmapItemPlanned:
				names[id] = e.Source.Key
			case domain.RequestSubmitted:
				o := &Outcome{Slips: []Slip{}, Repeats: d.Repeats}
				o.Submitted.At, o.Submitted.Actor = at, e.Actor.ID
				requests[id] = o
			case domain.RequestAccepted:
				o := requests[id]
				require.NotNil(t, o, "%s accepted before it was submitted", id)
				o.Accepted = &Accepted{At: at, Actor: e.Actor.ID, Item: d.Item}
				byItem[d.Item] = o
			case domain.BacklogItemAdded:
				o := byItem[id]
				require.NotNil(t, o, "item %s added without a request accepted", id)
				o.Accepted.Kind, o.Accepted.Epic, o.Accepted.Release = string(d.Kind), orNil(d.Epic), orNil(names[d.Roadmap])
				serving[id] = names[d.Roadmap]
			case domain.RequestDeferred:
				requests[id].Deferred = &at
			case domain.RequestRejected:
				requests[id].Rejected = &Decided{At: at, Reason: string(e.Reason)}
			case domain.BacklogItemRemoved:
				byItem[id].Removed = &Decided{At: at, Reason: string(e.Reason)}
			case domain.WorkDelivered:
				byItem[id].Delivered = &Delivered{At: at, Release: orNil(d.Release)}
			case domain.BacklogItemRefined:
				if d.Roadmap == "" {
					continue
				}
				to := names[d.Roadmap]
				if from := serving[id]; from != "" && from != to {
					byItem[id].Slips = append(byItem[id].Slips, Slip{At: at, From: from, To: to})
				}
				serving[id] = to
			case domain.BacklogItemUnplanned:
				serving[id] = ""
			}
		}
	}
	out := make(map[string]Outcome, len(requests))
	for id, o := range requests {
		out[id] = *o
	}
	return out
}

// WantSummary reads the summary the fixture's script worked out from the
// raw export on its own (dir/summary.json): the figures every import of
// that export must give, whatever the edge it goes through.
func WantSummary(t testing.TB, dir string) importer.Summary {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	var s importer.Summary
	require.NoError(t, json.Unmarshal(raw, &s))
	require.Positive(t, s.Events)
	return s
}
