package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/stored"
)

// HeaderMsgID is the header that carries an event's id (JetStream's
// deduplication id, jetstream.MsgIDHeader); the audit code reads it from
// Raw.Header.
const HeaderMsgID = stored.HeaderMsgID

// CheckpointStreamName is the stream that holds the audit records: signed
// checkpoints of the ledger and the leaf hashes they cover. It is separate
// from LEDGER so that the ledger's own stream holds nothing but events.
const CheckpointStreamName = stored.CheckpointStreamName

// checkpointSubjects is the subject space of the checkpoint stream; it does
// not overlap ledger.>.
const checkpointSubjects = "ledger-checkpoints.>"

// Kinds of audit record, the last token of their subject.
const (
	// KindCheckpoint is a signed checkpoint note.
	KindCheckpoint = stored.KindCheckpoint
	// KindLeaves is a batch of leaf hashes, in the audit package's encoding.
	KindLeaves = stored.KindLeaves
)

// CheckpointRecord is one message of the checkpoint stream (declared in
// package stored, which audit shares). The store does not interpret Data:
// the audit package writes and verifies it.
type CheckpointRecord = stored.CheckpointRecord

// checkpointStreamConfig is the checkpoint stream the ledger requires:
// append-only like LEDGER, with no limits.
func checkpointStreamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              CheckpointStreamName,
		Description:       "Decision ledger: signed checkpoints of LEDGER and their leaf hashes, append-only",
		Subjects:          []string{checkpointSubjects},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		Replicas:          replicas,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: -1,
		Discard:           jetstream.DiscardNew,
		DenyDelete:        true,
		DenyPurge:         true,
		AllowDirect:       true,
	}
}

// PublishCheckpoint appends a signed checkpoint to LEDGER_CHECKPOINTS,
// creating the stream on first use, and returns its sequence there.
func (s *Store) PublishCheckpoint(ctx context.Context, signed []byte) (uint64, error) {
	return s.publishAudit(ctx, KindCheckpoint, signed)
}

// PublishLeaves appends a batch of leaf hashes to LEDGER_CHECKPOINTS,
// creating the stream on first use, and returns its sequence there. A
// message holds at most the server's maximum payload (1 MiB by default):
// the caller splits larger batches.
func (s *Store) PublishLeaves(ctx context.Context, data []byte) (uint64, error) {
	return s.publishAudit(ctx, KindLeaves, data)
}

func (s *Store) publishAudit(ctx context.Context, kind string, data []byte) (uint64, error) {
	if err := s.writable(); err != nil {
		return 0, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := s.ensureCheckpointStream(ctx); err != nil {
		return 0, err
	}
	m := nats.NewMsg("ledger-checkpoints." + kind)
	m.Data = data
	ack, err := s.js.PublishMsg(ctx, m)
	if err != nil {
		return 0, fmt.Errorf("publishing to stream %s: %w", CheckpointStreamName, err)
	}
	return ack.Sequence, nil
}

// ensureCheckpointStream creates LEDGER_CHECKPOINTS with as many replicas
// as LEDGER, or verifies that the existing one is append-only.
func (s *Store) ensureCheckpointStream(ctx context.Context) error {
	st, err := s.js.Stream(ctx, CheckpointStreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		info, ierr := s.info(ctx)
		if ierr != nil {
			return ierr
		}
		st, err = s.js.CreateStream(ctx, checkpointStreamConfig(info.Config.Replicas))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = s.js.Stream(ctx, CheckpointStreamName)
		}
		if err == nil && s.copies != nil {
			s.copies.poke() // the clients' copy of the new stream, now
		}
	}
	if err != nil {
		return fmt.Errorf("cannot set up stream %s: %w", CheckpointStreamName, err)
	}
	cfg := st.CachedInfo().Config
	var weak []string
	if !cfg.DenyDelete {
		weak = append(weak, "deny_delete is off")
	}
	if !cfg.DenyPurge {
		weak = append(weak, "deny_purge is off")
	}
	if cfg.Storage != jetstream.FileStorage {
		weak = append(weak, "storage is not file")
	}
	if cfg.MaxAge > 0 || cfg.MaxMsgs > 0 || cfg.MaxBytes > 0 || cfg.MaxMsgsPerSubject > 0 || cfg.AllowMsgTTL {
		weak = append(weak, "limits or TTLs can remove records")
	}
	if cfg.AllowRollup {
		weak = append(weak, "rollups are allowed")
	}
	if len(weak) > 0 {
		return fmt.Errorf("stream %s exists but is weaker than the ledger requires: %s; recreate it with the ledger's settings",
			CheckpointStreamName, strings.Join(weak, "; "))
	}
	return nil
}

// ReadCheckpoints calls fn, in order, for every record of LEDGER_CHECKPOINTS
// stored when it was called; a ledger that never published a checkpoint
// has none and ReadCheckpoints returns nil. It stops when fn returns an
// error and returns it.
func (s *Store) ReadCheckpoints(ctx context.Context, fn func(CheckpointRecord) error) error {
	s.settleCopy(ctx, CheckpointStreamName)
	ictx, cancel := withTimeout(ctx)
	st, err := s.js.Stream(ictx, CheckpointStreamName)
	cancel()
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", CheckpointStreamName, err)
	}
	state := st.CachedInfo().State
	if state.Msgs == 0 {
		return nil
	}
	cons, err := s.js.OrderedConsumer(ctx, CheckpointStreamName, jetstream.OrderedConsumerConfig{
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: 30 * time.Second,
		MaxResetAttempts:  5,
	})
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", CheckpointStreamName, err)
	}
	defer func() {
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = s.js.DeleteConsumer(dctx, CheckpointStreamName, info.Name)
			cancel()
		}
	}()
	it, err := cons.Messages(jetstream.PullMaxMessages(readBatch))
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", CheckpointStreamName, err)
	}
	defer it.Stop()
	for {
		// Each message gets the default timeout: a lost server fails the
		// read rather than hanging it, however many records there are.
		rctx, cancel := withTimeout(ctx)
		m, err := it.Next(jetstream.NextContext(rctx))
		cancel()
		if err != nil {
			return fmt.Errorf("reading stream %s: %w", CheckpointStreamName, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("reading stream %s: message has no metadata: %w", CheckpointStreamName, err)
		}
		seq := meta.Sequence.Stream
		if seq > state.LastSeq {
			return nil
		}
		kind := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
		if err := fn(CheckpointRecord{Seq: seq, Kind: kind, Data: m.Data(), Time: meta.Timestamp}); err != nil {
			return err
		}
		// NumPending rather than LastSeq ends the read: a record removed
		// from the end by someone with access to the files must not hang it.
		if seq == state.LastSeq || meta.NumPending == 0 {
			return nil
		}
	}
}
