package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNotifyCommands(t *testing.T) {
	c := newCLI(t)
	var added struct{ ID, Secret string }
	require.NoError(t, json.Unmarshal([]byte(c.ok("-p", "shop", "notify", "add", "--url", "https://crm.example.com/hook", "--json")), &added))
	assert.Regexp(t, `^[0-9a-f]{8}$`, added.ID)
	assert.Regexp(t, `^whsec_[A-Za-z0-9+/=]+$`, added.Secret)
	out := c.ok("-p", "shop", "notify", "add", "--url", "http://127.0.0.1:9000/x", "--actor", "sam", "--type", "request.rejected")
	assert.Contains(t, out, "request.rejected on the requests of sam in product shop")
	assert.Contains(t, out, "whsec_")

	list := c.ok("notify", "list")
	assert.Contains(t, list, added.ID)
	assert.NotContains(t, list, "whsec_", "list never shows a secret")
	var subs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(c.ok("notify", "list", "--json")), &subs))
	require.Len(t, subs, 2)
	assert.NotContains(t, subs[0], "secret")
	st, err := os.Stat(filepath.Join(c.data, "notify"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	assert.Contains(t, c.ok("notify", "remove", added.ID), "removed subscription "+added.ID)
	assert.NotContains(t, c.ok("notify", "list"), added.ID)

	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"ErrNoURL", []string{"-p", "shop", "notify", "add"}, "--url"},
		{"ErrNoProduct", []string{"notify", "add", "--url", "http://x/y"}, "-p PRODUCT"},
		{"ErrType", []string{"-p", "shop", "notify", "add", "--url", "http://x/y", "--type", "rejected"}, "request.rejected"},
		{"ErrNotFound", []string{"notify", "remove", "nope"}, "ledger notify list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := c.run(tc.args...)
			require.Error(t, o.err)
			assert.NotZero(t, o.code)
			assert.Contains(t, o.err.Error()+o.stderr, tc.msg, strings.Join(tc.args, " "))
		})
	}
}
