package domain

import (
	"encoding/json"
	"fmt"
)

// Schema versions: every event type starts at SchemaV1; a type whose wire
// shape changed has a later current version, and an upcaster for each
// older one, so that old events stay readable. Decode upcasts: the event
// it returns carries the current schema and payload, whatever the stored
// bytes say (the bytes themselves never change: the audit tree commits to
// them).

// SchemaBacklogItemEstimatedV2 is BacklogItemEstimated's current schema:
// the estimate became a value with its unit ({"estimate":{"value":5,
// "unit":"points"}}), where v1 had a bare number ({"points":5}), so that
// estimates in other units can come without a third shape.
const SchemaBacklogItemEstimatedV2 = 2

// estimateV1 reads BacklogItemEstimated's schema 1 ({"points":5}).
func estimateV1(raw json.RawMessage) (Payload, error) {
	var v1 struct {
		Points float64 `json:"points"`
	}
	if err := json.Unmarshal(raw, &v1); err != nil {
		return nil, err
	}
	return BacklogItemEstimated{Points: v1.Points}, nil
}

// UnitPoints is the only estimate unit the ledger knows so far.
const UnitPoints = "points"

type estimateV2 struct {
	Estimate struct {
		Value float64 `json:"value"`
		Unit  string  `json:"unit"`
	} `json:"estimate"`
}

// MarshalJSON writes schema 2: {"estimate":{"value":5,"unit":"points"}}.
func (p BacklogItemEstimated) MarshalJSON() ([]byte, error) {
	var w estimateV2
	w.Estimate.Value, w.Estimate.Unit = p.Points, UnitPoints
	return json.Marshal(w)
}

// UnmarshalJSON reads schema 2; v1 is read by its upcaster.
func (p *BacklogItemEstimated) UnmarshalJSON(b []byte) error {
	var w estimateV2
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Estimate.Unit != UnitPoints {
		return fmt.Errorf("estimate unit %q is not known: this ledger reads %q", w.Estimate.Unit, UnitPoints)
	}
	p.Points = w.Estimate.Value
	return nil
}
