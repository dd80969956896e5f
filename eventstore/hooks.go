package eventstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// HooksBucket is the key-value bucket of the tracker webhooks' history:
// for each hook, every issue's accumulated record (what the deliveries so
// far say of it, in the tracker's export shape) and every delivery taken,
// by its id, so that a delivery sent again is recorded once, across
// restarts.
const HooksBucket = "LEDGER_HOOKS"

// Deliveries is the durable history of the tracker webhooks.
type Deliveries struct {
	kv jetstream.KeyValue
}

// Deliveries opens HooksBucket, making it (with the LEDGER stream's
// replicas) when it is not there.
func (s *Store) Deliveries(ctx context.Context) (*Deliveries, error) {
	if s.readOnly != nil {
		return nil, s.readOnly
	}
	replicas := 1
	if st, err := s.js.Stream(ctx, StreamName); err == nil {
		replicas = max(st.CachedInfo().Config.Replicas, 1)
	}
	kv, err := s.js.KeyValue(ctx, HooksBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = s.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      HooksBucket,
			Description: "Decision ledger: the tracker webhooks' issue records and the deliveries taken",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			// An issue record holds an issue's whole history.
			MaxValueSize: 8 << 20,
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			kv, err = s.js.KeyValue(ctx, HooksBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("hooks: key-value bucket %s: %w", HooksBucket, err)
	}
	return &Deliveries{kv: kv}, nil
}

// keyPart makes any text a key token ('.' and '*' are not allowed).
func keyPart(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func seenKey(hook, delivery string) string { return hook + ".seen." + keyPart(delivery) }
func issueKey(hook, issue string) string   { return hook + ".issue." + keyPart(issue) }

// Seen reports whether hook's delivery was recorded.
func (d *Deliveries) Seen(ctx context.Context, hook, delivery string) (bool, error) {
	_, err := d.kv.Get(ctx, seenKey(hook, delivery))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	}
	return false, fmt.Errorf("hooks: delivery %s of hook %s: %w", delivery, hook, err)
}

// Issues returns every issue record of hook, by issue key; none for a
// hook that took no delivery yet.
func (d *Deliveries) Issues(ctx context.Context, hook string) (map[string][]byte, error) {
	out := map[string][]byte{}
	prefix := hook + ".issue."
	lister, err := d.kv.ListKeysFiltered(ctx, prefix+"*")
	if err != nil {
		return nil, fmt.Errorf("hooks: issues of hook %s: %w", hook, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		e, err := d.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hooks: issue record %s: %w", k, err)
		}
		name, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(k, prefix))
		if err != nil {
			continue // not a key this package wrote
		}
		out[string(name)] = e.Value()
	}
	return out, nil
}

// Record stores hook's record of issue, then marks delivery as taken:
// a crash between the two leaves the delivery to be taken again, which
// finds the record holding it already.
func (d *Deliveries) Record(ctx context.Context, hook, delivery, issue string, record []byte) error {
	if _, err := d.kv.Put(ctx, issueKey(hook, issue), record); err != nil {
		return fmt.Errorf("hooks: issue %s of hook %s: %w", issue, hook, err)
	}
	if _, err := d.kv.Put(ctx, seenKey(hook, delivery), nil); err != nil {
		return fmt.Errorf("hooks: delivery %s of hook %s: %w", delivery, hook, err)
	}
	return nil
}
