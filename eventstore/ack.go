package eventstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
)

// An acknowledgement is a reply on core NATS: anyone who may subscribe to
// ledger.> on the server can answer a publish before the stream does, and
// the first answer wins. So Append believes an acknowledgement only once
// the stream itself, asked at the acknowledged sequence, holds the write's
// last event there.

// errForgedAck is wrapped by the error of an acknowledgement that does not
// belong to the write it answers.
var errForgedAck = errors.New("acknowledgement does not match the write")

// confirmWait bounds how long Append looks in the stream for its events
// after a false acknowledgement: the true write may still be on its way.
const confirmWait = 3 * time.Second

// checkAck verifies an acknowledgement of the write whose last event has
// id lastID: it must name the LEDGER stream, a sequence past expect
// (unless it reports a duplicate, whose first copy may predate expect),
// and the message stored at that sequence must carry lastID. It returns
// an error wrapping errForgedAck when any of that fails.
func (s *Store) checkAck(ctx context.Context, stream string, seq, expect uint64, duplicate bool, lastID string) error {
	switch {
	case stream != StreamName:
		return fmt.Errorf("%w: it names stream %q, not %s", errForgedAck, stream, StreamName)
	case seq == 0 || (!duplicate && seq <= expect):
		return fmt.Errorf("%w: sequence %d is not past the expected %d", errForgedAck, seq, expect)
	}
	id, found, err := s.msgIDAt(ctx, seq)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: stream %s holds no message at sequence %d", errForgedAck, StreamName, seq)
	}
	if id != lastID {
		return fmt.Errorf("%w: the message at sequence %d is event %q, not %s", errForgedAck, seq, id, lastID)
	}
	return nil
}

// msgIDAt returns the Nats-Msg-Id of the message at seq, asking the stream
// leader (a direct get may be answered by a replica that lags behind the
// acknowledgement); found is false when there is no message there.
func (s *Store) msgIDAt(ctx context.Context, seq uint64) (id string, found bool, err error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	req, err := json.Marshal(struct {
		Seq uint64 `json:"seq"`
	}{seq})
	if err != nil {
		return "", false, err
	}
	if s.ns != nil {
		// The embedded server is the stream's only copy, so a direct get
		// cannot lag behind the acknowledgement, and it answers with the
		// stored headers as they are, with no JSON to decode.
		return s.directMsgIDAt(ctx, seq, req)
	}
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+StreamName, req)
	if err != nil {
		return "", false, fmt.Errorf("reading back sequence %d: %w", seq, err)
	}
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Header []byte `json:"hdrs"`
		} `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return "", false, fmt.Errorf("reading back sequence %d: bad answer from JetStream: %w", seq, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return "", false, nil
	case resp.Error != nil:
		return "", false, fmt.Errorf("reading back sequence %d: %w", seq, resp.Error)
	case resp.Message == nil:
		return "", false, fmt.Errorf("reading back sequence %d: empty answer from JetStream", seq)
	}
	if len(resp.Message.Header) == 0 {
		return "", true, nil
	}
	// The header block is "NATS/1.0" followed by MIME headers.
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(resp.Message.Header)))
	if _, err := r.ReadLine(); err != nil {
		return "", false, fmt.Errorf("reading back sequence %d: bad headers: %w", seq, err)
	}
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return "", false, fmt.Errorf("reading back sequence %d: bad headers: %w", seq, err)
	}
	return h.Get(HeaderMsgID), true, nil
}

// confirm finds out, after a false acknowledgement, what became of the
// write: it looks for the events in the stream, right after expect, where
// the expected-sequence check would have put them. Found, they are stored
// (once: JetStream took them in one write) and their true sequences are
// returned. It gives up, with an error wrapping forged, when another
// event holds the place (the write was refused) or when they do not show
// up within confirmWait; it never reports success for events it has not
// read back.
func (s *Store) confirm(ctx context.Context, events []domain.Event, expect uint64, forged error) ([]uint64, error) {
	product := events[0].Product
	deadline := time.Now().Add(confirmWait)
	for {
		// The product's last sequence is read first: if it is past
		// expect, the place after expect was taken before the scan, and
		// the scan shows whether by these events.
		last, lerr := s.LastSeq(ctx, product)
		seqs, all, err := s.stored(ctx, events, position{after: expect}, len(events))
		if err != nil {
			return nil, fmt.Errorf("appending %d events to product %q: %w; and checking the stream failed: %w", len(events), product, forged, err)
		}
		if all {
			return seqs, nil
		}
		if lerr == nil && last > expect {
			return nil, fmt.Errorf("appending %d events to product %q: %w; they are not stored (another event followed sequence %d): someone on the NATS server answers publishes to ledger.>, restrict its permissions", len(events), product, forged, expect)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("appending %d events to product %q: %w; they were not found in the stream within %s: someone on the NATS server answers publishes to ledger.>, restrict its permissions; retrying the command is safe, its event ids are deduplicated", len(events), product, forged, confirmWait)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("appending %d events to product %q: %w; whether they are stored is unknown: %w", len(events), product, forged, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// directMsgIDAt is msgIDAt through the stream's direct get.
func (s *Store) directMsgIDAt(ctx context.Context, seq uint64, req []byte) (id string, found bool, err error) {
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.DIRECT.GET."+StreamName, req)
	if err != nil {
		return "", false, fmt.Errorf("reading back sequence %d: %w", seq, err)
	}
	switch status := msg.Header.Get("Status"); status {
	case "":
	case "404":
		return "", false, nil
	default:
		return "", false, fmt.Errorf("reading back sequence %d: JetStream answered %s %s", seq, status, msg.Header.Get("Description"))
	}
	if got := msg.Header.Get("Nats-Sequence"); got != strconv.FormatUint(seq, 10) {
		return "", false, fmt.Errorf("reading back sequence %d: JetStream answered with sequence %q", seq, got)
	}
	return msg.Header.Get(HeaderMsgID), true, nil
}
