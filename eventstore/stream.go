package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// duplicateWindow is how long JetStream remembers event ids. Two minutes
// (the server default) covers a command's own retries; a retry after the
// window is still recognised by Append, which finds the ids in the stream
// when the product's sequence check fails. A longer window would cost
// memory per recorded event for no extra safety.
const duplicateWindow = 2 * time.Minute

// streamConfig is the LEDGER stream the ledger requires: append-only, no
// limits, atomic batches for multi-event decisions.
func streamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              StreamName,
		Description:       "Decision ledger: every decision, append-only",
		Subjects:          []string{streamSubjects},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		Replicas:          replicas,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: -1,
		// With no limits the policy never applies; should a limit ever be
		// added, new events are refused rather than old ones deleted.
		Discard:            jetstream.DiscardNew,
		Duplicates:         duplicateWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowRollup:        false,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
}

// ensureStream creates the LEDGER stream or verifies the existing one. It
// retries while a cluster elects its leaders.
func ensureStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	want := streamConfig(replicas)
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := ensureStreamOnce(ctx, js, want)
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func ensureStreamOnce(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) error {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := js.Stream(rctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(rctx, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Created meanwhile by another process, differently: verify it.
			st, err = js.Stream(rctx, StreamName)
		}
	}
	if err != nil {
		return fmt.Errorf("cannot set up stream %s: %w", StreamName, err)
	}
	if weak := weaknesses(st.CachedInfo().Config, want); len(weak) > 0 {
		return fmt.Errorf("stream %s exists but is weaker than the ledger requires: %s; the ledger will not write to it: recreate it with the ledger's settings or use another server or data directory",
			StreamName, strings.Join(weak, "; "))
	}
	return nil
}

// transient reports whether err is likely to go away on its own: a
// cluster without a meta leader yet, a request that timed out.
func transient(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503 || apiErr.Code == 408
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}

// weaknesses lists every way the existing stream's configuration could
// lose, hide or rewrite events compared with want.
func weaknesses(got, want jetstream.StreamConfig) []string {
	var w []string
	add := func(format string, a ...any) { w = append(w, fmt.Sprintf(format, a...)) }
	if !slices.Contains(got.Subjects, streamSubjects) {
		add("subjects %v do not include %s", got.Subjects, streamSubjects)
	}
	if got.Retention != jetstream.LimitsPolicy {
		add("retention is %s, which removes events once consumed (want limits)", got.Retention)
	}
	if got.Storage != jetstream.FileStorage {
		add("storage is %s (want file)", got.Storage)
	}
	if got.Replicas < want.Replicas {
		add("replicas %d (want %d)", got.Replicas, want.Replicas)
	}
	if !got.DenyDelete {
		add("deny_delete is off, so events can be deleted")
	}
	if !got.DenyPurge {
		add("deny_purge is off, so events can be purged")
	}
	if got.AllowRollup {
		add("rollups are allowed, so events can be replaced")
	}
	if got.MaxAge > 0 {
		add("max_age %s expires events", got.MaxAge)
	}
	if got.MaxMsgs > 0 {
		add("max_msgs %d limits the events", got.MaxMsgs)
	}
	if got.MaxBytes > 0 {
		add("max_bytes %d limits the events", got.MaxBytes)
	}
	if got.MaxMsgsPerSubject > 0 {
		add("max_msgs_per_subject %d limits the events", got.MaxMsgsPerSubject)
	}
	if got.AllowMsgTTL {
		add("per-message TTLs are allowed, so events can expire")
	}
	if !got.AllowAtomicPublish {
		add("atomic publish is off, so multi-event decisions cannot be stored all-or-nothing")
	}
	if got.PersistMode == jetstream.AsyncPersistMode {
		add("persist mode is async, so acknowledged events can be lost")
	}
	if got.NoAck {
		add("no_ack is on, so appends are not acknowledged")
	}
	if got.Sealed {
		add("the stream is sealed, so nothing can be appended")
	}
	if got.Mirror != nil || len(got.Sources) > 0 {
		add("the stream mirrors or sources other streams")
	}
	return w
}

// Info describes the LEDGER stream (declared in package stored, which
// audit shares).
type Info = stored.Info

// StreamInfo returns the LEDGER stream's configuration and state.
func (s *Store) StreamInfo(ctx context.Context) (Info, error) {
	info, err := s.info(ctx)
	if err != nil {
		return Info{}, err
	}
	return Info{
		Name:       info.Config.Name,
		Subjects:   info.Config.Subjects,
		Messages:   info.State.Msgs,
		FirstSeq:   info.State.FirstSeq,
		LastSeq:    info.State.LastSeq,
		Replicas:   info.Config.Replicas,
		DenyDelete: info.Config.DenyDelete,
		DenyPurge:  info.Config.DenyPurge,
		Storage:    strings.ToLower(info.Config.Storage.String()),
	}, nil
}

func (s *Store) info(ctx context.Context, opts ...jetstream.StreamInfoOpt) (*jetstream.StreamInfo, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	st, err := s.js.Stream(ctx, StreamName)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", StreamName, err)
	}
	if len(opts) == 0 {
		return st.CachedInfo(), nil
	}
	info, err := st.Info(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", StreamName, err)
	}
	return info, nil
}

// LastSeq returns the product's last stream sequence, 0 when it has no
// events. It asks the stream leader (not a direct get, which a lagging
// replica may answer), so an Append acknowledged before the call is seen.
func (s *Store) LastSeq(ctx context.Context, product string) (uint64, error) {
	if !validToken(product) {
		return 0, invalidProduct(product)
	}
	return s.lastSeq(ctx, domain.ProductSubjects(product))
}

// lastSeq returns the last sequence of a message matching filter: the
// server's last_by_subj accepts a wildcard filter.
func (s *Store) lastSeq(ctx context.Context, filter string) (uint64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	s.settle(ctx)
	req, err := json.Marshal(struct {
		LastBySubject string `json:"last_by_subj"`
	}{filter})
	if err != nil {
		return 0, err
	}
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+StreamName, req)
	if err != nil {
		return 0, fmt.Errorf("last sequence of %s: %w", filter, err)
	}
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, fmt.Errorf("last sequence of %s: bad answer from JetStream: %w", filter, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return 0, nil
	case resp.Error != nil:
		return 0, fmt.Errorf("last sequence of %s: %w", filter, resp.Error)
	case resp.Message == nil:
		return 0, fmt.Errorf("last sequence of %s: empty answer from JetStream", filter)
	}
	return resp.Message.Seq, nil
}

// Products lists, sorted, the ids of the products that have events: the
// products whose own aggregate subject ledger.<p>.product.<p> holds one.
func (s *Store) Products(ctx context.Context) ([]string, error) {
	info, err := s.info(ctx, jetstream.WithSubjectFilter("ledger.*."+string(domain.KindProduct)+".*"))
	if err != nil {
		return nil, err
	}
	var ps []string
	for subj := range info.State.Subjects {
		t := strings.Split(subj, ".")
		if len(t) == 4 && t[1] == t[3] {
			ps = append(ps, t[1])
		}
	}
	slices.Sort(ps)
	return ps, nil
}

func invalidProduct(product string) error {
	return &domain.Error{Kind: domain.KindInvalid, Field: "product",
		Msg: fmt.Sprintf("product id %q is not a single subject token (no dots, wildcards or spaces)", product)}
}
