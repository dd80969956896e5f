package command

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/decisionledger/ledger/domain"
)

// args is the decoded args object of one action.
type args interface {
	// decode fills c's action and why.
	decode(c *domain.Command) error
}

// actionSpec is an action's args (decode, from JSON) and how a domain
// action becomes them (encode).
type actionSpec struct {
	args   func() args
	encode func(c domain.Command) (any, bool)
}

// spec is the actionSpec of args T, which enc builds from the domain
// action A and the command's why.
func spec[T any, PT interface {
	*T
	args
}, A domain.Action](enc func(a A, why string) T) actionSpec {
	return actionSpec{
		args: func() args { return PT(new(T)) },
		encode: func(c domain.Command) (any, bool) {
			a, ok := c.Action.(A)
			if !ok {
				return nil, false
			}
			return enc(a, c.Why), true
		},
	}
}

// actions maps every action name to its args. The names are the CLI's
// command paths with a dot (ActionName: the domain action's verb); the
// JSON fields are its long flags, and "id" (or "actor" and "role") its
// positional arguments. Every action of the domain's event catalogue
// has one (TestEveryActionOfTheCatalogue).
var actions = map[string]actionSpec{
	"product.create": spec(func(a domain.CreateProduct, why string) productCreate {
		return productCreate{Name: a.Name, PM: a.PM, PO: a.PO, Why: why}
	}),
	"role.assign": spec(func(a domain.AssignRole, why string) roleAssign {
		return roleAssign{roleArgs{Actor: a.Actor, Role: string(a.Role), Why: why}}
	}),
	"role.revoke": spec(func(a domain.RevokeRole, why string) roleRevoke {
		return roleRevoke{roleArgs{Actor: a.Actor, Role: string(a.Role), Why: why}}
	}),
	"vision.set": spec(func(a domain.StateVision, why string) visionSet {
		return visionSet{Vision: a.Vision, Metric: a.Metrics, Why: why}
	}),
	"goal.set": spec(func(a domain.SetGoal, why string) goalSet { return goalSet{Goal: a.Goal, Why: why} }),
	"roadmap.plan": spec(func(a domain.PlanRoadmapItem, why string) roadmapPlan {
		return roadmapPlan{ID: a.ID, Title: a.Title, Period: a.Period, Objective: a.Objective, Why: why}
	}),
	"roadmap.reschedule": spec(func(a domain.RescheduleRoadmapItem, why string) roadmapReschedule {
		return roadmapReschedule{ID: a.ID, Period: a.Period, Why: why}
	}),
	"roadmap.drop": spec(func(a domain.DropRoadmapItem, why string) roadmapDrop { return roadmapDrop{idWhy{a.ID, why}} }),
	"roadmap.rank": spec(func(a domain.RankRoadmapItem, why string) roadmapRank {
		return roadmapRank{idWhy{a.ID, why}, placementOf(a.Position)}
	}),
	"item.add": spec(func(a domain.AddItem, why string) itemAdd {
		return itemAdd{ID: a.ID, Title: a.Title, Kind: string(a.Kind), Detail: a.Detail, Epic: a.Epic, Roadmap: a.Roadmap, Why: why}
	}),
	"item.refine": spec(func(a domain.RefineItem, why string) itemRefine {
		return itemRefine{ID: a.ID, Title: a.Title, Detail: a.Detail, Roadmap: a.Roadmap, Why: why}
	}),
	"item.rank": spec(func(a domain.RankItem, why string) itemRank {
		r := itemRank{idWhy: idWhy{a.ID, why}, placement: placementOf(a.Position)}
		if a.Score != nil {
			r.Score, _ = json.Marshal(a.Score)
		}
		return r
	}),
	"item.remove": spec(func(a domain.RemoveItem, why string) itemRemove { return itemRemove{idWhy{a.ID, why}} }),
	"item.estimate": spec(func(a domain.EstimateItem, why string) itemEstimate {
		p := a.Points
		return itemEstimate{idWhy: idWhy{a.ID, why}, Points: &p}
	}),
	"item.start": spec(func(a domain.StartWork, why string) itemStart { return itemStart{idWhy{a.ID, why}} }),
	"item.deliver": spec(func(a domain.DeliverWork, why string) itemDeliver {
		return itemDeliver{idWhy: idWhy{a.ID, why}, Release: a.Release}
	}),
	"request.submit": spec(func(a domain.SubmitRequest, why string) requestSubmit {
		r := requestSubmit{ID: a.ID, Title: a.Title, Detail: a.Detail, Repeats: a.Repeats, Why: why}
		if a.BusinessCase != why {
			r.BusinessCase = a.BusinessCase
		}
		return r
	}),
	"request.accept": spec(func(a domain.AcceptRequest, why string) requestAccept {
		return requestAccept{idWhy: idWhy{a.ID, why}, Item: a.Item, Title: a.Title, Roadmap: a.Roadmap}
	}),
	"request.reject": spec(func(a domain.RejectRequest, why string) requestReject {
		return requestReject{idWhy: idWhy{a.ID, why}, Reason: string(a.Reason)}
	}),
	"request.defer": spec(func(a domain.DeferRequest, why string) requestDefer {
		return requestDefer{idWhy: idWhy{a.ID, why}, Until: a.Until}
	}),
	"request.withdraw": spec(func(a domain.WithdrawRequest, why string) requestWithdraw {
		return requestWithdraw{idWhy{a.ID, why}}
	}),
}

type (
	productCreate struct {
		ID   string `json:"id,omitempty"`
		Name string `json:"name"`
		PM   string `json:"pm"`
		PO   string `json:"po"`
		Why  string `json:"why,omitempty"`
	}
	roleArgs struct {
		Actor string `json:"actor"`
		Role  string `json:"role"`
		Why   string `json:"why,omitempty"`
	}
	roleAssign struct{ roleArgs }
	roleRevoke struct{ roleArgs }
	visionSet  struct {
		Vision string   `json:"vision"`
		Metric []string `json:"metric,omitempty"`
		Why    string   `json:"why,omitempty"`
	}
	goalSet struct {
		Goal string `json:"goal"`
		Why  string `json:"why,omitempty"`
	}
	roadmapPlan struct {
		ID        string `json:"id"`
		Title     string `json:"title"`
		Period    string `json:"period"`
		Objective string `json:"objective,omitempty"`
		Why       string `json:"why,omitempty"`
	}
	roadmapReschedule struct {
		ID     string `json:"id"`
		Period string `json:"period"`
		Why    string `json:"why,omitempty"`
	}
	idWhy struct {
		ID  string `json:"id"`
		Why string `json:"why,omitempty"`
	}
	roadmapDrop struct{ idWhy }
	placement   struct {
		Top    bool   `json:"top,omitempty"`
		Bottom bool   `json:"bottom,omitempty"`
		Above  string `json:"above,omitempty"`
		Below  string `json:"below,omitempty"`
	}
	roadmapRank struct {
		idWhy
		placement
	}
	itemAdd struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Kind    string `json:"kind,omitempty"`
		Detail  string `json:"detail,omitempty"`
		Epic    string `json:"epic,omitempty"`
		Roadmap string `json:"roadmap,omitempty"`
		Why     string `json:"why,omitempty"`
	}
	itemRefine struct {
		ID      string `json:"id"`
		Title   string `json:"title,omitempty"`
		Detail  string `json:"detail,omitempty"`
		Roadmap string `json:"roadmap,omitempty"`
		Why     string `json:"why,omitempty"`
	}
	itemRank struct {
		idWhy
		placement
		Score json.RawMessage `json:"score,omitempty"`
	}
	itemRemove   struct{ idWhy }
	itemEstimate struct {
		idWhy
		Points *float64 `json:"points"`
	}
	itemStart   struct{ idWhy }
	itemDeliver struct {
		idWhy
		Release string `json:"release,omitempty"`
	}
	requestSubmit struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Detail  string `json:"detail,omitempty"`
		Repeats string `json:"repeats,omitempty"`
		// Why is the business case; BusinessCase, when given, is kept
		// apart from the submission's why.
		Why          string `json:"why,omitempty"`
		BusinessCase string `json:"businessCase,omitempty"`
	}
	requestAccept struct {
		idWhy
		Item    string `json:"item"`
		Title   string `json:"title,omitempty"`
		Roadmap string `json:"roadmap,omitempty"`
	}
	requestReject struct {
		idWhy
		Reason string `json:"reason"`
	}
	requestDefer struct {
		idWhy
		Until string `json:"until"`
	}
	requestWithdraw struct{ idWhy }
)

func (a *productCreate) decode(c *domain.Command) error {
	if a.ID != "" {
		if c.Product != "" && c.Product != a.ID {
			return domain.Invalid("id", "id %q and product %q differ: name the new product once", a.ID, c.Product)
		}
		c.Product = a.ID
	}
	c.Why, c.Action = a.Why, domain.CreateProduct{Name: a.Name, PM: a.PM, PO: a.PO}
	return nil
}

func (a *roleAssign) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.AssignRole{Actor: a.Actor, Role: domain.Role(a.Role)}
	return nil
}

func (a *roleRevoke) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.RevokeRole{Actor: a.Actor, Role: domain.Role(a.Role)}
	return nil
}

func (a *visionSet) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.StateVision{Vision: a.Vision, Metrics: a.Metric}
	return nil
}

func (a *goalSet) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.SetGoal{Goal: a.Goal}
	return nil
}

func (a *roadmapPlan) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.PlanRoadmapItem{ID: a.ID, Title: a.Title, Objective: a.Objective, Period: a.Period}
	return nil
}

func (a *roadmapReschedule) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.RescheduleRoadmapItem{ID: a.ID, Period: a.Period}
	return nil
}

func (a *roadmapDrop) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.DropRoadmapItem{ID: a.ID}
	return nil
}

func (a *roadmapRank) decode(c *domain.Command) error {
	pos, err := a.position()
	if err != nil {
		return err
	}
	c.Why, c.Action = a.Why, domain.RankRoadmapItem{ID: a.ID, Position: pos}
	return nil
}

func (a *itemAdd) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.AddItem{ID: a.ID, Title: a.Title, Kind: domain.ItemKind(a.Kind),
		Detail: a.Detail, Epic: a.Epic, Roadmap: a.Roadmap}
	return nil
}

func (a *itemRefine) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.RefineItem{ID: a.ID, Title: a.Title, Detail: a.Detail, Roadmap: a.Roadmap}
	return nil
}

func (a *itemRank) decode(c *domain.Command) error {
	pos, err := a.position()
	if err != nil {
		return err
	}
	r := domain.RankItem{ID: a.ID, Position: pos}
	if len(a.Score) > 0 && string(a.Score) != "null" {
		if r.Score, err = decodeScore(a.Score); err != nil {
			return err
		}
	}
	c.Why, c.Action = a.Why, r
	return nil
}

func (a *itemRemove) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.RemoveItem{ID: a.ID}
	return nil
}

func (a *itemEstimate) decode(c *domain.Command) error {
	if a.Points == nil {
		return domain.Invalid("points", "points is required: the team's estimate")
	}
	c.Why, c.Action = a.Why, domain.EstimateItem{ID: a.ID, Points: *a.Points}
	return nil
}

func (a *itemStart) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.StartWork{ID: a.ID}
	return nil
}

func (a *itemDeliver) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.DeliverWork{ID: a.ID, Release: a.Release}
	return nil
}

func (a *requestSubmit) decode(c *domain.Command) error {
	bc := a.BusinessCase
	if bc == "" {
		bc = a.Why
	}
	c.Why, c.Action = a.Why, domain.SubmitRequest{ID: a.ID, Title: a.Title, Detail: a.Detail, BusinessCase: bc, Repeats: a.Repeats}
	return nil
}

func (a *requestAccept) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.AcceptRequest{ID: a.ID, Item: a.Item, Title: a.Title, Roadmap: a.Roadmap}
	return nil
}

func (a *requestReject) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.RejectRequest{ID: a.ID, Reason: domain.ReasonCode(a.Reason)}
	return nil
}

func (a *requestDefer) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.DeferRequest{ID: a.ID, Until: a.Until}
	return nil
}

func (a *requestWithdraw) decode(c *domain.Command) error {
	c.Why, c.Action = a.Why, domain.WithdrawRequest{ID: a.ID}
	return nil
}

// position reads the one placement given; none leaves it to the rules to
// say that a position is required.
func (p placement) position() (domain.Position, error) {
	var out []domain.Position
	if p.Top {
		out = append(out, domain.Position{Place: domain.PlaceTop})
	}
	if p.Bottom {
		out = append(out, domain.Position{Place: domain.PlaceBottom})
	}
	if p.Above != "" {
		out = append(out, domain.Position{Place: domain.PlaceAbove, Ref: p.Above})
	}
	if p.Below != "" {
		out = append(out, domain.Position{Place: domain.PlaceBelow, Ref: p.Below})
	}
	switch len(out) {
	case 0:
		return domain.Position{}, nil
	case 1:
		return out[0], nil
	}
	return domain.Position{}, domain.Invalid("position", "give one position, not %d: top, bottom, above an item or below an item", len(out))
}

func placementOf(pos domain.Position) placement {
	switch pos.Place {
	case domain.PlaceTop:
		return placement{Top: true}
	case domain.PlaceBottom:
		return placement{Bottom: true}
	case domain.PlaceAbove:
		return placement{Above: pos.Ref}
	case domain.PlaceBelow:
		return placement{Below: pos.Ref}
	}
	return placement{}
}

// decodeScore reads a score given as text (the CLI's
// "RICE:reach=500,impact=2,confidence=0.8,effort=3") or as an object
// {"framework":"RICE","inputs":{"reach":500,...}}.
func decodeScore(raw json.RawMessage) (*domain.Score, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, domain.Malformed("score", "score is not a valid JSON string")
		}
		return ParseScore(s)
	}
	var sc domain.Score
	if err := domain.CheckStrict(raw, &sc, "score", nil); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, domain.Malformed("score", "score must be text such as \"RICE:reach=500,impact=2,confidence=0.8,effort=3\" or an object {\"framework\",\"inputs\"}")
	}
	return &sc, nil
}

// ParseScore reads FRAMEWORK:key=value,... such as
// RICE:reach=500,impact=2,confidence=0.8,effort=3. A key given twice is
// refused: it would silently drop one of the inputs.
func ParseScore(s string) (*domain.Score, error) {
	fw, rest, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(fw) == "" || strings.TrimSpace(rest) == "" {
		return nil, domain.Invalid("score", "score %q: write FRAMEWORK:key=value,... such as RICE:reach=500,impact=2,confidence=0.8,effort=3 or WSJF:bv=8,tc=5,rr=3,size=5", s)
	}
	in := map[string]float64{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || k == "" || err != nil {
			return nil, domain.Invalid("score", "score: %q is not key=number", kv)
		}
		if _, dup := in[k]; dup {
			return nil, domain.Invalid("score", "score gives %s twice", k)
		}
		in[k] = f
	}
	return &domain.Score{Framework: strings.TrimSpace(fw), Inputs: in}, nil
}

// encodeAction returns the name and args of c's action: its entry in
// actions, found by the action's verb; "" for an action it does not know.
func encodeAction(c domain.Command) (string, any) {
	if c.Action == nil {
		return "", nil
	}
	name := ActionName(c.Action)
	if s, ok := actions[name]; ok {
		if args, ok := s.encode(c); ok {
			return name, args
		}
	}
	return "", nil
}
