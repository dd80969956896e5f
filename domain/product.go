package domain

func (d *decision) createProduct(a CreateProduct) ([]Event, error) {
	if d.s.Product.Exists {
		return nil, wrongState("product %q already exists", d.c.Product)
	}
	if err := checkTitle("name", a.Name); err != nil {
		return nil, err
	}
	if err := CheckID("pm", a.PM); err != nil {
		return nil, err
	}
	if err := CheckID("po", a.PO); err != nil {
		return nil, err
	}
	// Any actor may create a product; they act in the role the new
	// product gives them, if any.
	var role Role
	switch d.c.Actor {
	case a.PM:
		role = RolePM
	case a.PO:
		role = RolePO
	}
	return []Event{d.event(KindProduct, d.c.Product, role, ProductCreated{Name: a.Name, PM: a.PM, PO: a.PO})}, nil
}

func (d *decision) assignRole(a AssignRole) ([]Event, error) {
	if err := d.checkRoleChange(a.Actor, a.Role, "assign roles"); err != nil {
		return nil, err
	}
	if d.s.Product.Has(a.Actor, a.Role) {
		return nil, wrongState("%s already holds the role %s in product %q", a.Actor, a.Role, d.c.Product)
	}
	var out []Event
	if a.Role == RolePO {
		// One Product Owner at a time: assigning a new one is a handover
		// that revokes the old one in the same atomic decision.
		for _, old := range d.s.Product.Holders(RolePO) {
			out = append(out, d.event(KindProduct, d.c.Product, RolePM, RoleRevoked{Actor: old, Role: RolePO}))
		}
	}
	return append(out, d.event(KindProduct, d.c.Product, RolePM, RoleAssigned{Actor: a.Actor, Role: a.Role})), nil
}

func (d *decision) revokeRole(a RevokeRole) ([]Event, error) {
	if err := d.checkRoleChange(a.Actor, a.Role, "revoke roles"); err != nil {
		return nil, err
	}
	if !d.s.Product.Has(a.Actor, a.Role) {
		return nil, wrongState("%s does not hold the role %s in product %q", a.Actor, a.Role, d.c.Product)
	}
	if a.Role == RolePM && len(d.s.Product.Holders(RolePM)) == 1 {
		return nil, wrongState("%s is the last Product Manager of %q: assign another pm first, or no one could assign roles again", a.Actor, d.c.Product)
	}
	return []Event{d.event(KindProduct, d.c.Product, RolePM, RoleRevoked{Actor: a.Actor, Role: a.Role})}, nil
}

func (d *decision) checkRoleChange(actor string, role Role, what string) error {
	if err := CheckID("actor", actor); err != nil {
		return err
	}
	if !role.Valid() {
		return invalid("role", "unknown role %q: use one of %s", role, listOf(Roles))
	}
	if err := checkWhy(d.c.Why, "a role change"); err != nil {
		return err
	}
	return d.require(RolePM, what)
}

func (d *decision) stateVision(a StateVision) ([]Event, error) {
	if err := checkText("vision", a.Vision, true, MaxTextLen); err != nil {
		return nil, err
	}
	if len(a.Metrics) > MaxMetrics {
		return nil, invalid("metric", "a vision has at most %d success metrics, not %d", MaxMetrics, len(a.Metrics))
	}
	for _, m := range a.Metrics {
		if err := checkTitle("metric", m); err != nil {
			return nil, err
		}
	}
	if err := checkWhy(d.c.Why, "stating the vision"); err != nil {
		return nil, err
	}
	if err := d.require(RolePM, "state the vision"); err != nil {
		return nil, err
	}
	return []Event{d.event(KindProduct, d.c.Product, RolePM, VisionStated{Vision: a.Vision, Metrics: a.Metrics})}, nil
}

func (d *decision) setGoal(a SetGoal) ([]Event, error) {
	if err := checkText("goal", a.Goal, true, MaxTextLen); err != nil {
		return nil, err
	}
	if err := checkWhy(d.c.Why, "setting the product goal"); err != nil {
		return nil, err
	}
	if err := d.require(RolePO, "set the product goal"); err != nil {
		return nil, err
	}
	return []Event{d.event(KindProduct, d.c.Product, RolePO, ProductGoalSet{Goal: a.Goal})}, nil
}
