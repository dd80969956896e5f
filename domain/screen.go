package domain

import (
	"fmt"
	"time"
)

// Screen says why an event read from a stream cannot be decided at all,
// "" when it can: bytes this version cannot read (Unknown.Reason), an
// envelope of another product than the one read, ids that are no subject
// tokens, an unknown aggregate kind, a subject that is not the one the
// envelope names (ledger.checkout.item.X.Y, or ledger.checkout alone), a
// business time ahead of the stream's own clock, more bytes than an event
// may have, or a signature that is not the ledger's. It needs no state:
// the validating fold (Gate) screens every event with it before it runs
// the rules again, and a reader that shows events without folding them
// (the event stream) or that reads the whole stream (audit verify) gives
// the same reasons. product is the product whose events are being read,
// "" to take the envelope's.
func Screen(e Event, product string) string {
	if u, unknown := e.Data.(Unknown); unknown {
		return u.Reason()
	}
	if e.Data == nil {
		return "this version cannot read it: it has no data"
	}
	if product != "" && e.Product != product {
		return fmt.Sprintf("the envelope names product %q, not %q", e.Product, product)
	}
	if err := CheckID("product", e.Product); err != nil {
		return err.Error()
	}
	if !e.Aggregate.Kind.valid() {
		return fmt.Sprintf("unknown aggregate kind %q", e.Aggregate.Kind)
	}
	if err := CheckID("aggregate", e.Aggregate.ID); err != nil {
		return err.Error()
	}
	if st := e.Stored; st != nil {
		if st.Subject != "" && st.Subject != e.Subject() {
			return fmt.Sprintf("stored under %s, but the envelope says %s", st.Subject, e.Subject())
		}
		if !st.Time.IsZero() && e.OccurredAt.After(st.Time.Add(MaxClockSkew)) {
			return fmt.Sprintf("dated %s, after the stream stored it (%s)", e.OccurredAt.UTC().Format(time.RFC3339), st.Time.UTC().Format(time.RFC3339))
		}
		if len(st.Data) > MaxEventBytes {
			return fmt.Sprintf("%d bytes: over the limit of %d", len(st.Data), MaxEventBytes)
		}
		if st.SigState == SigInvalid {
			return "its signature is not the ledger's"
		}
	}
	return ""
}
