package service_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/audit"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// checkpointer is serve's signer as cmd/ledger wires it: the audit
// checkpointer over the store, its answer in the service's words.
type checkpointer struct{ c *audit.Checkpointer }

func (c checkpointer) SignCheckpoint(ctx context.Context) (service.Checkpoint, error) {
	p, err := c.c.Sign(ctx)
	if err != nil {
		return service.Checkpoint{}, err
	}
	return service.Checkpoint{Origin: p.Checkpoint.Origin, Size: p.Checkpoint.Size, Root: p.Checkpoint.Root.String(),
		Checkpoint: string(p.Signed), Seq: p.Seq}, nil
}

// serveSigning starts the service on a demo ledger, with a checkpointer
// when key is set.
func serveSigning(t *testing.T, key *audit.Signer) (*eventstore.Store, *service.Client) {
	t.Helper()
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(t.TempDir(), "data"), Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	h := command.New(s, nil)
	_, err = demo.Seed(ctx, h, "checkout")
	require.NoError(t, err)
	opt := service.Options{Logf: t.Logf}
	if key != nil {
		opt.Checkpoints = checkpointer{audit.NewCheckpointer(s, key, t.Logf)}
	}
	svc, err := service.Start(s.Conn(), h, query.New(s, s.Snapshots()), opt)
	require.NoError(t, err)
	t.Cleanup(svc.Stop)
	return s, service.NewClient(client(t, s.ClientURL()))
}

// TestCheckpointEndpoint: a client of the listener has serve sign a
// checkpoint with serve's key; asked again with nothing new, it gets the
// same one; the clients' copy of LEDGER_CHECKPOINTS holds it at the
// sequence the answer names.
func TestCheckpointEndpoint(t *testing.T) {
	skey, vkey, err := audit.GenerateKey(audit.DefaultOrigin)
	require.NoError(t, err)
	key, err := audit.NewSigner(skey)
	require.NoError(t, err)
	verifier, err := audit.NewVerifier(vkey)
	require.NoError(t, err)
	s, c := serveSigning(t, key)
	ctx := context.Background()

	cp, err := c.Checkpoint(ctx)
	require.NoError(t, err)
	opened, err := audit.OpenCheckpoint([]byte(cp.Checkpoint), verifier)
	require.NoError(t, err)
	assert.Equal(t, int64(163), cp.Size)
	assert.Equal(t, opened.Size, cp.Size)
	assert.Equal(t, opened.Root.String(), cp.Root)
	assert.Equal(t, audit.DefaultOrigin, cp.Origin)

	again, err := c.Checkpoint(ctx)
	require.NoError(t, err)
	assert.Equal(t, cp, again, "nothing new: the same checkpoint")

	var kept []byte
	require.NoError(t, s.ReadCheckpoints(ctx, func(r eventstore.CheckpointRecord) error {
		if r.Seq == cp.Seq {
			kept = r.Data
		}
		return nil
	}))
	assert.Equal(t, cp.Checkpoint, string(kept))
}

func TestCheckpointEndpointRefusals(t *testing.T) {
	s, c := serveSigning(t, nil)
	ctx := context.Background()
	_, err := c.Checkpoint(ctx)
	require.Error(t, err)
	assert.Equal(t, domain.KindInvalid, domain.KindOf(err))
	assert.Equal(t, "key", domain.FieldOf(err))
	assert.Contains(t, err.Error(), "signs no checkpoints")

	msg := request(t, client(t, s.ClientURL()), service.CheckpointSubject, `{"size":3}`)
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	assert.Contains(t, string(msg.Data), `unknown field \"size\": a checkpoint request takes none`)
}
