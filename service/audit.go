package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/domain"
)

// CheckpointSubject is where a caller with the right to audit asks serve
// to sign a checkpoint of the ledger now, with serve's signing key: the
// request is empty (or {}), the answer a Checkpoint.
const CheckpointSubject = Prefix + ".audit.checkpoint"

// Checkpoint is a signed checkpoint as serve published it: the answer on
// CheckpointSubject, and what "ledger audit checkpoint --json" prints.
type Checkpoint struct {
	// Origin, Size and Root are the checkpoint's: the log's name, the
	// number of events it covers and the Merkle root (base64).
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
	// Checkpoint is the signed note, to keep where the operator cannot
	// change it.
	Checkpoint string `json:"checkpoint"`
	// Seq is its sequence in LEDGER_CHECKPOINTS: a client reading its
	// copy of that stream holds the checkpoint once the copy reaches Seq.
	Seq uint64 `json:"seq"`
}

// Signer signs checkpoints for the service; serve's checkpointer is one.
type Signer interface {
	// SignCheckpoint signs and publishes a checkpoint of every event
	// stored now, or returns the last one when it covers them all. Errors
	// are *domain.Error values where the request cannot be met (serve has
	// no key: KindInvalid, field "key"). Safe for concurrent use:
	// signatures are taken one at a time.
	SignCheckpoint(ctx context.Context) (Checkpoint, error)
}

// checkpoint answers CheckpointSubject.
func (s *Service) checkpoint(ctx context.Context, req micro.Request) (any, error) {
	if data := bytes.TrimSpace(req.Data()); len(data) > 0 {
		var none struct{}
		if err := domain.DecodeStrict(data, &none, "the request", func(name string) string {
			return fmt.Sprintf("unknown field %q: a checkpoint request takes none (send {} or nothing)", name)
		}); err != nil {
			return nil, err
		}
	}
	caller, err := s.caller(req)
	if err != nil {
		return nil, err
	}
	if err := access.Audit(caller, "sign a checkpoint"); err != nil {
		return nil, err
	}
	if s.opt.Checkpoints == nil {
		return nil, domain.Invalid("key", "this ledger service signs no checkpoints: it was started without one")
	}
	return s.opt.Checkpoints.SignCheckpoint(ctx)
}

// Checkpoint asks the ledger service to sign a checkpoint now and
// returns it. The caller needs the right to audit (access.Audit).
func (c *Client) Checkpoint(ctx context.Context) (Checkpoint, error) {
	var out Checkpoint
	err := c.send(ctx, &nats.Msg{Subject: CheckpointSubject, Data: []byte("{}")}, &out)
	var timeout *timeoutError
	if errors.As(err, &timeout) {
		return out, fmt.Errorf("the ledger service did not answer in time: a checkpoint may or may not have been signed (asking again is safe: it signs only what is new): %w", timeout.err)
	}
	return out, err
}
