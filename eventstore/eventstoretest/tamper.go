package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/eventstore"
)

// ReplaceLedger deletes the store's LEDGER stream and recreates it with the
// same settings holding msgs, in order, renumbered from sequence 1: each is
// published with its subject, data, Nats-Msg-Id and every header that is
// not a JetStream control header. The sequences in remove are then deleted
// from the new stream, leaving gaps, and the deny-delete and deny-purge
// settings are restored last, as a careful intruder would leave them.
func ReplaceLedger(ctx context.Context, s *eventstore.Store, msgs []eventstore.Raw, remove ...uint64) error {
	js := s.JetStream()
	st, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		return fmt.Errorf("stream %s: %w", eventstore.StreamName, err)
	}
	cfg := st.CachedInfo().Config
	if err := js.DeleteStream(ctx, eventstore.StreamName); err != nil {
		return fmt.Errorf("deleting stream %s: %w", eventstore.StreamName, err)
	}
	weak := cfg
	weak.DenyDelete, weak.DenyPurge = false, false
	st, err = js.CreateStream(ctx, weak)
	if err != nil {
		return fmt.Errorf("recreating stream %s: %w", eventstore.StreamName, err)
	}
	for i, r := range msgs {
		m := nats.NewMsg(r.Subject)
		m.Data = r.Data
		for k, vs := range r.Header {
			if strings.HasPrefix(k, "Nats-") && k != jetstream.MsgIDHeader {
				continue
			}
			for _, v := range vs {
				m.Header.Add(k, v)
			}
		}
		ack, err := js.PublishMsg(ctx, m)
		if err != nil {
			return fmt.Errorf("republishing message %d of %d: %w", i+1, len(msgs), err)
		}
		if ack.Duplicate {
			return fmt.Errorf("republishing message %d of %d: its Nats-Msg-Id %q was already published, so JetStream dropped it: give inserted messages new ids",
				i+1, len(msgs), r.Header[jetstream.MsgIDHeader])
		}
	}
	for _, seq := range remove {
		if err := st.DeleteMsg(ctx, seq); err != nil {
			return fmt.Errorf("deleting message %d: %w", seq, err)
		}
	}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("restoring the settings of stream %s: %w", eventstore.StreamName, err)
	}
	return nil
}

// ReplaceCheckpoints deletes the store's LEDGER_CHECKPOINTS stream and, when
// records are given, recreates it holding them in order: an intruder who
// rewrote the ledger and the audit records that could locate the change.
func ReplaceCheckpoints(ctx context.Context, s *eventstore.Store, records []eventstore.CheckpointRecord) error {
	err := s.JetStream().DeleteStream(ctx, eventstore.CheckpointStreamName)
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("deleting stream %s: %w", eventstore.CheckpointStreamName, err)
	}
	for _, r := range records {
		var err error
		switch r.Kind {
		case eventstore.KindCheckpoint:
			_, err = s.PublishCheckpoint(ctx, r.Data)
		case eventstore.KindLeaves:
			_, err = s.PublishLeaves(ctx, r.Data)
		default:
			err = fmt.Errorf("unknown record kind %q", r.Kind)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
