package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/hook"
)

func (a *app) hooksFile() string { return filepath.Join(a.dataDir, "hooks") }

// hookURL is where the tracker sends hook h's deliveries: for Bugzilla,
// whose Webhooks extension sends no secret of its own, with the secret.
func hookURL(base string, h hook.Hook) string {
	u := strings.TrimRight(base, "/") + "/hooks/" + h.Tracker + "/" + h.ID
	if h.Tracker == "bugzilla" {
		u += "?secret=" + url.QueryEscape(h.Secret)
	}
	return u
}

func (a *app) hookCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "hook",
		Short: "Wire a tracker's webhooks to a product: its changes recorded as they happen",
		Long: `A hook takes a tracker's webhooks into one product: each delivery is checked
against the hook's secret, added to the issue's history, and recorded by the
same import as "ledger import" (same map file, same lifecycle, same
provenance), so a history that arrives by webhooks is the ledger an export
of it makes. A delivery seen before is recorded once. Every event a hook
records names it as its relay (relayedBy hook-<tracker>-<id>); the
decisions carry the tracker's people, as the map names them.

"hook add" makes the secret and prints the URL to paste into the tracker;
serve takes the hooks in <data dir>/hooks (mode 0600: it holds the secrets)
and re-reads it when it changes. The trackers must reach serve's HTTP API:
serve --http 0.0.0.0:8080 with tokens (see "ledger token"), behind TLS.

Where to paste the URL and the secret:
  GitHub    repository Settings > Webhooks > Add webhook: Payload URL,
            Content type "application/json", Secret; "Let me select
            individual events": Issues and Issue comments.
  Jira      (Cloud) Settings > System > WebHooks > Create a WebHook: URL,
            Secret; events: Issue created and updated, Comment created;
            JQL "project = KEY". A Jira without a Secret field: append
            ?secret=SECRET to the URL.
  Bugzilla  Preferences > Webhooks (bugzilla.mozilla.org's Webhooks
            extension): Name, URL (it carries the secret: Bugzilla sends
            none), events Create and Change (and Comment), product and
            component.

docs/hooks.md walks through each.`,
		Example: `  ledger hook add github -p shop --map map.json --public-url https://ledger.example.org
  ledger hook add jira -p shop --json
  ledger hook list
  ledger hook remove 3f9a1c2b`,
		Args: cobra.NoArgs,
		RunE: groupRunE,
	}
	var mapFile, base string
	add := &cobra.Command{
		Use:   "add github|jira|bugzilla -p PRODUCT",
		Short: "Make a hook of a tracker for a product; prints the URL and the secret to paste into the tracker",
		Long: `Make a hook: a new secret, and the URL the tracker is to send its webhooks
to. The secret is printed once here (serve keeps it, to check signatures);
"hook list" never shows it. With --json: {"id","url","secret"}.

--map is the import's map file (who holds which role, which priorities
order the backlog, which resolutions reject...), as for "ledger import": a
hook and an import of the same tracker into the same product should use the
same one. --public-url is the address the tracker reaches serve's HTTP API
at.`,
		Example: `  ledger hook add github -p shop --map map.json --public-url https://ledger.example.org
  ledger hook add bugzilla -p firefox --public-url https://ledger.example.org --json`,
		Args: positional(1, "hook add github|jira|bugzilla -p PRODUCT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.productID == "" {
				return usagef("say which product the tracker's history goes to: ledger hook add %s -p PRODUCT", args[0])
			}
			if err := domain.CheckID("product", a.productID); err != nil {
				return err
			}
			var m []byte
			if mapFile != "" {
				var err error
				if m, err = os.ReadFile(mapFile); err != nil {
					return fmt.Errorf("--map: %w", err)
				}
			}
			if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
				return err
			}
			h, err := hook.Add(a.hooksFile(), args[0], a.productID, m, a.now())
			if err != nil {
				return err
			}
			u := hookURL(base, h)
			if a.jsonOut {
				return a.printJSON(map[string]any{"id": h.ID, "url": u, "secret": h.Secret, "tracker": h.Tracker, "product": h.Product})
			}
			fmt.Fprintf(a.stdout, "hook %s: %s into product %s (the secret is shown only now; %s keeps it)\n", h.ID, h.Tracker, h.Product, a.hooksFile())
			fmt.Fprintf(a.stdout, "URL:    %s\nsecret: %s\n", u, h.Secret)
			switch h.Tracker {
			case "github":
				fmt.Fprintln(a.stdout, "GitHub: Settings > Webhooks > Add webhook; Content type application/json; events Issues and Issue comments")
			case "jira":
				fmt.Fprintln(a.stdout, "Jira: Settings > System > WebHooks > Create a WebHook; Secret as above; Issue created, updated and Comment created")
			case "bugzilla":
				fmt.Fprintln(a.stdout, "Bugzilla: Preferences > Webhooks; the URL carries the secret; events Create and Change")
			}
			return nil
		},
	}
	add.Flags().StringVar(&mapFile, "map", "", "the import's map file (JSON), as for \"ledger import\"; default: the tracker's defaults")
	add.Flags().StringVar(&base, "public-url", "http://127.0.0.1:8080", "the address at which the tracker reaches serve's HTTP API")
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the hooks: id, tracker, product, when made (never the secret)",
		Example: `  ledger hook list --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			hooks, err := hook.List(a.hooksFile())
			if err != nil {
				return err
			}
			type shown struct {
				ID      string    `json:"id"`
				Tracker string    `json:"tracker"`
				Product string    `json:"product"`
				Map     bool      `json:"map"`
				Created time.Time `json:"created"`
			}
			out := []shown{}
			for _, h := range hooks {
				out = append(out, shown{h.ID, h.Tracker, h.Product, len(h.Map) > 0, h.Created})
			}
			if a.jsonOut {
				return a.printJSON(out)
			}
			if len(out) == 0 {
				fmt.Fprintf(a.stdout, "no hooks in %s: make one with \"ledger hook add github|jira|bugzilla -p PRODUCT\"\n", a.hooksFile())
				return nil
			}
			for _, h := range out {
				m := "defaults"
				if h.Map {
					m = "map file"
				}
				fmt.Fprintf(a.stdout, "%s  %-8s  %-15s  %-8s  %s\n", h.ID, h.Tracker, h.Product, m, h.Created.Format(time.RFC3339))
			}
			return nil
		},
	}
	remove := &cobra.Command{
		Use:     "remove ID",
		Short:   "Remove a hook: serve refuses its deliveries at once; what it recorded stays",
		Example: `  ledger hook remove 3f9a1c2b`,
		Args:    positional(1, "hook remove ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := hook.Remove(a.hooksFile(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "removed hook %s (%s into %s): delete its webhook in the tracker too\n", h.ID, h.Tracker, h.Product)
			return nil
		},
	}
	c.AddCommand(add, list, remove)
	return c
}
