// Package jira reads Jira REST search results with their change history
// ({"issues":[...]} from /rest/api/2/search?expand=changelog, one file or
// several pages) and maps them to the ledger's decisions (importer.Op).
// Priorities, statuses and resolutions are matched by id, never by their
// localized names. It is pure: bytes in, ops out; no NATS.
package jira
