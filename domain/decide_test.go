package domain

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixture is a product with every role held by a different actor, a
// roadmap item, open and closed backlog items, and requests in each state.
type fixture struct {
	t   *testing.T
	s   *State
	now time.Time
	n   int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, s: NewState("checkout"), now: t0}
	f.do("pam", "", CreateProduct{Name: "Checkout", PM: "pam", PO: "olga"})
	f.do("pam", "staff the team", AssignRole{Actor: "tom", Role: RoleTeam})
	f.do("pam", "sales voice", AssignRole{Actor: "sally", Role: RoleStakeholder})
	f.do("pam", "support voice", AssignRole{Actor: "sam", Role: RoleStakeholder})
	f.do("pam", "Q2 bet", PlanRoadmapItem{ID: "R1", Title: "One-click pay", Period: "2026-Q2"})
	f.do("pam", "Q3 bet", PlanRoadmapItem{ID: "R2", Title: "Wallets", Period: "2026-Q3"})
	f.do("pam", "no longer needed", PlanRoadmapItem{ID: "RD", Title: "Fax orders", Period: "2026-Q2"})
	f.do("pam", "no longer needed", DropRoadmapItem{ID: "RD"})
	f.do("olga", "", AddItem{ID: "EPIC1", Title: "Payments", Kind: ItemEpic})
	f.do("olga", "", AddItem{ID: "A", Title: "Card form", Epic: "EPIC1", Roadmap: "R1"})
	f.do("olga", "", AddItem{ID: "B", Title: "Save card"})
	f.do("olga", "", AddItem{ID: "D", Title: "Done thing"})
	f.do("tom", "", DeliverWork{ID: "D"})
	f.do("olga", "", AddItem{ID: "X", Title: "Removed thing"})
	f.do("olga", "obsolete", RemoveItem{ID: "X"})
	f.do("sally", "", SubmitRequest{ID: "REQ1", Title: "PayPal"})
	f.do("sally", "", SubmitRequest{ID: "REJ", Title: "Fax"})
	f.do("olga", "no fax", RejectRequest{ID: "REJ", Reason: ReasonOutOfScope})
	f.do("sally", "", SubmitRequest{ID: "DEF", Title: "Crypto"})
	f.do("olga", "later", DeferRequest{ID: "DEF", Until: "2026-09-01"})
	f.do("sally", "", SubmitRequest{ID: "ACC", Title: "Apple Pay"})
	f.do("olga", "yes", AcceptRequest{ID: "ACC", Item: "AP"})
	f.do("sally", "", SubmitRequest{ID: "WD", Title: "Bitcoin"})
	f.do("sally", "", WithdrawRequest{ID: "WD"})
	return f
}

func (f *fixture) cmd(actor, why string, a Action) Command {
	f.n++
	return Command{ID: fmt.Sprintf("cmd-%d", f.n), Product: "checkout", Actor: actor, Why: why, Action: a}
}

// do decides and applies, failing the test on refusal.
func (f *fixture) do(actor, why string, a Action) []Event {
	f.t.Helper()
	f.now = f.now.Add(time.Minute)
	evs, err := Decide(f.s, f.cmd(actor, why, a), f.now)
	require.NoError(f.t, err, "%s by %s", a.Verb(), actor)
	for _, e := range evs {
		e.Seq = f.s.LastSeq + 1
		f.s.Apply(e)
	}
	return evs
}

// try decides without applying.
func (f *fixture) try(actor, why string, a Action) ([]Event, error) {
	return Decide(f.s, f.cmd(actor, why, a), f.now.Add(time.Minute))
}

// authority lists every decision with the only role that may take it.
var authority = []struct {
	name   string
	role   Role
	action Action
}{
	{"AssignRole", RolePM, AssignRole{Actor: "newbie", Role: RoleTeam}},
	{"RevokeRole", RolePM, RevokeRole{Actor: "tom", Role: RoleTeam}},
	{"StateVision", RolePM, StateVision{Vision: "Fastest checkout", Metrics: []string{"conversion +5%"}}},
	{"SetGoal", RolePO, SetGoal{Goal: "Cards first"}},
	{"PlanRoadmapItem", RolePM, PlanRoadmapItem{ID: "R9", Title: "BNPL", Period: "2026-Q4"}},
	{"RescheduleRoadmapItem", RolePM, RescheduleRoadmapItem{ID: "R1", Period: "2026-Q3"}},
	{"DropRoadmapItem", RolePM, DropRoadmapItem{ID: "R1"}},
	{"RankRoadmapItem", RolePM, RankRoadmapItem{ID: "R2", Position: Position{Place: PlaceAbove, Ref: "R1"}}},
	{"AddItem", RolePO, AddItem{ID: "C", Title: "Receipts"}},
	{"RefineItem", RolePO, RefineItem{ID: "A", Title: "Card form v2"}},
	{"RankItem", RolePO, RankItem{ID: "B", Position: Position{Place: PlaceTop}}},
	{"RemoveItem", RolePO, RemoveItem{ID: "B"}},
	{"AcceptRequest", RolePO, AcceptRequest{ID: "REQ1", Item: "PP"}},
	{"RejectRequest", RolePO, RejectRequest{ID: "REQ1", Reason: ReasonLowValue}},
	{"DeferRequest", RolePO, DeferRequest{ID: "REQ1", Until: "2026-12-01"}},
	{"EstimateItem", RoleTeam, EstimateItem{ID: "A", Points: 5}},
	{"StartWork", RoleTeam, StartWork{ID: "A"}},
	{"DeliverWork", RoleTeam, DeliverWork{ID: "A", Release: "2026.4"}},
}

// holder is the fixture's actor for each role.
var holder = map[Role]string{RolePM: "pam", RolePO: "olga", RoleTeam: "tom", RoleStakeholder: "sally"}

func TestAuthority(t *testing.T) {
	for _, tc := range authority {
		for _, role := range Roles {
			name := tc.name + "/" + string(role)
			t.Run(name, func(t *testing.T) {
				f := newFixture(t)
				evs, err := f.try(holder[role], "because", tc.action)
				if role == tc.role {
					require.NoError(t, err)
					require.NotEmpty(t, evs)
					assert.Equal(t, tc.role, evs[len(evs)-1].Actor.Role, "role recorded on the event")
					return
				}
				require.ErrorIs(t, err, ErrUnauthorized)
				assert.Contains(t, err.Error(), tc.role.Title())
				assert.Empty(t, evs)
			})
		}
		t.Run(tc.name+"/NoRole", func(t *testing.T) {
			f := newFixture(t)
			_, err := f.try("stranger", "because", tc.action)
			require.ErrorIs(t, err, ErrUnauthorized)
			assert.Contains(t, err.Error(), "stranger holds no role")
		})
	}
}

func TestSubmitAnyRoleWithdrawRequesterOnly(t *testing.T) {
	for _, role := range Roles {
		t.Run("Submit/"+string(role), func(t *testing.T) {
			f := newFixture(t)
			evs, err := f.try(holder[role], "", SubmitRequest{ID: "N1", Title: "Something"})
			require.NoError(t, err)
			assert.Equal(t, role, evs[0].Actor.Role)
		})
	}
	t.Run("ErrSubmitNoRole", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.try("stranger", "", SubmitRequest{ID: "N1", Title: "Something"})
		require.ErrorIs(t, err, ErrUnauthorized)
	})
	t.Run("ErrWithdrawNotRequester", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.try("olga", "", WithdrawRequest{ID: "REQ1"})
		require.ErrorIs(t, err, ErrUnauthorized)
		assert.Contains(t, err.Error(), "only its requester, sally")
	})
	t.Run("WithdrawAfterLosingRole", func(t *testing.T) {
		f := newFixture(t)
		f.do("pam", "left the company", RevokeRole{Actor: "sally", Role: RoleStakeholder})
		evs, err := f.try("sally", "", WithdrawRequest{ID: "REQ1"})
		require.NoError(t, err)
		assert.Equal(t, RoleStakeholder, evs[0].Actor.Role)
	})
	t.Run("CreateProductAnyActor", func(t *testing.T) {
		s := NewState("shop")
		evs, err := Decide(s, Command{ID: "c1", Product: "shop", Actor: "founder", Action: CreateProduct{Name: "Shop", PM: "pam", PO: "olga"}}, t0)
		require.NoError(t, err)
		assert.Equal(t, Role(""), evs[0].Actor.Role)
	})
}

func TestPOHandover(t *testing.T) {
	f := newFixture(t)
	evs := f.do("pam", "olga moves to the platform team", AssignRole{Actor: "nina", Role: RolePO})
	require.Len(t, evs, 2, "handover revokes the old PO and assigns the new one atomically")
	assert.Equal(t, RoleRevoked{Actor: "olga", Role: RolePO}, evs[0].Data)
	assert.Equal(t, RoleAssigned{Actor: "nina", Role: RolePO}, evs[1].Data)

	_, err := f.try("olga", "still me", RankItem{ID: "B", Position: Position{Place: PlaceTop}})
	require.ErrorIs(t, err, ErrUnauthorized, "the old PO's later decisions are refused")
	assert.Contains(t, err.Error(), "Product Owner (nina)")

	evs, err = f.try("nina", "new PO", RankItem{ID: "B", Position: Position{Place: PlaceTop}})
	require.NoError(t, err, "the new PO's decisions are accepted")
	assert.Equal(t, "nina", evs[0].Actor.ID)
}

func TestRationaleRequired(t *testing.T) {
	for _, tc := range authority {
		switch tc.action.(type) {
		case EstimateItem, StartWork, DeliverWork, AddItem:
			continue // no priority, scope or fate decision
		}
		for _, why := range []string{"", "   \t\n"} {
			t.Run(tc.name+fmt.Sprintf("/%q", why), func(t *testing.T) {
				f := newFixture(t)
				_, err := f.try(holder[tc.role], why, tc.action)
				require.ErrorIs(t, err, ErrInvalid)
				var de *Error
				require.ErrorAs(t, err, &de)
				assert.Equal(t, "why", de.Field)
				assert.Contains(t, err.Error(), "why is required")
			})
		}
	}
	t.Run("NotRequired", func(t *testing.T) {
		f := newFixture(t)
		for _, a := range []Action{AddItem{ID: "C", Title: "c"}, SubmitRequest{ID: "S", Title: "s"}} {
			actor := "olga"
			_, err := f.try(actor, "", a)
			assert.NoError(t, err, a.Verb())
		}
	})
}

func TestInvalidInput(t *testing.T) {
	long := strings.Repeat("x", 201)
	cases := []struct {
		name   string
		actor  string
		action Action
		field  string
	}{
		{"IDDot", "olga", AddItem{ID: "a.b", Title: "t"}, "item"},
		{"IDStar", "olga", AddItem{ID: "a*", Title: "t"}, "item"},
		{"IDGreater", "olga", AddItem{ID: ">", Title: "t"}, "item"},
		{"IDSpace", "olga", AddItem{ID: "a b", Title: "t"}, "item"},
		{"IDLeadingDash", "olga", AddItem{ID: "-a", Title: "t"}, "item"},
		{"IDTooLong", "olga", AddItem{ID: strings.Repeat("a", 65), Title: "t"}, "item"},
		{"IDEmpty", "olga", AddItem{ID: "", Title: "t"}, "item"},
		{"TitleEmpty", "olga", AddItem{ID: "C", Title: ""}, "title"},
		{"TitleBlank", "olga", AddItem{ID: "C", Title: "  "}, "title"},
		{"TitleTooLong", "olga", AddItem{ID: "C", Title: long}, "title"},
		{"TitleBadUTF8", "olga", AddItem{ID: "C", Title: "bad\xff"}, "title"},
		{"DetailTooLong", "olga", AddItem{ID: "C", Title: "t", Detail: strings.Repeat("é", 4001)}, "detail"},
		{"KindUnknown", "olga", AddItem{ID: "C", Title: "t", Kind: "task"}, "kind"},
		{"EpicNotEpic", "olga", AddItem{ID: "C", Title: "t", Epic: "B"}, "epic"},
		{"EpicInEpic", "olga", AddItem{ID: "C", Title: "t", Kind: ItemEpic, Epic: "EPIC1"}, "epic"},
		{"PeriodBad", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "2027-Q5"}, "period"},
		{"PeriodWord", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "next quarter"}, "period"},
		{"PeriodReleaseNoName", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "release:"}, "period"},
		{"PeriodReleaseBadDate", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "release:2.0@June"}, "period"},
		{"PeriodReleaseSpaces", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "release: 2.0"}, "period"},
		{"PeriodReleaseControl", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "release:2.0\x1b[2J"}, "period"},
		{"PeriodReleaseTooLong", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "release:" + long}, "period"},
		{"PeriodYear0", "pam", PlanRoadmapItem{ID: "R9", Title: "t", Period: "release:2.0@0000-06-30"}, "period"},
		{"ReschedulePeriodBad", "pam", RescheduleRoadmapItem{ID: "R1", Period: "2027-Q5"}, "period"},
		{"PeriodMissing", "pam", PlanRoadmapItem{ID: "R9", Title: "t"}, "period"},
		{"RoleUnknown", "pam", AssignRole{Actor: "x", Role: "boss"}, "role"},
		{"ReasonMissing", "olga", RejectRequest{ID: "REQ1"}, "reason"},
		{"ReasonUnknown", "olga", RejectRequest{ID: "REQ1", Reason: "meh"}, "reason"},
		{"UntilNotDate", "olga", DeferRequest{ID: "REQ1", Until: "soon"}, "until"},
		{"UntilInPast", "olga", DeferRequest{ID: "REQ1", Until: "2026-01-01"}, "until"},
		{"PointsZero", "tom", EstimateItem{ID: "A", Points: 0}, "points"},
		{"PointsHuge", "tom", EstimateItem{ID: "A", Points: 5000}, "points"},
		{"RankNoPlace", "olga", RankItem{ID: "A"}, "position"},
		{"RankAboveSelf", "olga", RankItem{ID: "A", Position: Position{Place: PlaceAbove, Ref: "A"}}, "above"},
		{"RankBadPlace", "olga", RankItem{ID: "A", Position: Position{Place: "middle"}}, "position"},
		{"ScoreUnknownFramework", "olga", RankItem{ID: "A", Position: Position{Place: PlaceTop}, Score: &Score{Framework: "MOSCOW"}}, "score"},
		{"ScoreMissingInput", "olga", RankItem{ID: "A", Position: Position{Place: PlaceTop}, Score: &Score{Framework: "rice", Inputs: map[string]float64{"reach": 1}}}, "score"},
		{"ScoreNegative", "olga", RankItem{ID: "A", Position: Position{Place: PlaceTop}, Score: &Score{Framework: "WSJF", Inputs: map[string]float64{"bv": -1, "tc": 1, "rr": 1, "size": 1}}}, "score"},
		{"RefineNothing", "olga", RefineItem{ID: "A"}, "title"},
		{"VisionEmpty", "pam", StateVision{}, "vision"},
		{"MetricTooLong", "pam", StateVision{Vision: "v", Metrics: []string{long}}, "metric"},
		{"AcceptItemExistsWithTitle", "olga", AcceptRequest{ID: "REQ1", Item: "B", Title: "x"}, "item"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.try(tc.actor, "because", tc.action)
			require.ErrorIs(t, err, ErrInvalid)
			var de *Error
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.field, de.Field, err.Error())
		})
	}
}

// TestPlanEveryPeriodForm: the PM plans and reschedules for every period
// ParsePeriod reads, the forms the importers write included, and the
// event records the period as written.
func TestPlanEveryPeriodForm(t *testing.T) {
	for _, p := range []string{"2027-Q1", "2027-H2", "2027-03", "2027-03-15", "2027",
		"release:2.0", "release:2.0@2027-06-30", "release:1.6.0 M1", "release:mozilla34@2014-12-01"} {
		t.Run(p, func(t *testing.T) {
			f := newFixture(t)
			evs := f.do("pam", "a bet", PlanRoadmapItem{ID: "R9", Title: "t", Period: p})
			require.Len(t, evs, 1)
			assert.Equal(t, p, evs[0].Data.(RoadmapItemPlanned).Period)
			evs = f.do("pam", "slipped", RescheduleRoadmapItem{ID: "R1", Period: p})
			assert.Equal(t, RoadmapItemRescheduled{From: "2026-Q2", To: p}, evs[0].Data)
		})
	}
}

func TestRefusedTransitions(t *testing.T) {
	cases := []struct {
		name   string
		actor  string
		action Action
		want   error
		msg    string
	}{
		{"DeliverRemoved", "tom", DeliverWork{ID: "X"}, ErrState, "it is removed"},
		{"DeliverDelivered", "tom", DeliverWork{ID: "D"}, ErrState, "it is delivered"},
		{"StartDelivered", "tom", StartWork{ID: "D"}, ErrState, "it is delivered"},
		{"EstimateRemoved", "tom", EstimateItem{ID: "X", Points: 3}, ErrState, "removed"},
		{"RankRemoved", "olga", RankItem{ID: "X", Position: Position{Place: PlaceTop}}, ErrState, "removed"},
		{"RankAboveMissing", "olga", RankItem{ID: "A", Position: Position{Place: PlaceAbove, Ref: "NOPE"}}, ErrNotFound, `item "NOPE" not found`},
		{"RankAboveDelivered", "olga", RankItem{ID: "A", Position: Position{Place: PlaceBelow, Ref: "D"}}, ErrState, "delivered"},
		{"RemoveTwice", "olga", RemoveItem{ID: "X"}, ErrState, "removed"},
		{"RefineMissing", "olga", RefineItem{ID: "NOPE", Title: "t"}, ErrNotFound, "not found"},
		{"AddExistingID", "olga", AddItem{ID: "A", Title: "t"}, ErrState, "already used by backlog item"},
		{"AddIDOfRequest", "olga", AddItem{ID: "REQ1", Title: "t"}, ErrState, "already used by request"},
		{"AddToDroppedRoadmap", "olga", AddItem{ID: "C", Title: "t", Roadmap: "RD"}, ErrState, "dropped"},
		{"AddToMissingRoadmap", "olga", AddItem{ID: "C", Title: "t", Roadmap: "NOPE"}, ErrNotFound, "roadmap item"},
		{"AcceptRejected", "olga", AcceptRequest{ID: "REJ", Item: "N"}, ErrState, "already rejected"},
		{"AcceptAccepted", "olga", AcceptRequest{ID: "ACC", Item: "N"}, ErrState, "already accepted"},
		{"AcceptWithdrawn", "olga", AcceptRequest{ID: "WD", Item: "N"}, ErrState, "already withdrawn"},
		{"AcceptIntoDelivered", "olga", AcceptRequest{ID: "REQ1", Item: "D"}, ErrState, "the item is delivered"},
		{"RejectAccepted", "olga", RejectRequest{ID: "ACC", Reason: ReasonOther}, ErrState, "already accepted"},
		{"DeferRejected", "olga", DeferRequest{ID: "REJ", Until: "2026-12-01"}, ErrState, "already rejected"},
		{"WithdrawRejected", "sally", WithdrawRequest{ID: "REJ"}, ErrState, "already rejected"},
		{"RequestMissing", "olga", RejectRequest{ID: "NOPE", Reason: ReasonOther}, ErrNotFound, "not found"},
		{"RepeatsMissing", "sally", SubmitRequest{ID: "N", Title: "t", Repeats: "NOPE"}, ErrNotFound, "not found"},
		{"RescheduleDropped", "pam", RescheduleRoadmapItem{ID: "RD", Period: "2026-Q4"}, ErrState, "dropped"},
		{"RescheduleSamePeriod", "pam", RescheduleRoadmapItem{ID: "R1", Period: "2026-Q2"}, ErrState, "already planned"},
		{"DropTwice", "pam", DropRoadmapItem{ID: "RD"}, ErrState, "dropped"},
		{"RankRoadmapAboveDropped", "pam", RankRoadmapItem{ID: "R1", Position: Position{Place: PlaceAbove, Ref: "RD"}}, ErrState, "dropped"},
		{"AssignHeldRole", "pam", AssignRole{Actor: "tom", Role: RoleTeam}, ErrState, "already holds"},
		{"RevokeUnheldRole", "pam", RevokeRole{Actor: "tom", Role: RolePO}, ErrState, "does not hold"},
		{"RevokeLastPM", "pam", RevokeRole{Actor: "pam", Role: RolePM}, ErrState, "last Product Manager"},
		{"CreateExisting", "pam", CreateProduct{Name: "x", PM: "a", PO: "b"}, ErrState, "already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			evs, err := f.try(tc.actor, "because", tc.action)
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Empty(t, evs)
		})
	}
	t.Run("ErrProductMissing", func(t *testing.T) {
		_, err := Decide(NewState("nope"), Command{ID: "c", Product: "nope", Actor: "pam", Why: "w", Action: SetGoal{Goal: "g"}}, t0)
		require.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), "ledger product create nope")
	})
}

func TestBusinessTime(t *testing.T) {
	f := newFixture(t)
	last := f.s.LastAt
	t.Run("DefaultNow", func(t *testing.T) {
		now := last.Add(time.Hour)
		evs, err := Decide(f.s, f.cmd("olga", "", AddItem{ID: "C", Title: "c"}), now)
		require.NoError(t, err)
		assert.Equal(t, now, evs[0].OccurredAt)
	})
	t.Run("Backdated", func(t *testing.T) {
		c := f.cmd("olga", "", AddItem{ID: "C", Title: "c"})
		c.At = last.Add(time.Second)
		evs, err := Decide(f.s, c, last.Add(24*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, c.At, evs[0].OccurredAt)
	})
	t.Run("ErrBeforeLatest", func(t *testing.T) {
		c := f.cmd("olga", "", AddItem{ID: "C", Title: "c"})
		c.At = last.Add(-time.Second)
		_, err := Decide(f.s, c, last.Add(time.Hour))
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "earlier than the product's latest event")
	})
	t.Run("ErrFuture", func(t *testing.T) {
		c := f.cmd("olga", "", AddItem{ID: "C", Title: "c"})
		c.At = last.Add(48 * time.Hour)
		_, err := Decide(f.s, c, last.Add(time.Hour))
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "in the future")
	})
}

func TestAcceptIntoNewItemIsOneDecision(t *testing.T) {
	f := newFixture(t)
	evs := f.do("olga", "big ask from sales", AcceptRequest{ID: "REQ1", Item: "PP", Roadmap: "R1"})
	require.Len(t, evs, 2)
	assert.Equal(t, RequestAccepted{Item: "PP"}, evs[0].Data)
	assert.Equal(t, BacklogItemAdded{Title: "PayPal", Kind: ItemStory, Roadmap: "R1", Request: "REQ1"}, evs[1].Data)
	assert.Equal(t, evs[0].CommandID, evs[1].CommandID)
	assert.NotEqual(t, evs[0].ID, evs[1].ID)
	assert.Equal(t, StatusAccepted, f.s.Requests["REQ1"].Status)
	assert.Equal(t, StatusNew, f.s.Items["PP"].Status)
}

func TestEventIDsDeterministic(t *testing.T) {
	a := EventID("checkout", "cmd-1", t0, 0)
	assert.Equal(t, a, EventID("checkout", "cmd-1", t0, 0))
	assert.NotEqual(t, a, EventID("checkout", "cmd-1", t0, 1))
	assert.NotEqual(t, a, EventID("checkout", "cmd-2", t0, 0))
	assert.NotEqual(t, a, EventID("shop", "cmd-1", t0, 0), "the same command id in another product is another command")
	assert.Len(t, a, 26)
	// Ids already in streams must come out the same forever: the
	// validating fold derives them again for every event it reads.
	assert.Equal(t, "01KFDA3QM0WR3P09729AWQBMXN", EventID("checkout", "cmd-1", time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC), 0))
	assert.Equal(t, "01KFDA3QM0QFP3DB2SW91RQBKZ", EventID("checkout", "01J0000000000000000000000", time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC), 12))
}

func TestRecordedCommands(t *testing.T) {
	f := newFixture(t)
	evs := f.do("olga", "", AddItem{ID: "C", Title: "c"})
	seq, ok := f.s.Recorded(evs[0].CommandID)
	require.True(t, ok)
	assert.Equal(t, f.s.LastSeq, seq)
}
