package demo

import (
	"fmt"
	"time"

	d "github.com/decisionledger/ledger/domain"
)

// script accumulates the demo's commands in time order.
type script struct {
	product string
	cmds    []d.Command
}

// at parses "01-05 09:00" as a time in 2026, UTC.
func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-"+s)
	if err != nil {
		panic(err)
	}
	return t
}

func (s *script) add(when, actor, why string, a d.Action) {
	s.cmds = append(s.cmds, d.Command{
		ID: fmt.Sprintf("demo-%03d", len(s.cmds)+1), Product: s.product,
		Actor: actor, At: at(when), Why: why, Action: a,
	})
}

func top() d.Position             { return d.Position{Place: d.PlaceTop} }
func bottom() d.Position          { return d.Position{Place: d.PlaceBottom} }
func above(ref string) d.Position { return d.Position{Place: d.PlaceAbove, Ref: ref} }
func below(ref string) d.Position { return d.Position{Place: d.PlaceBelow, Ref: ref} }
func rice(reach, impact, conf, effort float64) *d.Score {
	return &d.Score{Framework: "RICE", Inputs: map[string]float64{"reach": reach, "impact": impact, "confidence": conf, "effort": effort}}
}
func wsjf(bv, tc, rr, size float64) *d.Score {
	return &d.Score{Framework: "WSJF", Inputs: map[string]float64{"bv": bv, "tc": tc, "rr": rr, "size": size}}
}

// The cast.
const (
	pam   = "pam"   // Product Manager
	olga  = "olga"  // Product Owner until May
	nina  = "nina"  // Product Owner from May
	tom   = "tom"   // team
	tara  = "tara"  // team
	sally = "sally" // Sales
	sam   = "sam"   // Support
	fiona = "fiona" // Finance
	carl  = "carl"  // customer advisory board
)

// Commands returns the demo history for product, in time order. Command
// ids are demo-001, demo-002, ...; times are fixed, so the history is the
// same on every run.
func Commands(product string) []d.Command {
	s := &script{product: product}
	s.kickOff()
	s.quarter1()
	s.quarter2()
	s.quarter3()
	return s.cmds
}

func (s *script) kickOff() {
	s.add("01-05 09:00", pam, "", d.CreateProduct{Name: "Web Checkout", PM: pam, PO: olga})
	s.add("01-05 09:10", pam, "Kick-off: vision agreed with the leadership team",
		d.StateVision{Vision: "The fastest, most trusted checkout in Europe", Metrics: []string{
			"checkout conversion from 61% to 66%", "p95 payment time under 2 s", "payment support tickets halved"}})
	s.add("01-05 09:20", pam, "Checkout squad formed", d.AssignRole{Actor: tom, Role: d.RoleTeam})
	s.add("01-05 09:21", pam, "Checkout squad formed", d.AssignRole{Actor: tara, Role: d.RoleTeam})
	s.add("01-05 09:22", pam, "Voice of Sales", d.AssignRole{Actor: sally, Role: d.RoleStakeholder})
	s.add("01-05 09:23", pam, "Voice of Support", d.AssignRole{Actor: sam, Role: d.RoleStakeholder})
	s.add("01-05 09:24", pam, "Voice of Finance", d.AssignRole{Actor: fiona, Role: d.RoleStakeholder})
	s.add("01-05 09:25", pam, "Customer advisory board representative", d.AssignRole{Actor: carl, Role: d.RoleStakeholder})
	s.add("01-06 10:00", olga, "Card failures are the top reason for abandoned checkouts",
		d.SetGoal{Goal: "Make paying by card effortless before adding new payment methods"})

	s.add("01-06 11:00", pam, "Card failures cost us 4% of orders", d.PlanRoadmapItem{ID: "R-CARDS", Title: "Card payments revamp", Period: "2026-Q1", Objective: "Cut card payment failures by half"})
	s.add("01-06 11:05", pam, "Half our traffic is mobile and converts 30% worse", d.PlanRoadmapItem{ID: "R-WALLETS", Title: "Wallet payments", Period: "2026-Q2", Objective: "Lift mobile conversion"})
	s.add("01-06 11:10", pam, "Enterprise deals need invoice payment", d.PlanRoadmapItem{ID: "R-INVOICE", Title: "Pay by invoice for business customers", Period: "2026-Q2", Objective: "Unblock B2B revenue"})
	s.add("01-06 11:15", pam, "Legacy DACH customers still order by fax", d.PlanRoadmapItem{ID: "R-FAX", Title: "Fax and phone orders", Period: "2026-Q2", Objective: "Keep legacy customers"})

	// The backlog, epic by epic.
	s.add("01-07 09:00", olga, "", d.AddItem{ID: "CARDS", Title: "Card payments revamp", Kind: d.ItemEpic})
	s.add("01-07 09:01", olga, "", d.AddItem{ID: "CARD-1", Title: "Inline card number validation", Epic: "CARDS", Roadmap: "R-CARDS"})
	s.add("01-07 09:02", olga, "", d.AddItem{ID: "CARD-2", Title: "3-D Secure 2 challenge flow", Epic: "CARDS", Roadmap: "R-CARDS"})
	s.add("01-07 09:03", olga, "", d.AddItem{ID: "CARD-3", Title: "Save card for the next purchase", Epic: "CARDS", Roadmap: "R-CARDS"})
	s.add("01-07 09:04", olga, "", d.AddItem{ID: "CARD-4", Title: "Retry failed card payments", Epic: "CARDS", Roadmap: "R-CARDS"})
	s.add("01-07 09:05", olga, "", d.AddItem{ID: "CARD-5", Title: "Expiry date rejects two-digit years", Kind: d.ItemBug, Epic: "CARDS", Roadmap: "R-CARDS"})
	s.add("01-07 09:06", olga, "", d.AddItem{ID: "CARD-6", Title: "Evaluate card tokenisation vendors", Kind: d.ItemSpike, Epic: "CARDS", Roadmap: "R-CARDS"})
	s.add("01-07 09:07", olga, "", d.AddItem{ID: "CARD-7", Title: "Card brand logos in the form", Epic: "CARDS", Roadmap: "R-CARDS"})
	s.add("01-07 09:10", olga, "", d.AddItem{ID: "WALLET", Title: "Wallet payments", Kind: d.ItemEpic})
	s.add("01-07 09:11", olga, "", d.AddItem{ID: "WAL-1", Title: "Apple Pay", Epic: "WALLET", Roadmap: "R-WALLETS"})
	s.add("01-07 09:12", olga, "", d.AddItem{ID: "WAL-2", Title: "Google Pay", Epic: "WALLET", Roadmap: "R-WALLETS"})
	s.add("01-07 09:13", olga, "", d.AddItem{ID: "WAL-3", Title: "Wallet button on the product page", Epic: "WALLET", Roadmap: "R-WALLETS"})
	s.add("01-07 09:14", olga, "", d.AddItem{ID: "WAL-4", Title: "Refunds to wallets", Epic: "WALLET", Roadmap: "R-WALLETS"})
	s.add("01-07 09:15", olga, "", d.AddItem{ID: "WAL-5", Title: "Express shipping choice in the wallet sheet", Epic: "WALLET", Roadmap: "R-WALLETS"})
	s.add("01-07 09:20", olga, "", d.AddItem{ID: "INVOICE", Title: "Invoice payment", Kind: d.ItemEpic})
	s.add("01-07 09:21", olga, "", d.AddItem{ID: "INV-1", Title: "Credit check integration", Epic: "INVOICE", Roadmap: "R-INVOICE"})
	s.add("01-07 09:22", olga, "", d.AddItem{ID: "INV-2", Title: "Invoice PDF generation", Epic: "INVOICE", Roadmap: "R-INVOICE"})
	s.add("01-07 09:23", olga, "", d.AddItem{ID: "INV-3", Title: "Payment terms per customer", Epic: "INVOICE", Roadmap: "R-INVOICE"})
	s.add("01-07 09:24", olga, "", d.AddItem{ID: "INV-4", Title: "Dunning emails", Epic: "INVOICE", Roadmap: "R-INVOICE"})
	s.add("01-07 09:25", olga, "", d.AddItem{ID: "INV-5", Title: "Company address validation", Epic: "INVOICE", Roadmap: "R-INVOICE"})
	s.add("01-07 09:30", olga, "", d.AddItem{ID: "FAX", Title: "Fax and phone orders", Kind: d.ItemEpic})
	s.add("01-07 09:31", olga, "", d.AddItem{ID: "FAX-1", Title: "Fax order intake", Epic: "FAX", Roadmap: "R-FAX"})
	s.add("01-07 09:32", olga, "", d.AddItem{ID: "FAX-2", Title: "Phone order form for agents", Epic: "FAX", Roadmap: "R-FAX"})
	s.add("01-07 09:40", olga, "", d.AddItem{ID: "OPS", Title: "Payments operations", Kind: d.ItemEpic})
	s.add("01-07 09:41", olga, "", d.AddItem{ID: "OPS-1", Title: "Payment error dashboards", Epic: "OPS"})
	s.add("01-07 09:42", olga, "", d.AddItem{ID: "OPS-2", Title: "Double charge when pressing back", Kind: d.ItemBug, Epic: "OPS"})
	s.add("01-07 09:43", olga, "", d.AddItem{ID: "OPS-3", Title: "PCI DSS 4.0 evidence", Epic: "OPS"})
	s.add("01-07 09:44", olga, "", d.AddItem{ID: "OPS-4", Title: "Upgrade the payment SDK", Epic: "OPS"})
	s.add("01-07 09:45", olga, "", d.AddItem{ID: "OPS-5", Title: "Load test checkout at three times peak", Epic: "OPS"})
	s.add("01-07 09:46", olga, "", d.AddItem{ID: "OPS-6", Title: "Timeouts on slow 3-D Secure issuers", Kind: d.ItemBug, Epic: "OPS"})
}

func (s *script) quarter1() {
	// Ordering the backlog: scores first, then a deliberate override.
	s.add("01-08 10:00", olga, "Most failed payments start with a mistyped card number",
		d.RankItem{ID: "CARD-1", Position: top(), Score: rice(12000, 1, 0.9, 2)})
	s.add("01-08 10:05", olga, "Quick fix, many customers affected",
		d.RankItem{ID: "CARD-5", Position: below("CARD-1"), Score: rice(3000, 2, 1, 1)})
	s.add("01-08 10:10", olga, "Regulatory: the PSD2 strong authentication deadline is in March; without it EU card payments stop",
		d.RankItem{ID: "CARD-2", Position: top(), Score: rice(9000, 3, 0.5, 8)})
	s.add("01-08 10:15", olga, "Customers are charged twice: fix before anything new",
		d.RankItem{ID: "OPS-2", Position: below("CARD-5")})
	s.add("01-08 10:20", olga, "Wallets are next quarter; keep them above invoice work",
		d.RankItem{ID: "WAL-1", Position: below("OPS-2")})
	s.add("01-09 14:00", tom, "", d.EstimateItem{ID: "CARD-2", Points: 8})
	s.add("01-09 14:01", tom, "", d.EstimateItem{ID: "CARD-1", Points: 3})
	s.add("01-09 14:02", tara, "", d.EstimateItem{ID: "CARD-5", Points: 1})
	s.add("01-09 14:03", tara, "", d.EstimateItem{ID: "OPS-2", Points: 2})
	s.add("01-12 09:00", tom, "", d.StartWork{ID: "CARD-2"})
	s.add("01-12 09:05", tara, "", d.StartWork{ID: "CARD-1"})

	s.add("01-14 11:00", sally, "", d.SubmitRequest{ID: "REQ-1", Title: "Pay by invoice for business customers",
		BusinessCase: "Three enterprise deals worth EUR 400k a year are blocked without invoice payment"})
	s.add("01-15 16:00", sam, "", d.SubmitRequest{ID: "REQ-2", Title: "Tell customers why their card was declined",
		BusinessCase: "30% of payment tickets ask why a card failed"})
	s.add("01-16 10:00", olga, "Already on the roadmap for Q2; this becomes its entry point",
		d.AcceptRequest{ID: "REQ-1", Item: "INV-6", Title: "Invoice checkout for verified companies", Roadmap: "R-INVOICE"})
	s.add("01-19 10:00", olga, "Cheap, and it cuts support load: part of the card revamp",
		d.AcceptRequest{ID: "REQ-2", Item: "CARD-8", Title: "Decline reason messages", Roadmap: "R-CARDS"})
	s.add("01-19 10:05", olga, "Directly serves the Q1 objective", d.RankItem{ID: "CARD-8", Position: below("CARD-5")})
	s.add("01-20 17:00", tara, "", d.DeliverWork{ID: "CARD-1", Release: "2026.01.2"})
	s.add("01-21 09:00", carl, "", d.SubmitRequest{ID: "REQ-3", Title: "Accept cryptocurrency",
		BusinessCase: "Two advisory board members asked for it"})
	s.add("01-22 15:00", tara, "", d.DeliverWork{ID: "CARD-5", Release: "2026.01.3"})
	s.add("01-23 10:00", olga, "Volatile prices and irreversible payments conflict with the most trusted checkout",
		d.RejectRequest{ID: "REQ-3", Reason: d.ReasonConflictsWithVision})
	s.add("01-26 09:30", fiona, "", d.SubmitRequest{ID: "REQ-4", Title: "Monthly payment fee report",
		BusinessCase: "Finance reconciles fees by hand every month"})
	s.add("01-28 10:00", olga, "Reporting belongs to the data platform; forwarded to their backlog",
		d.RejectRequest{ID: "REQ-4", Reason: d.ReasonOutOfScope})
	s.add("02-02 11:00", sally, "", d.SubmitRequest{ID: "REQ-5", Title: "Checkout in Polish with zloty prices",
		BusinessCase: "A Polish distributor is interested"})
	s.add("02-03 16:00", tara, "", d.DeliverWork{ID: "OPS-2", Release: "2026.02.1"})
	s.add("02-04 10:00", olga, "Poland is under 1% of revenue; translation and currency work outweigh it",
		d.RejectRequest{ID: "REQ-5", Reason: d.ReasonLowValue})
	s.add("02-06 12:00", tom, "", d.DeliverWork{ID: "CARD-6"})
	s.add("02-09 09:00", sam, "", d.SubmitRequest{ID: "REQ-6", Title: "Stop double charges on the back button",
		BusinessCase: "Angry customers every week"})
	s.add("02-10 10:00", olga, "Fixed already as OPS-2 in release 2026.02.1",
		d.RejectRequest{ID: "REQ-6", Reason: d.ReasonDuplicate})
	s.add("02-11 14:00", carl, "", d.SubmitRequest{ID: "REQ-7", Title: "One-page guest checkout",
		BusinessCase: "Account creation loses first-time buyers"})
	s.add("02-13 10:00", olga, "Revisit after the wallet launch: wallets may remove the need",
		d.DeferRequest{ID: "REQ-7", Until: "2026-06-01"})
	s.add("02-16 10:00", sally, "", d.SubmitRequest{ID: "REQ-8", Title: "Instalments through the customer's bank",
		BusinessCase: "Competitor offers it"})
	s.add("02-18 10:00", olga, "No bank partner offers bank instalments in all our markets",
		d.RejectRequest{ID: "REQ-8", Reason: d.ReasonNotFeasible})
	s.add("02-20 17:00", tom, "", d.DeliverWork{ID: "CARD-2", Release: "2026.02.3"})
	s.add("02-23 09:00", tom, "", d.StartWork{ID: "CARD-8"})
	s.add("03-02 11:00", pam, "BNPL providers now cover all our markets", d.PlanRoadmapItem{ID: "R-BNPL", Title: "Buy now, pay later", Period: "2026-Q3", Objective: "Higher basket sizes"})
	s.add("03-02 11:30", olga, "", d.AddItem{ID: "BNPL", Title: "Buy now, pay later", Kind: d.ItemEpic})
	s.add("03-02 11:31", olga, "", d.AddItem{ID: "BNPL-1", Title: "BNPL provider integration", Epic: "BNPL", Roadmap: "R-BNPL"})
	s.add("03-02 11:32", olga, "", d.AddItem{ID: "BNPL-2", Title: "BNPL eligibility check", Epic: "BNPL", Roadmap: "R-BNPL"})
	s.add("03-02 11:33", olga, "", d.AddItem{ID: "BNPL-3", Title: "BNPL in the order confirmation", Epic: "BNPL", Roadmap: "R-BNPL"})
	s.add("03-05 16:00", tom, "", d.DeliverWork{ID: "CARD-8", Release: "2026.03.1"})
	s.add("03-09 09:00", tara, "", d.StartWork{ID: "CARD-4"})
	s.add("03-10 10:00", olga, "The design system shows the card brand automatically now",
		d.RemoveItem{ID: "CARD-7"})
	s.add("03-12 17:00", tara, "", d.DeliverWork{ID: "CARD-4", Release: "2026.03.2"})
	s.add("03-13 09:00", tom, "", d.StartWork{ID: "CARD-3"})
	s.add("03-20 17:00", tom, "", d.DeliverWork{ID: "CARD-3", Release: "2026.03.3"})
	s.add("03-27 10:00", tom, "", d.DeliverWork{ID: "CARDS"})
	s.add("03-30 10:00", olga, "Wallets are the Q2 focus; ordered by expected mobile uplift",
		d.RankItem{ID: "WAL-2", Position: below("WAL-1"), Score: wsjf(8, 5, 2, 5)})
}

func (s *script) quarter2() {
	s.add("04-02 10:00", pam, "B2B deals are worth more than the mobile uplift this quarter",
		d.RankRoadmapItem{ID: "R-INVOICE", Position: above("R-WALLETS")})
	s.add("04-06 09:00", tom, "", d.StartWork{ID: "WAL-1"})
	s.add("04-06 09:05", tara, "", d.StartWork{ID: "INV-1"})
	s.add("04-08 13:00", sam, "", d.SubmitRequest{ID: "REQ-9", Title: "Apple Pay in the iPad app",
		BusinessCase: "iPad users ask support for it weekly"})
	s.add("04-10 10:00", olga, "Apple Pay is in progress as WAL-1; the iPad app gets it for free",
		d.AcceptRequest{ID: "REQ-9", Item: "WAL-1"})
	s.add("04-13 15:00", fiona, "", d.SubmitRequest{ID: "REQ-10", Title: "Credit limits for invoice payment",
		BusinessCase: "Without limits one customer could run up unlimited debt"})
	s.add("04-15 10:00", olga, "A must-have for invoice payment to go live",
		d.AcceptRequest{ID: "REQ-10", Item: "INV-7", Title: "Credit limit per company", Roadmap: "R-INVOICE"})
	s.add("04-20 11:00", pam, "The credit-check vendor contract slipped to July; legal must approve the new vendor",
		d.RescheduleRoadmapItem{ID: "R-INVOICE", Period: "2026-Q3"})
	s.add("04-21 10:00", olga, "Invoice work waits for the vendor; wallets go first",
		d.RankItem{ID: "INV-1", Position: bottom()})
	s.add("04-28 16:00", tara, "", d.DeliverWork{ID: "OPS-1", Release: "2026.04.4"})
	s.add("05-04 09:00", pam, "Olga moves to lead the platform team; Nina takes over the checkout backlog",
		d.AssignRole{Actor: nina, Role: d.RolePO})
	s.add("05-06 10:00", pam, "Only four customers still order by fax; support takes phone orders by hand",
		d.DropRoadmapItem{ID: "R-FAX"})
	s.add("05-06 10:30", nina, "Roadmap item R-FAX was dropped", d.RemoveItem{ID: "FAX-1"})
	s.add("05-06 10:31", nina, "Roadmap item R-FAX was dropped", d.RemoveItem{ID: "FAX-2"})
	s.add("05-06 10:32", nina, "Roadmap item R-FAX was dropped", d.RemoveItem{ID: "FAX"})
	s.add("05-11 14:00", carl, "", d.SubmitRequest{ID: "REQ-11", Title: "Wallet buttons on product pages",
		BusinessCase: "Board members buy on mobile straight from the product page"})
	s.add("05-12 09:00", sally, "", d.SubmitRequest{ID: "REQ-12", Title: "Checkout in Polish with zloty prices", Repeats: "REQ-5",
		BusinessCase: "Two Polish distributors signed; Poland is now 4% of revenue"})
	s.add("05-13 10:00", nina, "Already planned as WAL-3", d.AcceptRequest{ID: "REQ-11", Item: "WAL-3"})
	s.add("05-14 10:00", nina, "Poland grew from under 1% to 4% of revenue: the case has changed",
		d.AcceptRequest{ID: "REQ-12", Item: "LOC-1", Title: "Polish language and zloty prices"})
	s.add("05-15 10:00", nina, "Wallet refunds are rare; support refunds by hand at launch",
		d.RankItem{ID: "WAL-4", Position: bottom()})
	s.add("05-18 11:00", sam, "", d.SubmitRequest{ID: "REQ-13", Title: "Show the delivery date in checkout",
		BusinessCase: "Customers ask when parcels arrive"})
	s.add("05-20 16:00", tom, "", d.DeliverWork{ID: "WAL-1", Release: "2026.05.3"})
	s.add("05-20 16:30", fiona, "", d.SubmitRequest{ID: "REQ-14", Title: "Export invoices to SAP",
		BusinessCase: "Finance re-types every invoice"})
	s.add("05-22 10:00", nina, "Depends on invoice payment going live in Q3",
		d.DeferRequest{ID: "REQ-14", Until: "2026-10-01"})
	s.add("05-25 09:00", sam, "The logistics team shows delivery dates in the cart instead",
		d.WithdrawRequest{ID: "REQ-13"})
	s.add("05-26 09:00", tom, "", d.StartWork{ID: "WAL-3"})
	s.add("05-27 09:00", tara, "", d.StartWork{ID: "WAL-2"})
	s.add("06-02 10:00", nina, "Wallets shipped but first-time buyers still drop at account creation",
		d.AcceptRequest{ID: "REQ-7", Item: "CHK-1", Title: "One-page guest checkout"})
	s.add("06-03 15:00", carl, "", d.SubmitRequest{ID: "REQ-15", Title: "Loyalty points at checkout",
		BusinessCase: "Members want to pay with points"})
	s.add("06-05 10:00", nina, "Marketing owns loyalty; they will integrate through the payments API",
		d.RejectRequest{ID: "REQ-15", Reason: d.ReasonOther})
	s.add("06-08 12:00", sally, "", d.SubmitRequest{ID: "REQ-16", Title: "Klarna as a payment method",
		BusinessCase: "Retail prospects expect Klarna"})
	s.add("06-09 10:00", nina, "Covered by the buy-now-pay-later roadmap item R-BNPL",
		d.RejectRequest{ID: "REQ-16", Reason: d.ReasonDuplicate})
	s.add("06-10 11:00", pam, "French e-receipt law from 1 October; paper receipts cost EUR 80k a year",
		d.PlanRoadmapItem{ID: "R-RECEIPTS", Title: "Digital receipts", Period: "2026-Q3", Objective: "Compliance and lower cost"})
	s.add("06-11 09:00", nina, "", d.AddItem{ID: "RECEIPT", Title: "Digital receipts", Kind: d.ItemEpic})
	s.add("06-11 09:01", nina, "", d.AddItem{ID: "RCP-1", Title: "Email receipts", Epic: "RECEIPT", Roadmap: "R-RECEIPTS"})
	s.add("06-11 09:02", nina, "", d.AddItem{ID: "RCP-2", Title: "Receipt PDF download", Epic: "RECEIPT", Roadmap: "R-RECEIPTS"})
	s.add("06-11 09:03", nina, "", d.AddItem{ID: "RCP-3", Title: "VAT breakdown on receipts", Epic: "RECEIPT", Roadmap: "R-RECEIPTS"})
	s.add("06-12 16:00", tom, "", d.DeliverWork{ID: "WAL-3", Release: "2026.06.2"})
	s.add("06-18 16:00", tara, "", d.DeliverWork{ID: "OPS-6", Release: "2026.06.3"})
	s.add("06-22 10:00", nina, "Express shipping in the wallet sheet is a nice-to-have; refunds matter more",
		d.RemoveItem{ID: "WAL-5"})
	s.add("06-25 16:00", tara, "", d.DeliverWork{ID: "WAL-2", Release: "2026.06.4"})
	s.add("06-29 09:00", tom, "", d.StartWork{ID: "WAL-4"})
}

func (s *script) quarter3() {
	s.add("07-01 10:00", nina, "The credit-check vendor is signed: invoice work is back on top",
		d.RankItem{ID: "INV-1", Position: top(), Score: wsjf(9, 8, 5, 8)})
	s.add("07-06 17:00", tara, "", d.DeliverWork{ID: "INV-1", Release: "2026.07.1"})
	s.add("07-08 16:00", tom, "", d.DeliverWork{ID: "WAL-4", Release: "2026.07.1"})
	s.add("07-10 10:00", tom, "", d.DeliverWork{ID: "WALLET"})
	s.add("07-13 09:00", tara, "", d.StartWork{ID: "INV-2"})
	s.add("07-14 09:00", tom, "", d.StartWork{ID: "RCP-1"})
	s.add("07-20 17:00", tara, "", d.DeliverWork{ID: "INV-2", Release: "2026.07.3"})
	s.add("07-22 17:00", tom, "", d.DeliverWork{ID: "RCP-1", Release: "2026.07.3"})
	s.add("07-27 10:00", nina, "The French deadline is fixed; BNPL can follow",
		d.RankItem{ID: "RCP-2", Position: above("BNPL-1"), Score: wsjf(5, 9, 3, 3)})
	s.add("08-03 09:00", tom, "", d.StartWork{ID: "BNPL-1"})
	s.add("08-03 17:00", tara, "", d.DeliverWork{ID: "INV-3", Release: "2026.08.1"})
	s.add("08-10 09:00", tara, "", d.StartWork{ID: "LOC-1"})
	s.add("08-12 17:00", tom, "", d.DeliverWork{ID: "RCP-2", Release: "2026.08.2"})
	s.add("08-17 17:00", tara, "", d.DeliverWork{ID: "INV-4", Release: "2026.08.3"})
	s.add("08-20 17:00", tara, "", d.DeliverWork{ID: "LOC-1", Release: "2026.08.3"})
	s.add("08-24 17:00", tara, "", d.DeliverWork{ID: "INV-5", Release: "2026.08.4"})
	s.add("08-31 10:00", nina, "The BNPL provider's sandbox is unstable; VAT receipts are legally required first",
		d.RankItem{ID: "RCP-3", Position: above("BNPL-1"), Score: wsjf(5, 10, 3, 3)})
	s.add("09-01 17:00", tara, "", d.DeliverWork{ID: "INV-6", Release: "2026.09.1"})
	s.add("09-07 17:00", tara, "", d.DeliverWork{ID: "INV-7", Release: "2026.09.2"})
	s.add("09-10 10:00", tara, "", d.DeliverWork{ID: "INVOICE"})
	s.add("09-14 09:00", tara, "", d.StartWork{ID: "BNPL-2"})
	s.add("09-15 17:00", tom, "", d.DeliverWork{ID: "RCP-3", Release: "2026.09.3"})
	s.add("09-21 09:00", tom, "", d.StartWork{ID: "CHK-1"})
	s.add("10-05 10:00", nina, "Invoice payment is live; finance needs the export",
		d.AcceptRequest{ID: "REQ-14", Item: "INV-8", Title: "Export invoices to SAP"})
}
