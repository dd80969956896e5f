package importer

import "github.com/decisionledger/ledger/domain"

// Link returns raw when provenance may keep it as a link (see
// domain.SourceLinkOK: an absolute http or https URL with a host), else
// "". Every format's link goes through it: into an event's source, by
// Plan, and into the whys the formats write, by WithLink.
func Link(raw string) string {
	if raw == "" || !domain.SourceLinkOK(raw) {
		return ""
	}
	return raw
}

// WithLink appends " (link)" to text when raw is a link Link keeps, and
// nothing otherwise.
func WithLink(text, raw string) string {
	if l := Link(raw); l != "" {
		return text + " (" + l + ")"
	}
	return text
}
