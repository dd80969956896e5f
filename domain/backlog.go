package domain

func (d *decision) item(id string) (Item, error) {
	if err := CheckID("item", id); err != nil {
		return Item{}, err
	}
	it, ok := d.s.Items[id]
	if !ok {
		return it, notFound("item %q not found in product %q", id, d.c.Product)
	}
	return it, nil
}

// openItem finds an item that is still in the backlog.
func (d *decision) openItem(id, doing string) (Item, error) {
	it, err := d.item(id)
	if err == nil && !it.Status.Open() {
		err = wrongState("cannot %s item %q: it is %s", doing, id, it.Status)
	}
	return it, err
}

func (d *decision) addItem(a AddItem) ([]Event, error) {
	if err := d.require(RolePO, "add backlog items"); err != nil {
		return nil, err
	}
	data, err := d.newItem(a.ID, a.Title, a.Kind, a.Detail, a.Epic, a.Roadmap, "")
	if err != nil {
		return nil, err
	}
	return []Event{d.event(KindItem, a.ID, RolePO, data)}, nil
}

// newItem validates a new backlog item, whether added directly or by
// accepting a request.
func (d *decision) newItem(id, title string, kind ItemKind, detail, epic, roadmap, request string) (BacklogItemAdded, error) {
	if err := CheckID("item", id); err != nil {
		return BacklogItemAdded{}, err
	}
	if err := checkTitle("title", title); err != nil {
		return BacklogItemAdded{}, err
	}
	if kind == "" {
		kind = ItemStory
	}
	if !kind.valid() {
		return BacklogItemAdded{}, invalid("kind", "unknown item kind %q: use one of %s", kind, listOf(ItemKinds))
	}
	if err := checkText("detail", detail, false, MaxTextLen); err != nil {
		return BacklogItemAdded{}, err
	}
	if err := d.idInUse("item", id); err != nil {
		return BacklogItemAdded{}, err
	}
	if epic != "" {
		if kind == ItemEpic {
			return BacklogItemAdded{}, invalid("epic", "an epic cannot belong to another epic")
		}
		e, err := d.openItem(epic, "add to epic")
		if err != nil {
			return BacklogItemAdded{}, err
		}
		if e.Kind != ItemEpic {
			return BacklogItemAdded{}, invalid("epic", "item %q is a %s, not an epic", epic, e.Kind)
		}
	}
	if roadmap != "" {
		if _, err := d.liveRoadmapItem(roadmap); err != nil {
			return BacklogItemAdded{}, err
		}
	}
	return BacklogItemAdded{Title: title, Kind: kind, Detail: detail, Epic: epic, Roadmap: roadmap, Request: request}, nil
}

func (d *decision) refineItem(a RefineItem) ([]Event, error) {
	if a.Title == "" && a.Detail == "" && a.Roadmap == "" {
		return nil, invalid("title", "nothing to refine: give a new title, detail or roadmap")
	}
	if a.Title != "" {
		if err := checkTitle("title", a.Title); err != nil {
			return nil, err
		}
	}
	if err := checkText("detail", a.Detail, false, MaxTextLen); err != nil {
		return nil, err
	}
	if err := checkWhy(d.c.Why, "refining an item"); err != nil {
		return nil, err
	}
	if err := d.require(RolePO, "refine backlog items"); err != nil {
		return nil, err
	}
	it, err := d.openItem(a.ID, "refine")
	if err != nil {
		return nil, err
	}
	if a.Roadmap != "" {
		if a.Roadmap == it.Roadmap {
			return nil, wrongState("item %q already serves roadmap item %q", a.ID, a.Roadmap)
		}
		if _, err := d.liveRoadmapItem(a.Roadmap); err != nil {
			return nil, err
		}
	}
	return []Event{d.event(KindItem, a.ID, RolePO, BacklogItemRefined{Title: a.Title, Detail: a.Detail, Roadmap: a.Roadmap})}, nil
}

func (d *decision) rankItem(a RankItem) ([]Event, error) {
	if err := checkPosition(a.Position, a.ID); err != nil {
		return nil, err
	}
	var score *Score
	if a.Score != nil {
		sc, err := NormalizeScore(*a.Score)
		if err != nil {
			return nil, err
		}
		score = &sc
	}
	if err := checkWhy(d.c.Why, "ranking an item"); err != nil {
		return nil, err
	}
	if err := d.require(RolePO, "rank the backlog"); err != nil {
		return nil, err
	}
	if _, err := d.openItem(a.ID, "rank"); err != nil {
		return nil, err
	}
	if a.Position.Ref != "" {
		if _, err := d.openItem(a.Position.Ref, "rank relative to"); err != nil {
			return nil, err
		}
	}
	return []Event{d.event(KindItem, a.ID, RolePO, BacklogItemRanked{Position: a.Position, Score: score})}, nil
}

func (d *decision) removeItem(a RemoveItem) ([]Event, error) {
	if err := checkWhy(d.c.Why, "removing an item"); err != nil {
		return nil, err
	}
	if err := d.require(RolePO, "remove backlog items"); err != nil {
		return nil, err
	}
	if _, err := d.openItem(a.ID, "remove"); err != nil {
		return nil, err
	}
	return []Event{d.event(KindItem, a.ID, RolePO, BacklogItemRemoved{})}, nil
}

func (d *decision) estimateItem(a EstimateItem) ([]Event, error) {
	if !(a.Points > 0 && a.Points <= 1000) {
		return nil, invalid("points", "points must be more than 0 and at most 1000, not %v", a.Points)
	}
	if err := d.require(RoleTeam, "estimate items"); err != nil {
		return nil, err
	}
	if _, err := d.openItem(a.ID, "estimate"); err != nil {
		return nil, err
	}
	return []Event{d.event(KindItem, a.ID, RoleTeam, BacklogItemEstimated{Points: a.Points})}, nil
}

func (d *decision) startWork(a StartWork) ([]Event, error) {
	if err := d.require(RoleTeam, "start work"); err != nil {
		return nil, err
	}
	it, err := d.item(a.ID)
	if err != nil {
		return nil, err
	}
	if it.Status != StatusNew {
		return nil, wrongState("cannot start item %q: it is %s", a.ID, it.Status)
	}
	return []Event{d.event(KindItem, a.ID, RoleTeam, WorkStarted{})}, nil
}

func (d *decision) deliverWork(a DeliverWork) ([]Event, error) {
	if err := checkText("release", a.Release, false, MaxTitleLen); err != nil {
		return nil, err
	}
	if err := d.require(RoleTeam, "deliver work"); err != nil {
		return nil, err
	}
	if _, err := d.openItem(a.ID, "deliver"); err != nil {
		return nil, err
	}
	return []Event{d.event(KindItem, a.ID, RoleTeam, WorkDelivered{Release: a.Release})}, nil
}
