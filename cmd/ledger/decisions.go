package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/domain"
)

func (a *app) productCommand() *cobra.Command {
	var name, pm, po string
	create := a.writeCommand(writeSpec{
		use:     "create ID --name N --pm ACTOR --po ACTOR",
		short:   "Create a product and name its first Product Manager and Product Owner",
		example: `  ledger product create checkout --name "Web checkout" --pm pam --po olga --as pam`,
		arg:     "ID", why: whyOptional,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&name, "name", "", "product name (required)")
			c.Flags().StringVar(&pm, "pm", "", "first Product Manager (required)")
			c.Flags().StringVar(&po, "po", "", "first Product Owner (required)")
			_ = c.MarkFlagRequired("name")
			_ = c.MarkFlagRequired("pm")
			_ = c.MarkFlagRequired("po")
		},
		build: func(args []string) (domain.Action, error) {
			a.productID = args[0]
			return domain.CreateProduct{Name: name, PM: pm, PO: po}, nil
		},
	})
	return group("product", "Create products", create)
}

func (a *app) roleCommand() *cobra.Command {
	mk := func(verb, short, example string, revoke bool) *cobra.Command {
		return a.writeCommand(writeSpec{
			use: verb + " ACTOR ROLE", short: short, example: example,
			arg: "ACTOR", extraArgs: 1, why: whyRequired,
			build: func(args []string) (domain.Action, error) {
				role := domain.Role(args[1])
				if revoke {
					return domain.RevokeRole{Actor: args[0], Role: role}, nil
				}
				return domain.AssignRole{Actor: args[0], Role: role}, nil
			},
		})
	}
	return group("role", "Assign or revoke roles (pm, po, stakeholder, team): Product Manager only",
		mk("assign", "Give an actor a role; assigning po hands the Product Owner role over",
			`  ledger role assign sally stakeholder --why "Voice of Sales" --as pam
  ledger role assign nina po --why "Olga moves to the platform team" --as pam`, false),
		mk("revoke", "Take a role away from an actor",
			`  ledger role revoke tom team --why "Moved to another product" --as pam`, true),
	)
}

func (a *app) visionCommand() *cobra.Command {
	var vision string
	var metrics []string
	set := a.writeCommand(writeSpec{
		use: "set --vision V [--metric M]... --why W", short: "State the product vision and success metrics (Product Manager)",
		example: `  ledger vision set --vision "The fastest checkout in Europe" --metric "conversion +5%" --metric "p95 < 2s" --why "Board review" --as pam`,
		why:     whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&vision, "vision", "", "the vision (required)")
			c.Flags().StringArrayVar(&metrics, "metric", nil, "a success metric (repeat for more)")
			_ = c.MarkFlagRequired("vision")
		},
		build: func([]string) (domain.Action, error) {
			return domain.StateVision{Vision: vision, Metrics: metrics}, nil
		},
	})
	return group("vision", "State the vision and success metrics", set)
}

func (a *app) goalCommand() *cobra.Command {
	var goal string
	set := a.writeCommand(writeSpec{
		use: "set --goal G --why W", short: "Set the product goal (Product Owner)",
		example: `  ledger goal set --goal "Cards and wallets before BNPL" --why "Q2 planning" --as olga`,
		why:     whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&goal, "goal", "", "the product goal (required)")
			_ = c.MarkFlagRequired("goal")
		},
		build: func([]string) (domain.Action, error) { return domain.SetGoal{Goal: goal}, nil },
	})
	return group("goal", "Set the product goal", set)
}

func (a *app) roadmapCommand() *cobra.Command {
	var title, period, objective, newPeriod string
	var p placement
	plan := a.writeCommand(writeSpec{
		use: "plan ID --title T --period P [--objective O] --why W", short: "Put an item on the roadmap for a quarter (Product Manager)",
		example: `  ledger roadmap plan R-WALLETS --title "Wallet payments" --period 2027-Q1 --objective "Mobile conversion" --why "Top customer ask" --as pam`,
		arg:     "ID", why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&title, "title", "", "title (required)")
			c.Flags().StringVar(&period, "period", "", "target quarter such as 2027-Q1 (required)")
			c.Flags().StringVar(&objective, "objective", "", "the objective it serves")
			_ = c.MarkFlagRequired("title")
			_ = c.MarkFlagRequired("period")
		},
		build: func(args []string) (domain.Action, error) {
			return domain.PlanRoadmapItem{ID: args[0], Title: title, Period: period, Objective: objective}, nil
		},
	})
	reschedule := a.writeCommand(writeSpec{
		use: "reschedule ID --period P --why W", short: "Move a roadmap item to another quarter (Product Manager)",
		example: `  ledger roadmap reschedule R-WALLETS --period 2027-Q2 --why "Vendor SDK late" --as pam`,
		arg:     "ID", why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&newPeriod, "period", "", "the new quarter (required)")
			_ = c.MarkFlagRequired("period")
		},
		build: func(args []string) (domain.Action, error) {
			return domain.RescheduleRoadmapItem{ID: args[0], Period: newPeriod}, nil
		},
	})
	drop := a.writeCommand(writeSpec{
		use: "drop ID --why W", short: "Drop an item from the roadmap for good (Product Manager)",
		example: `  ledger roadmap drop R-FAX --why "No customer uses fax any more" --as pam`,
		arg:     "ID", why: whyRequired,
		build: func(args []string) (domain.Action, error) { return domain.DropRoadmapItem{ID: args[0]}, nil },
	})
	rank := a.writeCommand(writeSpec{
		use: "rank ID (--top|--bottom|--above X|--below X) --why W", short: "Move a roadmap item in the strategic order (Product Manager)",
		example: `  ledger roadmap rank R-WALLETS --above R-BNPL --why "Wallets drive mobile revenue" --as pam`,
		arg:     "ID", why: whyRequired,
		flags: func(c *cobra.Command) { p.flags(c, "roadmap item") },
		build: func(args []string) (domain.Action, error) {
			return domain.RankRoadmapItem{ID: args[0], Position: p.position()}, nil
		},
	})
	return group("roadmap", "Plan, reschedule, rank and drop roadmap items", plan, reschedule, drop, rank)
}

func (a *app) itemCommand() *cobra.Command {
	var add domain.AddItem
	var kind string
	var refine domain.RefineItem
	var p placement
	var score, release string
	var points float64
	addCmd := a.writeCommand(writeSpec{
		use: "add ID --title T [--kind story|epic|bug|spike] [--epic E] [--roadmap R]", short: "Add an item to the bottom of the backlog (Product Owner)",
		example: `  ledger item add PAY-7 --title "Save card for next time" --epic PAY --roadmap R-ONECLICK --as olga`,
		arg:     "ID", why: whyOptional,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&add.Title, "title", "", "title (required)")
			c.Flags().StringVar(&kind, "kind", "story", "story, epic, bug or spike")
			c.Flags().StringVar(&add.Detail, "detail", "", "longer description")
			c.Flags().StringVar(&add.Epic, "epic", "", "the epic it belongs to")
			c.Flags().StringVar(&add.Roadmap, "roadmap", "", "the roadmap item it serves")
			_ = c.MarkFlagRequired("title")
		},
		build: func(args []string) (domain.Action, error) {
			add.ID, add.Kind = args[0], domain.ItemKind(kind)
			return add, nil
		},
	})
	refineCmd := a.writeCommand(writeSpec{
		use: "refine ID [--title T] [--detail D] [--roadmap R] --why W", short: "Change an item's title, detail or the roadmap item it serves (Product Owner)",
		example: `  ledger item refine PAY-7 --title "Save card (EU only)" --why "Legal review: EU first" --as olga`,
		arg:     "ID", why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&refine.Title, "title", "", "new title")
			c.Flags().StringVar(&refine.Detail, "detail", "", "new description")
			c.Flags().StringVar(&refine.Roadmap, "roadmap", "", "move it to serve this roadmap item")
		},
		build: func(args []string) (domain.Action, error) { refine.ID = args[0]; return refine, nil },
	})
	rankCmd := a.writeCommand(writeSpec{
		use: "rank ID (--top|--bottom|--above X|--below X) [--score FRAMEWORK:k=v,...] --why W", short: "Move an item in the backlog order, optionally with its score (Product Owner)",
		example: `  ledger item rank PAY-7 --above PAY-3 --why "Card saving lifts repeat purchases" --as olga
  ledger item rank PAY-7 --top --score RICE:reach=800,impact=2,confidence=0.8,effort=3 --why "Best RICE" --as olga
  ledger item rank PAY-9 --below PAY-7 --score WSJF:bv=8,tc=5,rr=3,size=5 --why "Regulatory date" --as olga`,
		arg: "ID", why: whyRequired,
		flags: func(c *cobra.Command) {
			p.flags(c, "item")
			c.Flags().StringVar(&score, "score", "", "score inputs: RICE:reach=,impact=,confidence=,effort= or WSJF:bv=,tc=,rr=,size=")
		},
		build: func(args []string) (domain.Action, error) {
			r := domain.RankItem{ID: args[0], Position: p.position()}
			if score != "" {
				sc, err := parseScore(score)
				if err != nil {
					return nil, err
				}
				r.Score = sc
			}
			return r, nil
		},
	})
	removeCmd := a.writeCommand(writeSpec{
		use: "remove ID --why W", short: "Remove an item from the backlog for good (Product Owner)",
		example: `  ledger item remove PAY-4 --why "Superseded by PAY-7" --as olga`,
		arg:     "ID", why: whyRequired,
		build: func(args []string) (domain.Action, error) { return domain.RemoveItem{ID: args[0]}, nil },
	})
	estimateCmd := a.writeCommand(writeSpec{
		use: "estimate ID --points N", short: "Record the team's estimate (Team)",
		example: `  ledger item estimate PAY-7 --points 5 --as tom`,
		arg:     "ID", why: whyOptional,
		flags: func(c *cobra.Command) {
			c.Flags().Float64Var(&points, "points", 0, "estimate in points (required)")
			_ = c.MarkFlagRequired("points")
		},
		build: func(args []string) (domain.Action, error) {
			return domain.EstimateItem{ID: args[0], Points: points}, nil
		},
	})
	startCmd := a.writeCommand(writeSpec{
		use: "start ID", short: "Record that the team started an item (Team)",
		example: `  ledger item start PAY-7 --as tom`,
		arg:     "ID", why: whyOptional,
		build: func(args []string) (domain.Action, error) { return domain.StartWork{ID: args[0]}, nil },
	})
	deliverCmd := a.writeCommand(writeSpec{
		use: "deliver ID [--release R]", short: "Record that the team delivered an item (Team)",
		example: `  ledger item deliver PAY-7 --release 2026.06 --as tom`,
		arg:     "ID", why: whyOptional,
		flags: func(c *cobra.Command) { c.Flags().StringVar(&release, "release", "", "release name") },
		build: func(args []string) (domain.Action, error) {
			return domain.DeliverWork{ID: args[0], Release: release}, nil
		},
	})
	return group("item", "Add, refine, rank, remove, estimate, start and deliver backlog items",
		addCmd, refineCmd, rankCmd, removeCmd, estimateCmd, startCmd, deliverCmd)
}

func (a *app) requestCommand() *cobra.Command {
	var submit domain.SubmitRequest
	var accept domain.AcceptRequest
	var reason, until string
	submitCmd := a.writeCommand(writeSpec{
		use: "submit ID --title T [--detail D] [--why BUSINESS-CASE] [--repeats OLD-ID]", short: "Ask the Product Owner for a change (any role)",
		example: `  ledger request submit REQ-12 --title "Pay by invoice" --why "Three B2B deals blocked" --as sally
  ledger request submit REQ-19 --title "Pay by invoice, EU only" --repeats REQ-12 --why "Narrower ask" --as sally`,
		arg: "ID", why: whyOptional, whyHelp: "the business case",
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&submit.Title, "title", "", "what is asked for (required)")
			c.Flags().StringVar(&submit.Detail, "detail", "", "more detail")
			c.Flags().StringVar(&submit.Repeats, "repeats", "", "an earlier request this one re-submits")
			_ = c.MarkFlagRequired("title")
		},
		build: func(args []string) (domain.Action, error) { submit.ID = args[0]; return submit, nil },
	})
	// The business case is the --why of a submission.
	submitRun := submitCmd.RunE
	submitCmd.RunE = func(cmd *cobra.Command, args []string) error {
		submit.BusinessCase, _ = cmd.Flags().GetString("why")
		return submitRun(cmd, args)
	}
	acceptCmd := a.writeCommand(writeSpec{
		use: "accept ID --item ITEM [--title T] [--roadmap R] --why W", short: "Accept a request into a backlog item, creating it if new (Product Owner)",
		example: `  ledger request accept REQ-12 --item PAY-20 --title "Invoice payment" --roadmap R-B2B --why "Unblocks B2B deals" --as olga`,
		arg:     "ID", why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&accept.Item, "item", "", "the backlog item it becomes (required; created if it does not exist)")
			c.Flags().StringVar(&accept.Title, "title", "", "title of the new item (default the request's title)")
			c.Flags().StringVar(&accept.Roadmap, "roadmap", "", "roadmap item the new item serves")
			_ = c.MarkFlagRequired("item")
		},
		build: func(args []string) (domain.Action, error) { accept.ID = args[0]; return accept, nil },
	})
	rejectCmd := a.writeCommand(writeSpec{
		use: "reject ID --reason CODE --why W", short: "Turn a request down with a reason code (Product Owner)",
		example: `  ledger request reject REQ-13 --reason out-of-scope --why "We sell online only" --as olga`,
		arg:     "ID", why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&reason, "reason", "", "out-of-scope, low-value, duplicate, not-feasible, conflicts-with-vision or other (required)")
			_ = c.MarkFlagRequired("reason")
		},
		build: func(args []string) (domain.Action, error) {
			return domain.RejectRequest{ID: args[0], Reason: domain.ReasonCode(reason)}, nil
		},
	})
	deferCmd := a.writeCommand(writeSpec{
		use: "defer ID --until DATE --why W", short: "Postpone the decision on a request (Product Owner)",
		example: `  ledger request defer REQ-14 --until 2027-01-15 --why "Revisit after the peak season freeze" --as olga`,
		arg:     "ID", why: whyRequired,
		flags: func(c *cobra.Command) {
			c.Flags().StringVar(&until, "until", "", "date to decide by, YYYY-MM-DD (required)")
			_ = c.MarkFlagRequired("until")
		},
		build: func(args []string) (domain.Action, error) {
			return domain.DeferRequest{ID: args[0], Until: until}, nil
		},
	})
	withdrawCmd := a.writeCommand(writeSpec{
		use: "withdraw ID", short: "Take back your own request (the requester)",
		example: `  ledger request withdraw REQ-12 --as sally`,
		arg:     "ID", why: whyOptional,
		build: func(args []string) (domain.Action, error) { return domain.WithdrawRequest{ID: args[0]}, nil },
	})
	return group("request", "Submit, accept, reject, defer and withdraw stakeholder requests",
		submitCmd, acceptCmd, rejectCmd, deferCmd, withdrawCmd)
}

// formatPoints prints an estimate without a needless decimal part.
func formatPoints(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }
