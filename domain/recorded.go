package domain

import (
	"encoding/json"
	"fmt"
)

// Recorded is a stored event as every edge shows it: its stream sequence
// and its envelope ({"seq":42,"id":...}).
type Recorded struct {
	Seq uint64 `json:"seq"`
	Event
}

// UnmarshalJSON reads what MarshalJSON wrote: the sequence and the
// envelope, whose payload is decoded by its type. An event this version
// cannot read keeps an Unknown payload, as Decode gives it.
func (r *Recorded) UnmarshalJSON(b []byte) error {
	var s struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	e, err := Decode(b)
	if err != nil {
		if _, unknown := e.Data.(Unknown); !unknown || e.Type == "" {
			return fmt.Errorf("recorded event at sequence %d: %w", s.Seq, err)
		}
	}
	e.Seq = s.Seq
	r.Seq, r.Event = s.Seq, e
	return nil
}
