package httpapi

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// whyLinks are the links of a timeline page to the decisions page: the
// timeline's own decisions, and for a backlog item those of its epic.
type whyLinks struct {
	// Decisions is the query of the page's own decisions: the item,
	// roadmap item or request; for the product, the types of event
	// recorded on the product itself (roles, vision, goal).
	Decisions template.URL
	// Epic is the epic whose decisions an item's page links to: the
	// epic the item is under as of the page (the item itself for an
	// epic), "" for an item under none. EpicQuery is that link's query.
	Epic      string
	EpicQuery template.URL
}

// decisionsLinks works out a timeline's links to the decisions page.
func (p *pages) decisionsLinks(r *http.Request, wy query.Why, asOf string) whyLinks {
	v := url.Values{}
	switch wy.Kind {
	case domain.KindProduct:
		// The decisions filter has no field for the product aggregate:
		// the event types recorded on it say the same.
		for _, t := range domain.EventTypes() {
			if domain.KindOfType(t) == domain.KindProduct {
				v.Add("type", t)
			}
		}
	case domain.KindRoadmap:
		v.Set("roadmap", wy.ID)
	case domain.KindRequest:
		v.Set("request", wy.ID)
	default:
		v.Set("item", wy.ID)
	}
	links := whyLinks{Decisions: queryURL(v, asOf)}
	if wy.Kind != domain.KindItem {
		return links
	}
	bl, err := p.view(r, query.ViewBacklog, query.Options{AsOf: asOf, Status: "all"})
	if err != nil {
		return links // the page still shows the timeline
	}
	for _, it := range bl.(query.Backlog).Items {
		if it.ID != wy.ID {
			continue
		}
		links.Epic = it.Epic
		if it.Kind == domain.ItemEpic {
			links.Epic = it.ID
		}
	}
	if links.Epic != "" {
		links.EpicQuery = queryURL(url.Values{"epic": {links.Epic}}, asOf)
	}
	return links
}

// queryURL is the query string of v, with asOf when set.
func queryURL(v url.Values, asOf string) template.URL {
	if asOf != "" {
		v.Set("asOf", asOf)
	}
	return template.URL("?" + v.Encode())
}
