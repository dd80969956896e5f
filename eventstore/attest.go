package eventstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// Attestation returns the stored.HeaderState of product's first event
// after sequence after (see AppendAttested): "" when that event carries
// none or the product has no event after it. It is one request, whatever
// the length of the stream.
func (s *Store) Attestation(ctx context.Context, product string, after uint64) (string, error) {
	if !validToken(product) {
		return "", invalidProduct(product)
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	filter := domain.ProductSubjects(product)
	req, err := json.Marshal(struct {
		Seq        uint64 `json:"seq"`
		NextBySubj string `json:"next_by_subj"`
	}{after + 1, filter})
	if err != nil {
		return "", err
	}
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+StreamName, req)
	if err != nil {
		return "", fmt.Errorf("the event of product %q after sequence %d: %w", product, after, err)
	}
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Seq     uint64 `json:"seq"`
			Subject string `json:"subject"`
			Header  []byte `json:"hdrs"`
		} `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return "", fmt.Errorf("the event of product %q after sequence %d: bad answer from JetStream: %w", product, after, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return "", nil
	case resp.Error != nil:
		return "", fmt.Errorf("the event of product %q after sequence %d: %w", product, after, resp.Error)
	case resp.Message == nil:
		return "", fmt.Errorf("the event of product %q after sequence %d: empty answer from JetStream", product, after)
	case len(resp.Message.Header) == 0:
		return "", nil
	}
	h, err := nats.DecodeHeadersMsg(resp.Message.Header)
	if err != nil {
		return "", fmt.Errorf("the event of product %q at sequence %d: its headers do not decode: %w", product, resp.Message.Seq, err)
	}
	return h.Get(stored.HeaderState), nil
}
