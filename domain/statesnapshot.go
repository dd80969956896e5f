package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// StateVersion names the encoding of State that MarshalSnapshot writes.
// A change to what State holds or how it is encoded must come with a new
// version (and `go test ./domain -update` for testdata/state.json):
// RestoreState refuses any other, so an old snapshot is replayed, never
// misread.
const StateVersion = "writestate/1"

// stateEnvelope is a write-state snapshot: the encoded state and what it
// claims to be, so that a snapshot from another version, another product
// or with damaged bytes is recognised before it is used.
type stateEnvelope struct {
	Version string `json:"version"`
	Product string `json:"product"`
	Seq     uint64 `json:"seq"`
	// Digest is "sha256:" and the hex SHA-256 of State's bytes as stored.
	Digest string          `json:"digest"`
	State  json.RawMessage `json:"state"`
}

// stateBody is State in StateVersion's encoding: slices sorted by id,
// command ids oldest first, so that the same state always encodes to the
// same bytes.
type stateBody struct {
	Product  productBody   `json:"product"`
	Roadmap  []roadmapBody `json:"roadmap"`
	Items    []itemBody    `json:"items"`
	Requests []requestBody `json:"requests"`
	Commands commandsBody  `json:"commands"`
	LastSeq  uint64        `json:"lastSeq"`
	LastAt   time.Time     `json:"lastAt"`
}

type productBody struct {
	ID     string            `json:"id"`
	Name   string            `json:"name,omitempty"`
	Exists bool              `json:"exists,omitempty"`
	Roles  map[string][]Role `json:"roles"`
}

type roadmapBody struct {
	ID      string `json:"id"`
	Title   string `json:"title,omitempty"`
	Period  string `json:"period,omitempty"`
	Dropped bool   `json:"dropped,omitempty"`
}

type itemBody struct {
	ID      string     `json:"id"`
	Title   string     `json:"title,omitempty"`
	Kind    ItemKind   `json:"kind,omitempty"`
	Status  ItemStatus `json:"status,omitempty"`
	Epic    string     `json:"epic,omitempty"`
	Roadmap string     `json:"roadmap,omitempty"`
}

type requestBody struct {
	ID            string        `json:"id"`
	Requester     string        `json:"requester,omitempty"`
	RequesterRole Role          `json:"requesterRole,omitempty"`
	Title         string        `json:"title,omitempty"`
	Status        RequestStatus `json:"status,omitempty"`
}

// commandsBody holds the remembered command ids oldest first, and the
// sequence of each one's first event as the difference from the one
// before (the first from 0): sequences grow, so the differences are short.
type commandsBody struct {
	Limit int      `json:"limit"`
	IDs   []string `json:"ids"`
	Seqs  []uint64 `json:"seqDeltas"`
}

// MarshalSnapshot encodes the state as a write-state snapshot of version
// StateVersion that carries its product, its sequence and a digest of its
// content. The same state always gives the same bytes.
func (s *State) MarshalSnapshot() ([]byte, error) {
	body := stateBody{
		Product: productBody{ID: s.Product.ID, Name: s.Product.Name, Exists: s.Product.Exists, Roles: map[string][]Role{}},
		LastSeq: s.LastSeq, LastAt: s.LastAt.UTC(),
		Commands: commandsBody{Limit: s.commands.limit, IDs: make([]string, 0, len(s.commands.ring)),
			Seqs: make([]uint64, 0, len(s.commands.ring))},
	}
	for a := range s.Product.Roles {
		if rs := s.Product.RolesOf(a); len(rs) > 0 {
			body.Product.Roles[a] = rs
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.Roadmap)) {
		r := s.Roadmap[id]
		body.Roadmap = append(body.Roadmap, roadmapBody{ID: id, Title: r.Title, Period: r.Period, Dropped: r.Dropped})
	}
	for _, id := range slices.Sorted(maps.Keys(s.Items)) {
		it := s.Items[id]
		body.Items = append(body.Items, itemBody{ID: id, Title: it.Title, Kind: it.Kind, Status: it.Status, Epic: it.Epic, Roadmap: it.Roadmap})
	}
	for _, id := range slices.Sorted(maps.Keys(s.Requests)) {
		r := s.Requests[id]
		body.Requests = append(body.Requests, requestBody{ID: id, Requester: r.Requester, RequesterRole: r.RequesterRole, Title: r.Title, Status: r.Status})
	}
	var prev uint64
	s.commands.each(func(id string, seq uint64) {
		body.Commands.IDs = append(body.Commands.IDs, id)
		body.Commands.Seqs = append(body.Commands.Seqs, seq-prev)
		prev = seq
	})
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding the write state of product %q: %w", s.Product.ID, err)
	}
	return json.Marshal(stateEnvelope{Version: StateVersion, Product: s.Product.ID, Seq: s.LastSeq, Digest: stateDigest(b), State: b})
}

func stateDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// RestoreState decodes a write-state snapshot of product written by
// MarshalSnapshot, remembering at most commandLimit command ids (the
// newest; DefaultCommandLimit when commandLimit <= 0). It refuses, with an
// error that says why, bytes that do not decode, a snapshot of another
// version or product, and one whose digest does not match its content.
func RestoreState(product string, data []byte, commandLimit int) (*State, error) {
	var env stateEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("write-state snapshot does not decode: %w", err)
	}
	switch {
	case env.Version != StateVersion:
		return nil, fmt.Errorf("write-state snapshot has version %q, this ledger reads %q", env.Version, StateVersion)
	case env.Product != product:
		return nil, fmt.Errorf("write-state snapshot is of product %q, not %q", env.Product, product)
	case env.Digest != stateDigest(env.State):
		return nil, fmt.Errorf("write-state snapshot content does not match its digest %s", env.Digest)
	}
	var body stateBody
	dec := json.NewDecoder(bytes.NewReader(env.State))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("write-state snapshot does not decode: %w", err)
	}
	if body.LastSeq != env.Seq || body.Product.ID != product || len(body.Commands.IDs) != len(body.Commands.Seqs) {
		return nil, fmt.Errorf("write-state snapshot is inconsistent: sequence %d, state at %d of product %q with %d command ids and %d sequences",
			env.Seq, body.LastSeq, body.Product.ID, len(body.Commands.IDs), len(body.Commands.Seqs))
	}
	s := NewState(product)
	s.Product.Name, s.Product.Exists = body.Product.Name, body.Product.Exists
	for a, rs := range body.Product.Roles {
		held := make(map[Role]bool, len(rs))
		for _, r := range rs {
			held[r] = true
		}
		s.Product.Roles[a] = held
	}
	for _, r := range body.Roadmap {
		s.Roadmap[r.ID] = RoadmapItem{ID: r.ID, Title: r.Title, Period: r.Period, Dropped: r.Dropped}
	}
	for _, it := range body.Items {
		s.Items[it.ID] = Item{ID: it.ID, Title: it.Title, Kind: it.Kind, Status: it.Status, Epic: it.Epic, Roadmap: it.Roadmap}
	}
	for _, r := range body.Requests {
		s.Requests[r.ID] = Request{ID: r.ID, Requester: r.Requester, RequesterRole: r.RequesterRole, Title: r.Title, Status: r.Status}
	}
	// Take every id in, then keep the newest that fit this state's bound.
	limit := commandLimit
	if limit <= 0 {
		limit = DefaultCommandLimit
	}
	s.commands = newCommandLog(max(limit, len(body.Commands.IDs)))
	var seq uint64
	for i, id := range body.Commands.IDs {
		seq += body.Commands.Seqs[i]
		s.commands.add(id, seq)
	}
	s.commands.setLimit(limit)
	s.LastSeq, s.LastAt = body.LastSeq, body.LastAt
	return s, nil
}
