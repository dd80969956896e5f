// Package notify tells stakeholders what was decided about their requests,
// by outgoing webhooks that follow the Standard Webhooks specification
// (https://www.standardwebhooks.com): each notification is a signed POST
// (webhook-id, webhook-timestamp, webhook-signature: v1 HMAC-SHA256 over
// "id.timestamp.body" with the subscription's whsec_ secret).
//
// It owns the subscriptions file (<data dir>/notify: who is told what, and
// the secrets that sign for them), the signing and its verification, and the
// Deliverer, which serve runs: one durable consumer of the ledger's stream
// per subscription, so that every notification is delivered at least once,
// in order, with the same webhook-id on every retry, across restarts and
// crashes. Which events concern which request and requester is the query
// package's Stakeholders fold.
//
// notify imports domain and query and the standard library; it must not
// import the NATS client (the event store is reached through the small
// Source interface), projections, replay or any edge.
package notify
