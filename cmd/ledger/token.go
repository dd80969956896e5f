package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/access"
)

// webFlags are serve's HTTP flags.
type webFlags struct {
	addr   string // --http; "off" for none
	tokens string // --tokens; empty: <data dir>/tokens if it exists
}

func (a *app) addHTTPFlags(c *cobra.Command) {
	c.Flags().StringVar(&a.web.addr, "http", "127.0.0.1:8080", `host:port of the HTTP API and dashboard ("off" for none); without tokens it must be a loopback address`)
	c.Flags().StringVar(&a.web.tokens, "tokens", "", "require bearer tokens from this file (default <data dir>/tokens when it exists; make them with \"ledger token add\")")
}

func (a *app) tokensFile() string {
	if a.web.tokens != "" {
		return a.web.tokens
	}
	return filepath.Join(a.dataDir, "tokens")
}

func (a *app) tokenCommand() *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "token",
		Short: "Make, list and revoke the tokens people and tools sign in with (HTTP and NATS)",
		Long: `A token lets a person or a tool (a script, a BI tool, an importer) act as one
actor, on the HTTP API (Authorization: Bearer TOKEN) and on serve's NATS
listener (nats --user ACTOR --password TOKEN, or nats --token TOKEN; the
ledger CLI takes --token or LEDGER_TOKEN). What the actor may decide still
comes from the roles the ledger records. A token speaks for its own actor
only; one made with --on-behalf may also relay decisions for others (an
importer, a tracker's webhook, a bot), and each event then records who
relayed it. One made with --audit may have serve sign an audit checkpoint
("ledger audit checkpoint" from another machine, and prove and export
without --checkpoint).

"token add" prints the token once and appends only its SHA-256 hash to the
tokens file (default <data dir>/tokens), which "ledger serve" re-reads when
it changes: a revoked token stops working at once, and its open event
streams and NATS connections are closed. Once a token exists, serve
refuses callers without one; with none, serve is a single-user tool on
loopback (local mode).`,
		Example: `  ledger token add nina
  ledger token add importer --on-behalf
  ledger token add compliance --audit
  ledger token list
  ledger token revoke 3f9a1c2b`,
		Args: cobra.NoArgs,
		RunE: groupRunE,
	}
	c.PersistentFlags().StringVar(&file, "tokens", "", "the tokens file (default <data dir>/tokens)")
	path := func() string {
		if file != "" {
			return file
		}
		return filepath.Join(a.dataDir, "tokens")
	}
	var rights access.Rights
	add := &cobra.Command{
		Use:   "add ACTOR",
		Short: "Make a token for ACTOR; it is printed once, only its hash is kept",
		Example: `  ledger token add nina       # then: curl -H "Authorization: Bearer ldg_..." http://127.0.0.1:8080/api/v1/products
                              #   or: nats --server nats://127.0.0.1:4222 --user nina --password ldg_... micro ls
  ledger token add importer --on-behalf   # may record decisions for others; the events say it relayed them
  ledger token add compliance --audit     # may have serve sign a checkpoint: ledger --nats URL --token ldg_... audit checkpoint`,
		Args: positional(1, "token add ACTOR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := path()
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return err
			}
			tok, info, err := access.AddTokenWith(p, args[0], rights, a.now())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"id": info.ID, "actor": info.Actor, "onBehalf": info.OnBehalf, "audit": info.Audit, "created": info.Created, "token": tok, "file": p})
			}
			may := "acts as " + info.Actor
			if info.OnBehalf {
				may += ", and may relay decisions for other actors"
			}
			if info.Audit {
				may += ", and may have serve sign audit checkpoints"
			}
			fmt.Fprintf(a.stdout, "token %s for %s (%s; shown only now, %s keeps its hash):\n%s\n", info.ID, info.Actor, may, p, tok)
			return nil
		},
	}
	add.Flags().BoolVar(&rights.OnBehalf, "on-behalf", false, "let this token record decisions for other actors (an importer, a webhook, a bot); each event then records who relayed it")
	add.Flags().BoolVar(&rights.Audit, "audit", false, "let this token have serve sign an audit checkpoint (ledger audit checkpoint, and prove and export without --checkpoint)")
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the tokens: id, actor, rights, when made (never the token)",
		Example: `  ledger token list --tokens /etc/ledger/tokens`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := access.ListTokens(path())
			if err != nil {
				return err
			}
			if a.jsonOut {
				if ts == nil {
					ts = []access.Token{}
				}
				return a.printJSON(ts)
			}
			if len(ts) == 0 {
				fmt.Fprintf(a.stdout, "no tokens in %s: serve runs in local mode (make one with \"ledger token add ACTOR\")\n", path())
				return nil
			}
			for _, t := range ts {
				var rights []string
				if t.OnBehalf {
					rights = append(rights, "on-behalf")
				}
				if t.Audit {
					rights = append(rights, "audit")
				}
				fmt.Fprintf(a.stdout, "%s  %-12s  %-15s  %s\n", t.ID, t.Actor, strings.Join(rights, ","), t.Created.Format(time.RFC3339))
			}
			return nil
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID|ACTOR",
		Short: "Revoke a token by its id, or every token of an actor",
		Example: `  ledger token revoke 3f9a1c2b   # one token
  ledger token revoke nina       # all of nina's`,
		Args: positional(1, "token revoke ID|ACTOR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			gone, err := access.RevokeToken(path(), args[0])
			if errors.Is(err, fs.ErrNotExist) {
				return usagef("no tokens file at %s: nothing to revoke", path())
			}
			if err != nil {
				return err
			}
			for _, t := range gone {
				fmt.Fprintf(a.stdout, "revoked token %s of %s\n", t.ID, t.Actor)
			}
			return nil
		},
	}
	c.AddCommand(add, list, revoke)
	return c
}
