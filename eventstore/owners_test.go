package eventstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOwners: the first instance to ask takes a product and keeps it
// while it renews; another instance is told who owns it; a lease given
// back is taken at once; and the lease of an instance that stopped
// renewing (killed: here a key nobody renews) is taken after the TTL.
func TestOwners(t *testing.T) {
	ctx := testCtx(t)
	s := openTemp(t)
	a, err := s.Owners(ctx, "a", time.Second)
	require.NoError(t, err)
	assert.True(t, s.chain.clustered, "with other instances writing, appends keep to the product's check")
	b, err := s.Owners(ctx, "b", time.Second)
	require.NoError(t, err)
	defer b.Close()

	id, mine, err := a.Owner(ctx, "checkout")
	require.NoError(t, err)
	assert.True(t, mine, "the first to ask takes the product")
	assert.Equal(t, "a", id)
	id, mine, err = b.Owner(ctx, "checkout")
	require.NoError(t, err)
	assert.False(t, mine)
	assert.Equal(t, "a", id, "another instance is told who owns it")
	// a renews its lease: the key's revision moves on, its value stays.
	kv, err := s.JetStream().KeyValue(ctx, OwnersBucket)
	require.NoError(t, err)
	first, err := kv.Get(ctx, "checkout")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		e, err := kv.Get(ctx, "checkout")
		return err == nil && string(e.Value()) == "a" && e.Revision() > first.Revision()
	}, 30*time.Second, 50*time.Millisecond, "a renews its lease")

	a.Close()
	// An instance asking now (b may answer from what it read of the
	// owner for a quarter TTL) takes it at once.
	c, err := s.Owners(ctx, "c", time.Second)
	require.NoError(t, err)
	defer c.Close()
	id, mine, err = c.Owner(ctx, "checkout")
	require.NoError(t, err)
	assert.True(t, mine, "a lease given back is taken at once")
	assert.Equal(t, "c", id)
	id, mine, err = b.Owner(ctx, "checkout")
	require.NoError(t, err)
	assert.False(t, mine)
	assert.Contains(t, []string{"a", "c"}, id, "b names the owner it read, or the new one")
	require.Eventually(t, func() bool {
		id, _, err := b.Owner(ctx, "checkout")
		return err == nil && id == "c"
	}, 30*time.Second, 50*time.Millisecond, "b learns the new owner")

	// A lease nobody renews: an instance killed after taking "billing".
	_, err = kv.Create(ctx, "billing", []byte("ghost"))
	require.NoError(t, err)
	id, mine, err = c.Owner(ctx, "billing")
	require.NoError(t, err)
	assert.False(t, mine)
	assert.Equal(t, "ghost", id)
	require.Eventually(t, func() bool {
		_, mine, err := c.Owner(ctx, "billing")
		return err == nil && mine
	}, 30*time.Second, 50*time.Millisecond, "the product of an instance that stopped renewing is taken after the TTL")
}
