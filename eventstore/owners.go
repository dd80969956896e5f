package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// OwnersBucket is the key-value bucket that says which serve instance
// writes each product's decisions: one key per product, its value the
// owner's instance id, kept alive by the owner's renewals and gone after
// the bucket's TTL without them.
const OwnersBucket = "LEDGER_OWNERS"

// DefaultOwnerTTL is how long a product stays with an instance that no
// longer renews it (killed, cut off): the longest a write to that product
// waits for another instance to take it over.
const DefaultOwnerTTL = 2 * time.Second

// Owners holds this instance's leases on products in OwnersBucket. Several
// serve instances on one NATS system each hold an Owners: a product's
// writes go to the one instance that holds its lease, so that they do not
// race each other's optimistic concurrency on every decision. The lease is
// an optimisation, not the guarantee: an instance that lost its lease
// without knowing it (paused past the TTL) still appends with an expected
// sequence, and JetStream refuses a stale one.
type Owners struct {
	id  string
	ttl time.Duration
	kv  jetstream.KeyValue

	mu sync.Mutex
	// held is the revision of each lease this instance holds, and when it
	// last renewed it.
	held map[string]lease
	// seen is the owner last read of each product another instance
	// holds, and when: each of the decisions this instance sends on
	// would otherwise read the bucket first.
	seen map[string]seenOwner

	stop chan struct{}
	done chan struct{}
}

type seenOwner struct {
	id string
	at time.Time
}

type lease struct {
	rev     uint64
	renewed time.Time
}

// Owners opens OwnersBucket (making it, with the LEDGER stream's replicas,
// if it is not there) for the instance id, whose leases last ttl (0:
// DefaultOwnerTTL) unless renewed, and starts renewing the ones it takes
// until Close.
func (s *Store) Owners(ctx context.Context, id string, ttl time.Duration) (*Owners, error) {
	if ttl <= 0 {
		ttl = DefaultOwnerTTL
	}
	if s.readOnly != nil {
		return nil, s.readOnly
	}
	replicas := 1
	if st, err := s.js.Stream(ctx, StreamName); err == nil {
		replicas = st.CachedInfo().Config.Replicas
	}
	kv, err := s.js.KeyValue(ctx, OwnersBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = s.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      OwnersBucket,
			Description: "Decision ledger: the serve instance that writes each product's decisions",
			History:     1,
			TTL:         ttl,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			kv, err = s.js.KeyValue(ctx, OwnersBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("owners: key-value bucket %s: %w", OwnersBucket, err)
	}
	// The bucket's TTL is what a lease lasts, whoever made it.
	if st, err := kv.Status(ctx); err == nil && st.TTL() > 0 {
		ttl = st.TTL()
	}
	// Other instances write the stream beside this store, each its own
	// products: a chain of this store's appends would be broken by every
	// append of theirs, and each break is a refused publish sent again.
	// The product's check tells the instances' writes apart.
	s.chain.mu.Lock()
	s.chain.clustered = true
	s.chain.forgetLocked()
	s.chain.mu.Unlock()
	o := &Owners{id: id, ttl: ttl, kv: kv, held: map[string]lease{}, seen: map[string]seenOwner{}, stop: make(chan struct{}), done: make(chan struct{})}
	go o.renew()
	return o, nil
}

// ID is this instance's id, the value of the keys it holds.
func (o *Owners) ID() string { return o.id }

// Owner returns the instance that writes product's decisions now, taking
// the product for this instance when no instance holds it; mine says that
// it is this one. A product whose owner stopped renewing is taken once its
// lease has expired.
func (o *Owners) Owner(ctx context.Context, product string) (id string, mine bool, err error) {
	o.mu.Lock()
	l, ok := o.held[product]
	seen, known := o.seen[product]
	o.mu.Unlock()
	// A lease renewed within the last half TTL is still ours: nobody
	// else can have taken it before it expires.
	if ok && time.Since(l.renewed) < o.ttl/2 {
		return o.id, true, nil
	}
	// Another's, read within a quarter TTL: a decision sent on to an
	// owner that died meanwhile finds no responders and asks again.
	if known && time.Since(seen.at) < o.ttl/4 {
		return seen.id, false, nil
	}
	for {
		e, err := o.kv.Get(ctx, product)
		switch {
		case err == nil && string(e.Value()) == o.id:
			o.hold(product, e.Revision())
			return o.id, true, nil
		case err == nil:
			o.mu.Lock()
			delete(o.held, product)
			o.seen[product] = seenOwner{id: string(e.Value()), at: time.Now()}
			o.mu.Unlock()
			return string(e.Value()), false, nil
		case !errors.Is(err, jetstream.ErrKeyNotFound):
			return "", false, fmt.Errorf("owners: who writes %q: %w", product, err)
		}
		rev, err := o.kv.Create(ctx, product, []byte(o.id))
		if err == nil {
			o.hold(product, rev)
			return o.id, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return "", false, fmt.Errorf("owners: take %q: %w", product, err)
		}
		// Another instance took it between the two: ask again.
	}
}

func (o *Owners) hold(product string, rev uint64) {
	o.mu.Lock()
	delete(o.seen, product)
	o.held[product] = lease{rev: rev, renewed: time.Now()}
	o.mu.Unlock()
}

// renew renews every lease held, three times per TTL, until Close; a
// lease that another instance took meanwhile (its revision moved) is
// dropped.
func (o *Owners) renew() {
	defer close(o.done)
	t := time.NewTicker(o.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
		}
		o.mu.Lock()
		held := make(map[string]uint64, len(o.held))
		for p, l := range o.held {
			held[p] = l.rev
		}
		o.mu.Unlock()
		for p, rev := range held {
			ctx, cancel := context.WithTimeout(context.Background(), o.ttl/3)
			now := time.Now()
			next, err := o.kv.Update(ctx, p, []byte(o.id), rev)
			cancel()
			o.mu.Lock()
			if l, ok := o.held[p]; ok && l.rev == rev {
				if err == nil {
					o.held[p] = lease{rev: next, renewed: now}
				} else if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyNotFound) {
					delete(o.held, p) // taken, or expired: Owner asks again
				}
			}
			o.mu.Unlock()
		}
	}
}

// Close stops renewing and gives back every lease held, so that another
// instance takes the products at once rather than after the TTL.
func (o *Owners) Close() {
	close(o.stop)
	<-o.done
	o.mu.Lock()
	held := o.held
	o.held = map[string]lease{}
	o.mu.Unlock()
	for p, l := range held {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = o.kv.Delete(ctx, p, jetstream.LastRevision(l.rev))
		cancel()
	}
}
