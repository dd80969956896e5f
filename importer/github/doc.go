// Package github reads GitHub REST exports (issue objects with their
// events, one per line, or the repository-wide /repos/{o}/{r}/issues/events
// list) and maps them to the ledger's decisions (importer.Op). Pull
// requests are skipped. It is pure: bytes in, ops out; no NATS.
package github
