package jira_test

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

// The per-request figures of testdata/outcomes.json, as
// testdata/summary.py --outcomes works them out from the raw export, and
// as outcomesOf derives them from the importer's planned events. (The
// same derivation is in the bugzilla and github tests: each format's tests
// stand alone.)
type outcome struct {
	Submitted struct {
		At    string `json:"at"`
		Actor string `json:"actor"`
	} `json:"submitted"`
	Accepted  *accepted  `json:"accepted"`
	Deferred  *string    `json:"deferred"`
	Rejected  *decided   `json:"rejected"`
	Removed   *decided   `json:"removed"`
	Delivered *delivered `json:"delivered"`
	Slips     []slip     `json:"slips"`
	Repeats   string     `json:"repeats,omitempty"`
}

type accepted struct {
	At      string  `json:"at"`
	Actor   string  `json:"actor"`
	Item    string  `json:"item"`
	Kind    string  `json:"kind"`
	Epic    *string `json:"epic"`
	Release *string `json:"release"`
}

type decided struct {
	At     string `json:"at"`
	Reason string `json:"reason"`
}

type delivered struct {
	At      string  `json:"at"`
	Release *string `json:"release"`
}

type slip struct {
	At   string `json:"at"`
	From string `json:"from"`
	To   string `json:"to"`
}

// wantOutcomes reads the script's per-request figures.
func wantOutcomes(t *testing.T) map[string]outcome {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "outcomes.json"))
	require.NoError(t, err)
	var file struct {
		Requests map[string]outcome `json:"requests"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.NotEmpty(t, file.Requests)
	return file.Requests
}

// outcomesOf derives each request's figures from the planned steps'
// events: its submission, acceptance (with the item's kind, epic and
// release), deferral, rejection, the item's removal and delivery, and
// every move of the item from one release to another (a slip). Releases
// are named as the tracker names them: a roadmap item's name is the
// source key of the step that planned it.
func outcomesOf(t *testing.T, steps []importer.Step) map[string]outcome {
	t.Helper()
	names := map[string]string{}
	requests := map[string]*outcome{}
	byItem := map[string]*outcome{}
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
				o := &outcome{Slips: []slip{}, Repeats: d.Repeats}
				o.Submitted.At, o.Submitted.Actor = at, e.Actor.ID
				requests[id] = o
			case domain.RequestAccepted:
				o := requests[id]
				require.NotNil(t, o, "%s accepted before it was submitted", id)
				o.Accepted = &accepted{At: at, Actor: e.Actor.ID, Item: d.Item}
				byItem[d.Item] = o
			case domain.BacklogItemAdded:
				o := byItem[id]
				require.NotNil(t, o, "item %s added without a request accepted", id)
				o.Accepted.Kind, o.Accepted.Epic, o.Accepted.Release = string(d.Kind), orNil(d.Epic), orNil(names[d.Roadmap])
				serving[id] = names[d.Roadmap]
			case domain.RequestDeferred:
				requests[id].Deferred = &at
			case domain.RequestRejected:
				requests[id].Rejected = &decided{At: at, Reason: string(e.Reason)}
			case domain.BacklogItemRemoved:
				byItem[id].Removed = &decided{At: at, Reason: string(e.Reason)}
			case domain.WorkDelivered:
				byItem[id].Delivered = &delivered{At: at, Release: orNil(d.Release)}
			case domain.BacklogItemRefined:
				if d.Roadmap == "" {
					continue
				}
				to := names[d.Roadmap]
				if from := serving[id]; from != "" && from != to {
					byItem[id].Slips = append(byItem[id].Slips, slip{At: at, From: from, To: to})
				}
				serving[id] = to
			case domain.BacklogItemUnplanned:
				serving[id] = ""
			}
		}
	}
	out := make(map[string]outcome, len(requests))
	for id, o := range requests {
		out[id] = *o
	}
	return out
}
