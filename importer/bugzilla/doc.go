// Package bugzilla reads Bugzilla REST exports (bug objects with their
// history and comments, as {"bugs":[...]} or one bug per line) and maps
// them to the ledger's decisions (importer.Op). It is pure: bytes in, ops
// out; it imports no NATS and writes nothing.
package bugzilla
