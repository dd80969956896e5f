package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// TestPlanAReleaseOverNATS: the NATS edge takes every period the model
// reads, as the CLI does, and its saydo view answers.
func TestPlanAReleaseOverNATS(t *testing.T) {
	s := serve(t, true)
	c := service.NewClient(client(t, s.url))
	ctx := context.Background()
	out, err := c.Do(ctx, command.Request{Action: "roadmap.plan", Product: "checkout", Actor: "pam",
		Args: json.RawMessage(`{"id":"R-SSO","title":"Single sign-on","period":"release:2.0@2027-06-30","why":"Enterprise deals wait for it"}`)})
	require.NoError(t, err)
	require.Len(t, out.Events, 1)
	assert.Equal(t, "RoadmapItemPlanned", out.Events[0].Type)

	_, err = c.Do(ctx, command.Request{Action: "roadmap.reschedule", Product: "checkout", Actor: "pam",
		Args: json.RawMessage(`{"id":"R-SSO","period":"release:2.0@June","why":"Slipped"}`)})
	require.Error(t, err)
	assert.Equal(t, domain.KindInvalid, domain.KindOf(err))
	assert.Equal(t, "period", domain.FieldOf(err))
	assert.Contains(t, err.Error(), "write it as YYYY-MM-DD")

	var rm query.Roadmap
	require.NoError(t, c.View(ctx, query.ViewRoadmap, query.Options{Product: "checkout"}, &rm))
	require.NotEmpty(t, rm.Periods)
	assert.Equal(t, "release:2.0@2027-06-30", rm.Periods[len(rm.Periods)-1].Name, "after the quarters of 2026")

	var sd query.SayDo
	require.NoError(t, c.View(ctx, query.ViewSayDo, query.Options{Product: "checkout"}, &sd))
	require.NotEmpty(t, sd.Periods)
	assert.Equal(t, "2026-Q1", sd.Periods[0].Period)
}
