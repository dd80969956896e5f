package main

import (
	"strconv"

	"github.com/spf13/cobra"
)

func (a *app) productCommand() *cobra.Command {
	create := a.writeCommand(writeSpec{
		use:     "create ID --name N --pm ACTOR --po ACTOR",
		short:   "Create a product and name its first Product Manager and Product Owner",
		example: `  ledger product create checkout --name "Web checkout" --pm pam --po olga --as pam`,
		args:    []string{"id"}, why: whyOptional,
		flags: func(c *cobra.Command) {
			c.Flags().String("name", "", "product name (required)")
			c.Flags().String("pm", "", "first Product Manager (required)")
			c.Flags().String("po", "", "first Product Owner (required)")
			_ = c.MarkFlagRequired("name")
			_ = c.MarkFlagRequired("pm")
			_ = c.MarkFlagRequired("po")
		},
	})
	return group("product", "Create products", create)
}

func (a *app) roleCommand() *cobra.Command {
	mk := func(verb, short, example string) *cobra.Command {
		return a.writeCommand(writeSpec{
			use: verb + " ACTOR ROLE", short: short, example: example,
			args: []string{"actor", "role"}, why: whyRequired,
		})
	}
	return group("role", "Assign or revoke roles (pm, po, stakeholder, team): Product Manager only",
		mk("assign", "Give an actor a role; assigning po hands the Product Owner role over",
			`  ledger role assign sally stakeholder --why "Voice of Sales" --as pam
  ledger role assign nina po --why "Olga moves to the platform team" --as pam`),
		mk("revoke", "Take a role away from an actor",
			`  ledger role revoke tom team --why "Moved to another product" --as pam`),
	)
}

func (a *app) visionCommand() *cobra.Command {
	set := a.writeCommand(writeSpec{
		use: "set --vision V [--metric M]... --why W", short: "State the product vision and success metrics (Product Manager)",
		example: `  ledger vision set --vision "The fastest checkout in Europe" --metric "conversion +5%" --metric "p95 < 2s" --why "Board review" --as pam`,
		why:     whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("vision", "", "the vision (required)")
			c.Flags().StringArray("metric", nil, "a success metric (repeat for more)")
			_ = c.MarkFlagRequired("vision")
		},
	})
	return group("vision", "State the vision and success metrics", set)
}

func (a *app) goalCommand() *cobra.Command {
	set := a.writeCommand(writeSpec{
		use: "set --goal G --why W", short: "Set the product goal (Product Owner)",
		example: `  ledger goal set --goal "Cards and wallets before BNPL" --why "Q2 planning" --as olga`,
		why:     whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("goal", "", "the product goal (required)")
			_ = c.MarkFlagRequired("goal")
		},
	})
	return group("goal", "Set the product goal", set)
}

// periodForms says what --period takes: every form domain.ParsePeriod
// reads, the ones the importers write included.
const periodForms = "a quarter 2027-Q1, a half 2027-H1, a month 2027-03, a day 2027-03-15, a year 2027, " +
	"or a release release:NAME or release:NAME@YYYY-MM-DD (its date)"

func (a *app) roadmapCommand() *cobra.Command {
	plan := a.writeCommand(writeSpec{
		use: "plan ID --title T --period P [--objective O] --why W", short: "Put an item on the roadmap for a quarter, a month or a release (Product Manager)",
		example: `  ledger roadmap plan R-WALLETS --title "Wallet payments" --period 2027-Q1 --objective "Mobile conversion" --why "Top customer ask" --as pam
  ledger roadmap plan R-SSO --title "Single sign-on" --period release:2.0@2027-06-30 --why "Enterprise deals wait for it" --as pam`,
		args: []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("title", "", "title (required)")
			c.Flags().String("period", "", "target period (required): "+periodForms)
			c.Flags().String("objective", "", "the objective it serves")
			_ = c.MarkFlagRequired("title")
			_ = c.MarkFlagRequired("period")
		},
	})
	reschedule := a.writeCommand(writeSpec{
		use: "reschedule ID --period P --why W", short: "Move a roadmap item to another quarter, month or release (Product Manager)",
		example: `  ledger roadmap reschedule R-WALLETS --period 2027-Q2 --why "Vendor SDK late" --as pam
  ledger roadmap reschedule R-SSO --period release:2.1 --why "The identity provider's API changed" --as pam`,
		args: []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("period", "", "the new period (required): "+periodForms)
			_ = c.MarkFlagRequired("period")
		},
	})
	drop := a.writeCommand(writeSpec{
		use: "drop ID --why W", short: "Drop an item from the roadmap for good (Product Manager)",
		example: `  ledger roadmap drop R-FAX --why "No customer uses fax any more" --as pam`,
		args:    []string{"id"}, why: whyRequired,
	})
	rank := a.writeCommand(writeSpec{
		use: "rank ID (--top|--bottom|--above X|--below X) --why W", short: "Move a roadmap item in the strategic order (Product Manager)",
		example: `  ledger roadmap rank R-WALLETS --above R-BNPL --why "Wallets drive mobile revenue" --as pam`,
		args:    []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) { placementFlags(c, "roadmap item") },
	})
	return group("roadmap", "Plan, reschedule, rank and drop roadmap items", plan, reschedule, drop, rank)
}

func (a *app) itemCommand() *cobra.Command {
	addCmd := a.writeCommand(writeSpec{
		use: "add ID --title T [--kind story|epic|bug|spike] [--epic E] [--roadmap R]", short: "Add an item to the bottom of the backlog (Product Owner)",
		example: `  ledger item add PAY-7 --title "Save card for next time" --epic PAY --roadmap R-ONECLICK --as olga`,
		args:    []string{"id"}, why: whyOptional,
		flags: func(c *cobra.Command) {
			c.Flags().String("title", "", "title (required)")
			c.Flags().String("kind", "story", "story, epic, bug or spike")
			c.Flags().String("detail", "", "longer description")
			c.Flags().String("epic", "", "the epic it belongs to")
			c.Flags().String("roadmap", "", "the roadmap item it serves")
			_ = c.MarkFlagRequired("title")
		},
	})
	refineCmd := a.writeCommand(writeSpec{
		use: "refine ID [--title T] [--detail D] [--roadmap R] --why W", short: "Change an item's title, detail or the roadmap item it serves (Product Owner)",
		example: `  ledger item refine PAY-7 --title "Save card (EU only)" --why "Legal review: EU first" --as olga`,
		args:    []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("title", "", "new title")
			c.Flags().String("detail", "", "new description")
			c.Flags().String("roadmap", "", "move it to serve this roadmap item")
		},
	})
	rankCmd := a.writeCommand(writeSpec{
		use: "rank ID (--top|--bottom|--above X|--below X) [--score FRAMEWORK:k=v,...] --why W", short: "Move an item in the backlog order, optionally with its score (Product Owner)",
		example: `  ledger item rank PAY-7 --above PAY-3 --why "Card saving lifts repeat purchases" --as olga
  ledger item rank PAY-7 --top --score RICE:reach=800,impact=2,confidence=0.8,effort=3 --why "Best RICE" --as olga
  ledger item rank PAY-9 --below PAY-7 --score WSJF:bv=8,tc=5,rr=3,size=5 --why "Regulatory date" --as olga`,
		args: []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) {
			placementFlags(c, "item")
			c.Flags().String("score", "", "score inputs: RICE:reach=,impact=,confidence=,effort= or WSJF:bv=,tc=,rr=,size=")
		},
	})
	removeCmd := a.writeCommand(writeSpec{
		use: "remove ID --why W", short: "Remove an item from the backlog for good (Product Owner)",
		example: `  ledger item remove PAY-4 --why "Superseded by PAY-7" --as olga`,
		args:    []string{"id"}, why: whyRequired,
	})
	estimateCmd := a.writeCommand(writeSpec{
		use: "estimate ID --points N", short: "Record the team's estimate (Team)",
		example: `  ledger item estimate PAY-7 --points 5 --as tom`,
		args:    []string{"id"}, why: whyOptional,
		flags: func(c *cobra.Command) {
			c.Flags().Float64("points", 0, "estimate in points (required)")
			_ = c.MarkFlagRequired("points")
		},
	})
	startCmd := a.writeCommand(writeSpec{
		use: "start ID", short: "Record that the team started an item (Team)",
		example: `  ledger item start PAY-7 --as tom`,
		args:    []string{"id"}, why: whyOptional,
	})
	deliverCmd := a.writeCommand(writeSpec{
		use: "deliver ID [--release R]", short: "Record that the team delivered an item (Team)",
		example: `  ledger item deliver PAY-7 --release 2026.06 --as tom`,
		args:    []string{"id"}, why: whyOptional,
		flags: func(c *cobra.Command) { c.Flags().String("release", "", "release name") },
	})
	return group("item", "Add, refine, rank, remove, estimate, start and deliver backlog items",
		addCmd, refineCmd, rankCmd, removeCmd, estimateCmd, startCmd, deliverCmd)
}

func (a *app) requestCommand() *cobra.Command {
	submitCmd := a.writeCommand(writeSpec{
		use: "submit ID --title T [--detail D] [--why BUSINESS-CASE] [--repeats OLD-ID]", short: "Ask the Product Owner for a change (any role)",
		example: `  ledger request submit REQ-12 --title "Pay by invoice" --why "Three B2B deals blocked" --as sally
  ledger request submit REQ-19 --title "Pay by invoice, EU only" --repeats REQ-12 --why "Narrower ask" --as sally`,
		args: []string{"id"}, why: whyOptional, whyHelp: "the business case",
		flags: func(c *cobra.Command) {
			c.Flags().String("title", "", "what is asked for (required)")
			c.Flags().String("detail", "", "more detail")
			c.Flags().String("repeats", "", "an earlier request this one re-submits")
			_ = c.MarkFlagRequired("title")
		},
	})
	acceptCmd := a.writeCommand(writeSpec{
		use: "accept ID --item ITEM [--title T] [--roadmap R] --why W", short: "Accept a request into a backlog item, creating it if new (Product Owner)",
		example: `  ledger request accept REQ-12 --item PAY-20 --title "Invoice payment" --roadmap R-B2B --why "Unblocks B2B deals" --as olga`,
		args:    []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("item", "", "the backlog item it becomes (required; created if it does not exist)")
			c.Flags().String("title", "", "title of the new item (default the request's title)")
			c.Flags().String("roadmap", "", "roadmap item the new item serves")
			_ = c.MarkFlagRequired("item")
		},
	})
	rejectCmd := a.writeCommand(writeSpec{
		use: "reject ID --reason CODE --why W", short: "Turn a request down with a reason code (Product Owner)",
		example: `  ledger request reject REQ-13 --reason out-of-scope --why "We sell online only" --as olga`,
		args:    []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("reason", "", "out-of-scope, low-value, duplicate, not-feasible, conflicts-with-vision or other (required)")
			_ = c.MarkFlagRequired("reason")
		},
	})
	deferCmd := a.writeCommand(writeSpec{
		use: "defer ID --until DATE --why W", short: "Postpone the decision on a request (Product Owner)",
		example: `  ledger request defer REQ-14 --until 2027-01-15 --why "Revisit after the peak season freeze" --as olga`,
		args:    []string{"id"}, why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().String("until", "", "date to decide by, YYYY-MM-DD (required)")
			_ = c.MarkFlagRequired("until")
		},
	})
	withdrawCmd := a.writeCommand(writeSpec{
		use: "withdraw ID", short: "Take back your own request (the requester)",
		example: `  ledger request withdraw REQ-12 --as sally`,
		args:    []string{"id"}, why: whyOptional,
	})
	return group("request", "Submit, accept, reject, defer and withdraw stakeholder requests",
		submitCmd, acceptCmd, rejectCmd, deferCmd, withdrawCmd)
}

// formatPoints prints an estimate without a needless decimal part.
func formatPoints(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }
