package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func importState(t *testing.T) *State {
	t.Helper()
	s := NewState("shop")
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range []Command{
		{ID: "c1", Product: "shop", Actor: "pam", At: at, Action: CreateProduct{Name: "Shop", PM: "pam", PO: "olga"}},
		{ID: "c2", Product: "shop", Actor: "pam", At: at, Why: "voice of sales", Action: AssignRole{Actor: "sally", Role: RoleStakeholder}},
	} {
		evs, err := Decide(s, c, at.Add(time.Hour))
		require.NoError(t, err)
		for _, e := range evs {
			e.Seq = uint64(i + 1)
			s.Apply(e)
		}
	}
	return s
}

func observed(typ Payload, kind AggregateKind, id, actor string, at time.Time) Event {
	return Event{ID: EventID("shop", "imp-"+id+typ.EventType(), at, 0), Product: "shop", Aggregate: Aggregate{Kind: kind, ID: id},
		Actor: Actor{ID: actor}, OccurredAt: at, Why: "imported", Data: typ, CommandID: "imp-" + id + typ.EventType(),
		Source: &Source{System: "bugzilla", Key: "1", Change: at.Format(time.RFC3339), Author: actor + "@example.org"}}
}

func TestObserve(t *testing.T) {
	at := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	s := importState(t)
	sub, err := Observe(s, observed(RequestSubmitted{Title: "Crash", Requester: "sally"}, KindRequest, "R1", "sally", at))
	require.NoError(t, err)
	assert.Equal(t, RoleStakeholder, sub.Actor.Role)
	assert.False(t, sub.OutsideAuthority, "anyone with a role may submit")
	s.Apply(sub)

	t.Run("OutsideAuthority", func(t *testing.T) {
		e, err := Observe(s, observed(RequestAccepted{Item: "B1"}, KindRequest, "R1", "sally", at))
		require.NoError(t, err)
		assert.Equal(t, "sally", e.Actor.ID, "never re-attributed")
		assert.Equal(t, RoleStakeholder, e.Actor.Role, "the role really held")
		assert.True(t, e.OutsideAuthority)
	})
	t.Run("NoRoleAtAll", func(t *testing.T) {
		e, err := Observe(s, observed(RequestRejected{}, KindRequest, "R1", "nobody", at))
		require.NoError(t, err)
		assert.Equal(t, Role(""), e.Actor.Role)
		assert.True(t, e.OutsideAuthority)
	})
	t.Run("WithAuthority", func(t *testing.T) {
		e, err := Observe(s, observed(RequestAccepted{Item: "B1"}, KindRequest, "R1", "olga", at))
		require.NoError(t, err)
		assert.Equal(t, RolePO, e.Actor.Role)
		assert.False(t, e.OutsideAuthority)
	})
	t.Run("ErrOlderThanLatest", func(t *testing.T) {
		_, err := Observe(s, observed(RequestAccepted{Item: "B1"}, KindRequest, "R1", "olga", at.Add(-time.Second)))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "bugzilla 1 change 2020-12-31T23:59:59Z")
	})
	t.Run("ErrReleaseOfYear0", func(t *testing.T) {
		_, err := Observe(s, observed(RoadmapItemPlanned{Title: "M1", Period: "release:m1@0000-06-30"}, KindRoadmap, "M-m1", "pam", at))
		require.Error(t, err)
		assert.Equal(t, "period", FieldOf(err))
		assert.Contains(t, err.Error(), "give a period from 1970 to 2999")
	})
	t.Run("ErrAnotherKindOfAggregate", func(t *testing.T) {
		// A roadmap item planned on a backlog item's subject: the write
		// state, the projections and the transparency log would each
		// take it for something else.
		_, err := Observe(s, observed(RoadmapItemPlanned{Title: "M1", Period: "2021-Q1"}, KindItem, "M-1", "pam", at))
		require.Error(t, err)
		assert.Equal(t, "aggregate", FieldOf(err))
		assert.Contains(t, err.Error(), "bugzilla 1: a RoadmapItemPlanned belongs to a roadmap aggregate, not to item M-1")
	})
	t.Run("ReleaseNameWithAt", func(t *testing.T) {
		_, err := Observe(s, observed(RoadmapItemPlanned{Title: "v1@beta", Period: "release:v1@beta"}, KindRoadmap, "M-v1", "pam", at))
		assert.NoError(t, err, "a milestone's name is the tracker's; only a date of an implausible year is refused")
	})
	for _, tc := range []struct{ name, link string }{
		{"ErrLinkJavascript", "javascript:alert(1)"},
		{"ErrLinkJavascriptUpperCase", "JavaScript:alert(1)"},
		{"ErrLinkData", "data:text/html;base64,PHNjcmlwdD4="},
		{"ErrLinkFile", "file:///etc/passwd"},
		{"ErrLinkRelative", "/show_bug.cgi?id=1"},
		{"ErrLinkNoScheme", "//bugzilla.example.org/1"},
		{"ErrLinkNoHost", "https:bugzilla.example.org"},
		{"ErrLinkEmptyHost", "http:///x"},
		{"ErrLinkLeadingSpace", " https://bugzilla.example.org/1"},
		{"OKLinkHTTPS", "https://bugzilla.example.org/show_bug.cgi?id=1"},
		{"OKLinkHTTPUpperCase", "HTTP://bugzilla.example.org/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := observed(RequestAccepted{Item: "B1"}, KindRequest, "R1", "olga", at)
			e.Source.URL = tc.link
			_, err := Observe(s, e)
			if strings.HasPrefix(tc.name, "OK") {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, "source", FieldOf(err))
			assert.Contains(t, err.Error(), "is not an http or https address")
		})
	}
	t.Run("ErrNoRoleEvents", func(t *testing.T) {
		_, err := Observe(s, observed(RoleAssigned{Actor: "sally", Role: RolePO}, KindProduct, "shop", "pam", at))
		assert.ErrorIs(t, err, ErrInvalid)
	})
	t.Run("ErrNoSource", func(t *testing.T) {
		e := observed(RequestAccepted{Item: "B1"}, KindRequest, "R1", "olga", at)
		e.Source = nil
		_, err := Observe(s, e)
		assert.ErrorIs(t, err, ErrInvalid)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := Observe(s, observed(WorkDelivered{}, KindItem, "B9", "olga", at))
		assert.ErrorIs(t, err, ErrNotFound)
	})
	t.Run("RelayedBy", func(t *testing.T) {
		e := observed(RequestAccepted{Item: "B1"}, KindRequest, "R1", "sally", at)
		e.RelayedBy = "importer"
		got, err := Observe(s, e)
		require.NoError(t, err)
		assert.Equal(t, "importer", got.RelayedBy, "who relayed the import is kept")
		assert.Equal(t, "sally", got.Actor.ID, "and is not who decided")
		assert.True(t, got.OutsideAuthority)
	})
	t.Run("ErrRelayedByNoID", func(t *testing.T) {
		e := observed(RequestAccepted{Item: "B1"}, KindRequest, "R1", "olga", at)
		e.RelayedBy = "bot\u202e"
		_, err := Observe(s, e)
		require.Error(t, err)
		assert.Equal(t, "relayedBy", FieldOf(err))
	})
}

func TestReopenedAndUnplannedEvolve(t *testing.T) {
	s := NewState("p")
	s.Items["B1"] = Item{ID: "B1", Status: StatusDelivered, Roadmap: "R1"}
	item := Aggregate{Kind: KindItem, ID: "B1"}
	s.Apply(Event{Product: "p", Aggregate: item, Data: WorkReopened{Release: "1.0"}})
	assert.Equal(t, StatusNew, s.Items["B1"].Status)
	s.Apply(Event{Product: "p", Aggregate: item, Data: BacklogItemUnplanned{Roadmap: "R1"}})
	assert.Equal(t, "", s.Items["B1"].Roadmap)
}
