package eventstore

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpen_OneShotOpensNoListener(t *testing.T) {
	// Another program holds the port serve would use by default.
	busy, err := net.Listen("tcp", "127.0.0.1:4222")
	if err != nil {
		t.Skipf("cannot hold 127.0.0.1:4222 for the test: %v", err)
	}
	defer busy.Close()
	dir := t.TempDir()
	s, err := Open(testCtx(t), Options{DataDir: dir})
	require.NoError(t, err, "a one-shot Open needs no port")
	defer func() { require.NoError(t, s.Close()) }()
	assert.Empty(t, s.ClientURL())
	o := readOwner(dir)
	assert.Equal(t, os.Getpid(), o.PID)
	assert.Empty(t, o.URL, "only a serving process publishes a URL")
}

func TestOpen_SecondServeIsRefusedAtOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	a, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Close()) }()

	start := time.Now()
	_, err = Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0"})
	require.ErrorIs(t, err, ErrServed)
	assert.Less(t, time.Since(start), time.Second, "no wait for the owner")
	var served *ServedError
	require.ErrorAs(t, err, &served)
	assert.Equal(t, ServedError{Dir: dir, PID: os.Getpid(), URL: a.ClientURL()}, *served)
	assert.Equal(t, fmt.Sprintf("data directory %q is already served by process %d at %s: use that one, or stop it first", dir, os.Getpid(), a.ClientURL()), err.Error())

	// A one-shot Open still connects to the owner.
	c, err := Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	assert.False(t, c.Embedded())
	require.NoError(t, c.Close())
}

func TestOpen_ServeOnATakenAddressFailsAtOnce(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	dir := t.TempDir()
	start := time.Now()
	_, err = Open(testCtx(t), Options{DataDir: dir, Listen: busy.Addr().String()})
	require.Error(t, err)
	assert.Less(t, time.Since(start), time.Second)
	assert.Contains(t, err.Error(), "cannot listen on "+busy.Addr().String())
	_, err = os.Stat(dir + "/" + ownerFile)
	assert.ErrorIs(t, err, os.ErrNotExist, "no owner recorded")
}
