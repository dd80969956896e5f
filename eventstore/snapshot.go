package eventstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/snapshot"
)

// Snapshot storage lives next to the LEDGER stream, in two buckets created
// on first use with file storage and the stream's replicas:
//
//   - the object store SnapshotBucket holds the snapshots themselves, named
//     <product>/<kind>/<seq zero-padded to 20 digits>, with their
//     description in the object's metadata. An object store, because a
//     snapshot can outgrow the 1 MB limit of a message or a key's value.
//   - the key-value bucket SnapshotIndexBucket holds, per product and kind,
//     the sorted list of that product's snapshots of that kind. Listing an
//     object store reads the metadata of every object in it (over half a
//     second for a thousand), so finding the snapshot nearest a position
//     reads this one value instead. It is updated with compare-and-set, so
//     concurrent writers lose no entry.
//
// Snapshots are a cache: nothing here is the record of a decision, and
// deleting both buckets loses no information.
const (
	SnapshotBucket      = "LEDGER_SNAPSHOTS"
	SnapshotIndexBucket = "LEDGER_SNAPSHOTS_INDEX"
)

// MaxSnapshotsPerKind bounds the index of one product and kind (its value
// must stay under the 1 MB message limit): past it, Put deletes the oldest.
const MaxSnapshotsPerKind = 4096

// ErrSnapshotNotFound is wrapped by Get and Delete for a snapshot that is
// not stored.
var ErrSnapshotNotFound = errors.New("snapshot not found")

// kindPattern is what a snapshot kind may look like: it is a token of the
// object name and of the index key.
var kindPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// SnapshotInfo describes a stored snapshot (shared with replay).
type SnapshotInfo = snapshot.Info

// indexKey is the key of the index entry listing a product's snapshots of a kind.
func indexKey(i SnapshotInfo) string { return i.Product + "." + i.Kind }

// SnapshotStore keeps projection snapshots next to the stream. It is safe
// for concurrent use; the buckets are created on first use.
type SnapshotStore struct {
	js jetstream.JetStream
	// sign and verify are the store's (Options.Sign and Verify): snapshots
	// are signed as they are stored and checked as they are read.
	sign   func([]byte) ([]byte, error)
	verify func(msg, sig []byte) bool
	// readOnly refuses Put and Delete, and makes missing buckets read as
	// empty rather than be created: see Store.writable.
	readOnly error

	mu  sync.Mutex
	obs jetstream.ObjectStore
	kv  jetstream.KeyValue
}

// Snapshots returns the store's snapshot storage.
func (s *Store) Snapshots() *SnapshotStore {
	return &SnapshotStore{js: s.js, readOnly: s.writable(), sign: s.sign, verify: s.verify}
}

// errNoBuckets is buckets' answer to a read-only store when the serving
// process has stored no snapshot yet: there is nothing to read.
var errNoBuckets = errors.New("no snapshot stored yet")

// buckets binds the two buckets, creating them when missing (a read-only
// store gets errNoBuckets instead). A failure is
// not remembered: the next call tries again.
func (ss *SnapshotStore) buckets(ctx context.Context) (jetstream.ObjectStore, jetstream.KeyValue, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.obs != nil {
		return ss.obs, ss.kv, nil
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	st, err := ss.js.Stream(ctx, StreamName)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshots: stream %s: %w", StreamName, err)
	}
	replicas := max(st.CachedInfo().Config.Replicas, 1)
	obs, err := ss.js.ObjectStore(ctx, SnapshotBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) && ss.readOnly != nil {
		return nil, nil, errNoBuckets
	}
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = ss.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      SnapshotBucket,
			Description: "Decision ledger: projection snapshots (a cache, rebuilt from " + StreamName + ")",
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			obs, err = ss.js.ObjectStore(ctx, SnapshotBucket)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("snapshots: object store %s: %w", SnapshotBucket, err)
	}
	kv, err := ss.js.KeyValue(ctx, SnapshotIndexBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) && ss.readOnly != nil {
		return nil, nil, errNoBuckets
	}
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = ss.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      SnapshotIndexBucket,
			Description: "Decision ledger: index of " + SnapshotBucket + " per product and kind",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			kv, err = ss.js.KeyValue(ctx, SnapshotIndexBucket)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("snapshots: key-value bucket %s: %w", SnapshotIndexBucket, err)
	}
	ss.obs, ss.kv = obs, kv
	return obs, kv, nil
}

func checkSnapshot(i SnapshotInfo) error {
	switch {
	case !validToken(i.Product) || !kvKeyToken.MatchString(i.Product):
		return invalidProduct(i.Product)
	case !kindPattern.MatchString(i.Kind):
		return fmt.Errorf("snapshot kind %q is not valid: use 1-32 lower-case letters, digits or '-'", i.Kind)
	}
	return nil
}

// kvKeyToken is what a product id must look like to be a key token; the
// domain's ids all do.
var kvKeyToken = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Put stores a snapshot (replacing one of the same product, kind and seq)
// and records it in the index; it returns the info with Size set. A failed
// index update leaves the object unlisted, which only wastes space.
func (ss *SnapshotStore) Put(ctx context.Context, info SnapshotInfo, data []byte) (SnapshotInfo, error) {
	if err := checkSnapshot(info); err != nil {
		return info, err
	}
	if info.Seq == 0 || info.Version == "" {
		return info, fmt.Errorf("snapshot %s needs a sequence and a version", info.Name())
	}
	if ss.readOnly != nil {
		return info, fmt.Errorf("storing snapshot %s: %w", info.Name(), ss.readOnly)
	}
	obs, kv, err := ss.buckets(ctx)
	if err != nil {
		return info, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	info.Size = uint64(len(data))
	info.LastAt = info.LastAt.UTC()
	info.Digest = snapshotDigest(data)
	info.Sig = ""
	if ss.sign != nil {
		sig, err := ss.sign(info.SignedMessage())
		if err != nil {
			return info, fmt.Errorf("signing snapshot %s: %w", info.Name(), err)
		}
		info.Sig = base64.StdEncoding.EncodeToString(sig)
	}
	meta := jetstream.ObjectMeta{Name: info.Name(), Metadata: map[string]string{
		"product": info.Product, "kind": info.Kind, "version": info.Version,
		"seq": strconv.FormatUint(info.Seq, 10), "lastAt": info.LastAt.Format(time.RFC3339Nano),
		"events": strconv.FormatUint(info.Events, 10), "lost": strconv.FormatUint(info.Lost, 10),
	}}
	if _, err := obs.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		return info, fmt.Errorf("storing snapshot %s: %w", info.Name(), err)
	}
	var evicted []SnapshotInfo
	err = ss.updateIndex(ctx, kv, indexKey(info), func(list []SnapshotInfo) []SnapshotInfo {
		evicted = nil
		i, found := slices.BinarySearchFunc(list, info.Seq, func(x SnapshotInfo, seq uint64) int {
			return cmpUint(x.Seq, seq)
		})
		if found {
			list[i] = info
		} else {
			list = slices.Insert(list, i, info)
		}
		if n := len(list) - MaxSnapshotsPerKind; n > 0 {
			evicted = append(evicted, list[:n]...)
			list = list[n:]
		}
		return list
	})
	if err != nil {
		return info, fmt.Errorf("indexing snapshot %s: %w", info.Name(), err)
	}
	for _, old := range evicted {
		_ = obs.Delete(ctx, old.Name()) // unlisted already; a leftover only wastes space
	}
	return info, nil
}

// Get returns a snapshot's bytes; a snapshot that is listed but not stored
// fails with an error wrapping ErrSnapshotNotFound.
func (ss *SnapshotStore) Get(ctx context.Context, info SnapshotInfo) ([]byte, error) {
	if err := checkSnapshot(info); err != nil {
		return nil, err
	}
	obs, _, err := ss.buckets(ctx)
	if errors.Is(err, errNoBuckets) {
		return nil, fmt.Errorf("snapshot %s: %w", info.Name(), ErrSnapshotNotFound)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	b, err := obs.GetBytes(ctx, info.Name())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("snapshot %s: %w", info.Name(), ErrSnapshotNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading snapshot %s: %w", info.Name(), err)
	}
	if err := ss.check(info, b); err != nil {
		return nil, err
	}
	return b, nil
}

// ErrSnapshotTampered matches (errors.Is) a snapshot whose bytes or
// signature do not match what was stored.
var ErrSnapshotTampered = errors.New("snapshot does not match what the ledger stored")

// check refuses bytes that are not those the ledger stored: a digest that
// does not match (an edit), or, with a verifier key, a missing or wrong
// signature (an edit of bytes and index together).
func (ss *SnapshotStore) check(info SnapshotInfo, b []byte) error {
	if info.Digest != "" && info.Digest != snapshotDigest(b) {
		return fmt.Errorf("snapshot %s: its bytes do not match its digest: %w", info.Name(), ErrSnapshotTampered)
	}
	if ss.verify == nil {
		return nil
	}
	if info.Digest == "" || info.Sig == "" {
		return fmt.Errorf("snapshot %s is not signed by the ledger: %w", info.Name(), ErrSnapshotTampered)
	}
	sig, err := base64.StdEncoding.DecodeString(info.Sig)
	if err != nil || !ss.verify(info.SignedMessage(), sig) {
		return fmt.Errorf("snapshot %s: its signature is not the ledger's: %w", info.Name(), ErrSnapshotTampered)
	}
	return nil
}

func snapshotDigest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// List returns the product's snapshots of a kind, by sequence ascending;
// none is an empty list, not an error. It reads one index value, whatever
// the number of snapshots.
func (ss *SnapshotStore) List(ctx context.Context, product, kind string) ([]SnapshotInfo, error) {
	if err := checkSnapshot(SnapshotInfo{Product: product, Kind: kind}); err != nil {
		return nil, err
	}
	_, kv, err := ss.buckets(ctx)
	if errors.Is(err, errNoBuckets) {
		return []SnapshotInfo{}, nil
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	list, _, err := readIndex(ctx, kv, product+"."+kind)
	return list, err
}

// LatestAtOrBefore returns the newest snapshot of the product and kind
// whose Seq is at most seq (0: any) and whose LastAt is not after at (zero:
// any), and whether there is one.
func (ss *SnapshotStore) LatestAtOrBefore(ctx context.Context, product, kind string, seq uint64, at time.Time) (SnapshotInfo, bool, error) {
	list, err := ss.List(ctx, product, kind)
	if err != nil {
		return SnapshotInfo{}, false, err
	}
	for i := len(list) - 1; i >= 0; i-- {
		s := list[i]
		if (seq == 0 || s.Seq <= seq) && (at.IsZero() || !s.LastAt.After(at)) {
			return s, true, nil
		}
	}
	return SnapshotInfo{}, false, nil
}

// Delete removes a snapshot from the index and the bucket. Deleting one
// that is not stored fails with an error wrapping ErrSnapshotNotFound.
func (ss *SnapshotStore) Delete(ctx context.Context, info SnapshotInfo) error {
	if err := checkSnapshot(info); err != nil {
		return err
	}
	if ss.readOnly != nil {
		return fmt.Errorf("deleting snapshot %s: %w", info.Name(), ss.readOnly)
	}
	obs, kv, err := ss.buckets(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	listed := false
	err = ss.updateIndex(ctx, kv, indexKey(info), func(list []SnapshotInfo) []SnapshotInfo {
		listed = false
		return slices.DeleteFunc(list, func(x SnapshotInfo) bool {
			if x.Seq == info.Seq {
				listed = true
			}
			return x.Seq == info.Seq
		})
	})
	if err != nil {
		return fmt.Errorf("unindexing snapshot %s: %w", info.Name(), err)
	}
	_, err = obs.GetInfo(ctx, info.Name())
	switch {
	case errors.Is(err, jetstream.ErrObjectNotFound) && !listed:
		return fmt.Errorf("snapshot %s: %w", info.Name(), ErrSnapshotNotFound)
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("deleting snapshot %s: %w", info.Name(), err)
	}
	if err := obs.Delete(ctx, info.Name()); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("deleting snapshot %s: %w", info.Name(), err)
	}
	return nil
}

// snapshotIndex is the index value of one product and kind.
type snapshotIndex struct {
	Snapshots []SnapshotInfo `json:"snapshots"`
}

// readIndex returns the index under key and its revision (0: no value). A
// value that does not decode is reported as an error: the caller decides.
func readIndex(ctx context.Context, kv jetstream.KeyValue, key string) ([]SnapshotInfo, uint64, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return []SnapshotInfo{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading snapshot index %s: %w", key, err)
	}
	var idx snapshotIndex
	if err := json.Unmarshal(e.Value(), &idx); err != nil {
		return nil, e.Revision(), fmt.Errorf("snapshot index %s is unreadable: %w", key, err)
	}
	if idx.Snapshots == nil {
		idx.Snapshots = []SnapshotInfo{}
	}
	return idx.Snapshots, e.Revision(), nil
}

// indexAttempts bounds the compare-and-set loop of updateIndex.
const indexAttempts = 20

// updateIndex applies change to the index under key with compare-and-set,
// retrying when another writer got in first. An unreadable index is
// replaced: the snapshots it listed become unlisted.
func (ss *SnapshotStore) updateIndex(ctx context.Context, kv jetstream.KeyValue, key string, change func([]SnapshotInfo) []SnapshotInfo) error {
	for attempt := 1; ; attempt++ {
		list, rev, err := readIndex(ctx, kv, key)
		if err != nil && rev == 0 {
			return err
		}
		b, merr := json.Marshal(snapshotIndex{Snapshots: change(list)})
		if merr != nil {
			return merr
		}
		if rev == 0 {
			_, err = kv.Create(ctx, key, b)
		} else {
			_, err = kv.Update(ctx, key, b, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) || attempt == indexAttempts {
			return err
		}
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
