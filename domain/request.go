package domain

import "time"

func (d *decision) request(id string) (Request, error) {
	if err := CheckID("request", id); err != nil {
		return Request{}, err
	}
	r, ok := d.s.Requests[id]
	if !ok {
		return r, notFound("request %q not found in product %q", id, d.c.Product)
	}
	return r, nil
}

// undecided finds a request the PO can still decide on.
func (d *decision) undecided(id, doing string) (Request, error) {
	r, err := d.request(id)
	if err == nil && !r.Status.Undecided() {
		err = wrongState("cannot %s request %q: it was already %s", doing, id, r.Status)
	}
	return r, err
}

// requesterRole is the role an actor submits in: any role may submit;
// a stakeholder role is preferred when the actor holds several.
func (d *decision) requesterRole() (Role, error) {
	for _, r := range []Role{RoleStakeholder, RolePO, RolePM, RoleTeam} {
		if d.s.Product.Has(d.c.Actor, r) {
			return r, nil
		}
	}
	return "", unauthorized("%s holds no role in product %q: a PM must assign one (for example \"ledger role assign %s stakeholder --why ...\") before they can submit requests", d.c.Actor, d.c.Product, d.c.Actor)
}

func (d *decision) submitRequest(a SubmitRequest) ([]Event, error) {
	if err := CheckID("request", a.ID); err != nil {
		return nil, err
	}
	if err := checkTitle("title", a.Title); err != nil {
		return nil, err
	}
	if err := checkText("detail", a.Detail, false, MaxTextLen); err != nil {
		return nil, err
	}
	if err := checkText("business case", a.BusinessCase, false, MaxTextLen); err != nil {
		return nil, err
	}
	role, err := d.requesterRole()
	if err != nil {
		return nil, err
	}
	if err := d.idInUse("request", a.ID); err != nil {
		return nil, err
	}
	if a.Repeats != "" {
		if _, err := d.request(a.Repeats); err != nil {
			return nil, err
		}
	}
	if d.c.Why == "" {
		d.c.Why = a.BusinessCase
	}
	return []Event{d.event(KindRequest, a.ID, role, RequestSubmitted{
		Title: a.Title, Detail: a.Detail, BusinessCase: a.BusinessCase, Requester: d.c.Actor, Repeats: a.Repeats,
	})}, nil
}

func (d *decision) acceptRequest(a AcceptRequest) ([]Event, error) {
	if err := CheckID("item", a.Item); err != nil {
		return nil, err
	}
	if err := checkWhy(d.c.Why, "accepting a request"); err != nil {
		return nil, err
	}
	if err := d.require(RolePO, "accept requests"); err != nil {
		return nil, err
	}
	r, err := d.undecided(a.ID, "accept")
	if err != nil {
		return nil, err
	}
	accepted := d.event(KindRequest, a.ID, RolePO, RequestAccepted{Item: a.Item})
	if it, ok := d.s.Items[a.Item]; ok {
		if a.Title != "" || a.Roadmap != "" {
			return nil, invalid("item", "item %q exists already: title and roadmap apply only when accepting into a new item", a.Item)
		}
		if !it.Status.Open() {
			return nil, wrongState("cannot accept request %q into item %q: the item is %s", a.ID, a.Item, it.Status)
		}
		return []Event{accepted}, nil
	}
	title := a.Title
	if title == "" {
		title = r.Title
	}
	added, err := d.newItem(a.Item, title, ItemStory, "", "", a.Roadmap, a.ID)
	if err != nil {
		return nil, err
	}
	return []Event{accepted, d.event(KindItem, a.Item, RolePO, added)}, nil
}

func (d *decision) rejectRequest(a RejectRequest) ([]Event, error) {
	if a.Reason == "" {
		return nil, invalid("reason", "reason is required to reject a request: one of %s", listOf(ReasonCodes))
	}
	if !ValidReason(a.Reason) {
		return nil, invalid("reason", "unknown reason code %q: use one of %s", a.Reason, listOf(ReasonCodes))
	}
	if err := checkWhy(d.c.Why, "rejecting a request"); err != nil {
		return nil, err
	}
	if err := d.require(RolePO, "reject requests"); err != nil {
		return nil, err
	}
	if _, err := d.undecided(a.ID, "reject"); err != nil {
		return nil, err
	}
	e := d.event(KindRequest, a.ID, RolePO, RequestRejected{})
	e.Reason = a.Reason
	return []Event{e}, nil
}

func (d *decision) deferRequest(a DeferRequest) ([]Event, error) {
	until, err := time.Parse(time.DateOnly, a.Until)
	if err != nil {
		return nil, invalid("until", "until %q is not a date: write it like 2027-01-31", a.Until)
	}
	if !until.After(d.at) {
		return nil, invalid("until", "until %s is not after the decision's date %s", a.Until, d.at.Format(time.DateOnly))
	}
	if err := checkWhy(d.c.Why, "deferring a request"); err != nil {
		return nil, err
	}
	if err := d.require(RolePO, "defer requests"); err != nil {
		return nil, err
	}
	if _, err := d.undecided(a.ID, "defer"); err != nil {
		return nil, err
	}
	return []Event{d.event(KindRequest, a.ID, RolePO, RequestDeferred{Until: a.Until})}, nil
}

func (d *decision) withdrawRequest(a WithdrawRequest) ([]Event, error) {
	r, err := d.request(a.ID)
	if err != nil {
		return nil, err
	}
	if r.Requester != d.c.Actor {
		return nil, unauthorized("%s may not withdraw request %q: only its requester, %s, may", d.c.Actor, a.ID, r.Requester)
	}
	if !r.Status.Undecided() {
		return nil, wrongState("cannot withdraw request %q: it was already %s", a.ID, r.Status)
	}
	role, err := d.requesterRole()
	if err != nil {
		role = r.RequesterRole // a requester keeps the right to withdraw after losing their role
	}
	return []Event{d.event(KindRequest, a.ID, role, RequestWithdrawn{})}, nil
}
