// Package hook takes the trackers' webhooks in: GitHub's issues and
// issue_comment events, Jira's issue and comment events with their
// changelog, and the deliveries of Bugzilla's Webhooks extension. It owns
// the hooks file (<data dir>/hooks: each hook's tracker, product, map
// file and secret), the checking of each tracker's signature or shared
// secret, and the turning of a delivery into the tracker's export shape.
//
// A delivery is not a second import path: each issue's deliveries
// accumulate into the record an export would hold of it, and the hook's
// records together are imported as one export, by the same import
// (command.ImportRequest) that "ledger import" runs. The import is
// idempotent, so what a run of deliveries records is what an export of
// the same history records. It imports command's request type and
// importer (the map file, the formats); the durable records and the
// deliveries taken come through the small Store interface
// (eventstore.Deliveries in serve), so it imports no NATS, and never an
// edge.
package hook
