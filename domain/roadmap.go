package domain

func (d *decision) roadmapItem(id string) (RoadmapItem, error) {
	if err := CheckID("roadmap item", id); err != nil {
		return RoadmapItem{}, err
	}
	r, ok := d.s.Roadmap[id]
	if !ok {
		return r, notFound("roadmap item %q not found in product %q", id, d.c.Product)
	}
	return r, nil
}

func (d *decision) liveRoadmapItem(id string) (RoadmapItem, error) {
	r, err := d.roadmapItem(id)
	if err == nil && r.Dropped {
		err = wrongState("roadmap item %q was dropped", id)
	}
	return r, err
}

func (d *decision) planRoadmapItem(a PlanRoadmapItem) ([]Event, error) {
	if err := CheckID("roadmap item", a.ID); err != nil {
		return nil, err
	}
	if err := checkTitle("title", a.Title); err != nil {
		return nil, err
	}
	if err := checkText("objective", a.Objective, false, MaxTextLen); err != nil {
		return nil, err
	}
	if err := checkPeriod(a.Period); err != nil {
		return nil, err
	}
	if err := checkWhy(d.c.Why, "planning a roadmap item"); err != nil {
		return nil, err
	}
	if err := d.require(RolePM, "plan the roadmap"); err != nil {
		return nil, err
	}
	if err := d.idInUse("roadmap item", a.ID); err != nil {
		return nil, err
	}
	return []Event{d.event(KindRoadmap, a.ID, RolePM, RoadmapItemPlanned{Title: a.Title, Objective: a.Objective, Period: a.Period})}, nil
}

func (d *decision) rescheduleRoadmapItem(a RescheduleRoadmapItem) ([]Event, error) {
	if err := checkPeriod(a.Period); err != nil {
		return nil, err
	}
	if err := checkWhy(d.c.Why, "rescheduling a roadmap item"); err != nil {
		return nil, err
	}
	if err := d.require(RolePM, "reschedule the roadmap"); err != nil {
		return nil, err
	}
	r, err := d.liveRoadmapItem(a.ID)
	if err != nil {
		return nil, err
	}
	if r.Period == a.Period {
		return nil, wrongState("roadmap item %q is already planned for %s", a.ID, a.Period)
	}
	return []Event{d.event(KindRoadmap, a.ID, RolePM, RoadmapItemRescheduled{From: r.Period, To: a.Period})}, nil
}

func (d *decision) dropRoadmapItem(a DropRoadmapItem) ([]Event, error) {
	if err := checkWhy(d.c.Why, "dropping a roadmap item"); err != nil {
		return nil, err
	}
	if err := d.require(RolePM, "drop roadmap items"); err != nil {
		return nil, err
	}
	if _, err := d.liveRoadmapItem(a.ID); err != nil {
		return nil, err
	}
	return []Event{d.event(KindRoadmap, a.ID, RolePM, RoadmapItemDropped{})}, nil
}

func (d *decision) rankRoadmapItem(a RankRoadmapItem) ([]Event, error) {
	if err := checkPosition(a.Position, a.ID); err != nil {
		return nil, err
	}
	if err := checkWhy(d.c.Why, "ranking a roadmap item"); err != nil {
		return nil, err
	}
	if err := d.require(RolePM, "rank the roadmap"); err != nil {
		return nil, err
	}
	if _, err := d.liveRoadmapItem(a.ID); err != nil {
		return nil, err
	}
	if a.Position.Ref != "" {
		if _, err := d.liveRoadmapItem(a.Position.Ref); err != nil {
			return nil, err
		}
	}
	return []Event{d.event(KindRoadmap, a.ID, RolePM, RoadmapItemRanked{Position: a.Position})}, nil
}
