package query

import "github.com/decisionledger/ledger/projections"

// The element types of the views, named here so that edges print them
// without importing projections.
type (
	// Item is a backlog item as the backlog view shows it.
	Item = projections.Item
	// Score is an item's score with its recomputed value.
	Score = projections.Score
	// DecisionRef cites the last decision about an item or request.
	DecisionRef = projections.DecisionRef
	// Decision is one decision of a transparency-log chain.
	Decision = projections.Decision
	// Period is one period of the roadmap view.
	Period = projections.Period
	// Override is an item a rank decision jumped over although its score
	// was higher.
	Override = projections.Override
)
