package access

import (
	"fmt"

	"github.com/decisionledger/ledger/domain"
)

// Act decides who a request acts as. caller is the identity the edge
// authenticated, nil when there is none to hold the request to: local
// mode, or the ledger's own account (serve itself, another instance of
// it). named is the actor the request names, "" when it names none.
//
// It returns the actor the decision is recorded for and, when the caller
// acts for someone else, who relayed it. A caller may always act as its
// own actor; it may act for another only with the right to relay. Every
// refusal is a KindUnauthorized error that says what to do.
func Act(caller *Identity, named string) (actor, relayedBy string, err error) {
	if caller == nil {
		if named == "" {
			return "", "", domain.Invalid("actor", "say who is deciding: give the actor (--as, or LEDGER_ACTOR)")
		}
		return named, "", nil
	}
	if named == "" || named == caller.Actor {
		if caller.Actor == LocalActor {
			return "", "", domain.Invalid("actor", "say who is deciding: give the actor (--as, or LEDGER_ACTOR)")
		}
		return caller.Actor, "", nil
	}
	if !caller.Relay {
		return "", "", &domain.Error{Kind: domain.KindUnauthorized, Field: "actor",
			Msg: fmt.Sprintf("%s may not act as %s: a token speaks for its own actor; leave the actor out, or use a token made with \"ledger token add %s --on-behalf\" to relay decisions for others", caller.Actor, named, caller.Actor)}
	}
	return named, caller.Actor, nil
}

// Relay decides whether caller may record, in one request, decisions
// that many actors took: an import, whose events are the decisions of the
// tracker's people and of the map's importer, never the caller's own. It
// needs the right to act for others (a token made with --on-behalf, or
// the local credential); in local mode, or from the ledger's own account
// (caller nil), nothing is relayed. It returns who relays the decisions
// (the events' relayedBy), "" for a nil caller. what names the request
// in the refusal ("import").
func Relay(caller *Identity, what string) (relayedBy string, err error) {
	if caller == nil {
		return "", nil
	}
	if !caller.Relay {
		return "", &domain.Error{Kind: domain.KindUnauthorized, Field: "actor",
			Msg: fmt.Sprintf("%s may not %s: it records the decisions of other people, which needs the right to act for others; use a token made with \"ledger token add %s --on-behalf\", or run it on the machine that holds the data directory", caller.Actor, what, caller.Actor)}
	}
	return caller.Actor, nil
}

// Audit decides whether caller may have serve sign an audit checkpoint
// now, with the ledger's signing key. Signing changes no decision, but it
// is the operator's act: the checkpoint goes to LEDGER_CHECKPOINTS under
// the ledger's name. So it needs the right to audit (a token made with
// --audit, or the local credential); in local mode, or from the ledger's
// own account (caller nil), it is allowed. what names the request in the
// refusal ("sign a checkpoint").
func Audit(caller *Identity, what string) error {
	if caller == nil || caller.Audit {
		return nil
	}
	return &domain.Error{Kind: domain.KindUnauthorized,
		Msg: fmt.Sprintf("%s may not %s: having serve sign with the ledger's key needs the right to audit; use a token made with \"ledger token add %s --audit\", or run it on the machine that holds the data directory", caller.Actor, what, caller.Actor)}
}
