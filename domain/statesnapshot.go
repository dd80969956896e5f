package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
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
//
// writestate/3: the ids of the events at the latest business time (see
// instant), so that a copy of one is recognised after a restore too.
const StateVersion = "writestate/3"

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
	Signed   bool          `json:"signed,omitempty"`
	// Latest are the events at LastAt, in the order they were admitted.
	Latest []latestBody `json:"latest,omitempty"`
}

type latestBody struct {
	ID  string `json:"id"`
	Seq uint64 `json:"seq"`
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

// commandsBody holds the remembered command ids, oldest first, in Log:
// for each, its length and the difference of its first event's sequence
// from the one before (the first from 0) as unsigned varints around the
// id's bytes. A hundred thousand ids decode an order of magnitude faster
// this way than as JSON strings, and the differences are short.
type commandsBody struct {
	Limit int    `json:"limit"`
	Count int    `json:"count"`
	Log   []byte `json:"log"`
}

// MarshalSnapshot encodes the state as a write-state snapshot of version
// StateVersion that carries its product, its sequence and a digest of its
// content. The same state always gives the same bytes.
func (s *State) MarshalSnapshot() ([]byte, error) {
	body := stateBody{
		Product: productBody{ID: s.Product.ID, Name: s.Product.Name, Exists: s.Product.Exists, Roles: map[string][]Role{}},
		LastSeq: s.LastSeq, LastAt: s.LastAt.UTC(), Signed: s.Signed,
		Commands: commandsBody{Limit: s.commands.limit, Count: len(s.commands.ring)},
	}
	for _, x := range s.latest.ids {
		body.Latest = append(body.Latest, latestBody{ID: x.id, Seq: x.seq})
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
		body.Commands.Log = binary.AppendUvarint(body.Commands.Log, uint64(len(id)))
		body.Commands.Log = append(body.Commands.Log, id...)
		body.Commands.Log = binary.AppendUvarint(body.Commands.Log, seq-prev)
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
	if body.LastSeq != env.Seq || body.Product.ID != product || body.Commands.Count < 0 || body.Commands.Count > len(body.Commands.Log) {
		return nil, fmt.Errorf("write-state snapshot is inconsistent: sequence %d, state at %d of product %q with %d command ids",
			env.Seq, body.LastSeq, body.Product.ID, body.Commands.Count)
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
	n := body.Commands.Count
	s.commands = commandLog{limit: max(limit, n, 1), seqs: make(map[string]uint64, n), ring: make([]string, 0, n)}
	log := body.Commands.Log
	var seq uint64
	for range n {
		size, k := binary.Uvarint(log)
		if k <= 0 || size > uint64(len(log)-k) {
			return nil, fmt.Errorf("write-state snapshot is inconsistent: its command log is cut short")
		}
		id := string(log[k : k+int(size)])
		log = log[k+int(size):]
		delta, k := binary.Uvarint(log)
		if k <= 0 {
			return nil, fmt.Errorf("write-state snapshot is inconsistent: its command log is cut short")
		}
		log = log[k:]
		seq += delta
		s.commands.add(id, seq)
	}
	if len(log) != 0 || len(s.commands.ring) != n {
		return nil, fmt.Errorf("write-state snapshot is inconsistent: its command log does not hold %d distinct ids", n)
	}
	s.commands.setLimit(limit)
	s.LastSeq, s.LastAt, s.Signed = body.LastSeq, body.LastAt, body.Signed
	for _, x := range body.Latest {
		s.latest.add(x.ID, x.Seq)
	}
	return s, nil
}
