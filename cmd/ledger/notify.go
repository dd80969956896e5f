package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/notify"
	"github.com/decisionledger/ledger/query"
)

// notifyFile is the subscriptions file serve re-reads: <data dir>/notify.
func (a *app) notifyFile() string { return filepath.Join(a.dataDir, "notify") }

func (a *app) notifyCommand() *cobra.Command {
	types := strings.Join(query.NotificationTypes(), ", ")
	c := &cobra.Command{
		Use:     "notify",
		GroupID: "run",
		Short:   "Tell stakeholders what was decided about their requests, by signed webhooks",
		Long: `A subscription makes serve POST a JSON notification to a URL each time a
request of the product is decided (accepted, rejected, deferred, withdrawn)
and when the backlog item it became is delivered, with who decided, in which
role, why and the reason code. --actor narrows it to the requests of some
requesters (a stakeholder's own requests), --type to some kinds:
` + types + `.

The webhooks follow the Standard Webhooks specification
(https://www.standardwebhooks.com): each carries webhook-id, webhook-timestamp
and webhook-signature ("v1," and the base64 of the HMAC-SHA256 of
"id.timestamp.body" under the subscription's secret, whsec_...), so any
Standard Webhooks library verifies them. Delivery is at least once: a
receiver that fails, answers other than 2xx or takes over 15 s gets the same
notification again, with the same webhook-id, after 1 s, 2 s, 4 s... up to
10 min between tries, for as long as it takes; the next notification waits,
so they arrive in order. A notification serve was sending when it stopped or
died is sent again when it starts.

"notify add" prints the subscription's id and its secret (give the secret to
the receiver; "notify list" never shows it). Subscriptions live in
<data dir>/notify (mode 0600, it holds the secrets); a running serve reads it
again when it changes. A subscription hears of what is decided from the
moment it is added. See docs/notify.md for the payload and how to verify it.`,
		Example: `  ledger notify add -p checkout --url https://hooks.example.com/ledger
  ledger notify add -p checkout --url https://crm.example.com/hooks/ledger --actor sales-anna --type request.rejected --type request.accepted
  ledger notify list
  ledger notify remove 3f9a1c2b`,
		Args: cobra.NoArgs,
		RunE: groupRunE,
	}
	var sub notify.Subscription
	add := &cobra.Command{
		Use:   "add --url URL -p PRODUCT [--actor A]... [--type T]...",
		Short: "Subscribe a URL to the product's request decisions; prints the id and the signing secret",
		Example: `  ledger notify add -p checkout --url https://hooks.example.com/ledger
  ledger notify add -p checkout --url http://127.0.0.1:9000/ledger --actor sales-anna --json   # {"id":"...","secret":"whsec_..."}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sub.URL == "" {
				return usagef("notify add needs --url: where to POST the notifications")
			}
			if a.productID == "" {
				return usagef("notify add needs -p PRODUCT: the product whose requests to hear of")
			}
			sub.Product = a.productID
			s, err := notify.Add(a.notifyFile(), sub, time.Now())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"id": s.ID, "secret": s.Secret})
			}
			fmt.Fprintf(a.stdout, "subscription %s: %s hears of %s (secret shown only now; %s keeps it to sign):\n%s\n",
				s.ID, s.URL, describe(s), a.notifyFile(), s.Secret)
			return nil
		},
	}
	add.Flags().StringVar(&sub.URL, "url", "", "the receiver's http:// or https:// URL")
	add.Flags().StringArrayVar(&sub.Actors, "actor", nil, "only the requests of this requester (repeat for several; default: every requester's)")
	add.Flags().StringArrayVar(&sub.Types, "type", nil, "only this kind of notification, one of "+types+" (repeat for several; default: all)")
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the subscriptions: id, product, URL, filters (never the secret)",
		Example: `  ledger notify list --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			subs, err := notify.List(a.notifyFile())
			if err != nil {
				return err
			}
			if a.jsonOut {
				if subs == nil {
					subs = []notify.Subscription{}
				}
				return a.printJSON(subs)
			}
			if len(subs) == 0 {
				fmt.Fprintf(a.stdout, "no subscriptions in %s (add one with \"ledger notify add -p PRODUCT --url URL\")\n", a.notifyFile())
				return nil
			}
			for _, s := range subs {
				fmt.Fprintf(a.stdout, "%s  %-12s  %s  %s  since %s\n", s.ID, s.Product, s.URL, describe(s), s.Created.Format(time.RFC3339))
			}
			return nil
		},
	}
	remove := &cobra.Command{
		Use:     "remove ID",
		Short:   "Remove a subscription; a running serve stops delivering to it",
		Example: `  ledger notify remove 3f9a1c2b`,
		Args:    positional(1, "notify remove ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := notify.Remove(a.notifyFile(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "removed subscription %s (%s)\n", s.ID, s.URL)
			return nil
		},
	}
	c.AddCommand(add, list, remove)
	return c
}

// describe says what a subscription hears of.
func describe(s notify.Subscription) string {
	who := "every requester's requests"
	if len(s.Actors) > 0 {
		who = "the requests of " + strings.Join(s.Actors, ", ")
	}
	what := "every decision and delivery"
	if len(s.Types) > 0 {
		what = strings.Join(s.Types, ", ")
	}
	return fmt.Sprintf("%s on %s in product %s", what, who, s.Product)
}
