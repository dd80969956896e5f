// Package access decides who a caller is and whom they may act for, the
// same way on every edge: the NATS listener, the NATS service and the HTTP
// API.
//
// A caller is identified by a secret: a token from the tokens file
// ("ledger token add ACTOR"), which speaks for one actor, or the local
// credential that "ledger serve" keeps in the data directory for the CLI
// on the same machine. A request then names the actor who decides, and
// Act says whether the caller may: its own actor always; another one only
// when the caller was granted the right to act for others (an importer, a
// tracker's webhook, a bot: "ledger token add bot --on-behalf"; the local
// credential, because whoever can read the data directory can act as
// anyone anyway), and the event then records who relayed it. Audit says
// whether the caller may have serve sign an audit checkpoint with the
// ledger's key: a token granted the right ("ledger token add ACTOR
// --audit") or the local credential may. Without any
// token the ledger is in local mode: one user on loopback, who names
// whoever decides. What the actor may decide is not this package's
// business: the rules decide that from the roles the ledger records.
//
// access imports domain (for its errors) and the standard library only.
package access
