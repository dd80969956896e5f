package importer_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
)

func TestClean(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"ZeroWidth", "Pay\u200bment\ufeff", "Payment"},
		{"NUL", "a\x00b", "ab"},
		{"Escape", "red\x1b[31m", "red[31m"},
		{"CRLF", "one\r\ntwo", "one\ntwo"},
		{"NonASCII", "Zahlung über 10 € — 支付", "Zahlung über 10 € — 支付"},
		{"InvalidUTF8", "a\xffb", "a\uFFFDb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, importer.Clean(tc.in))
		})
	}
}

func TestTitleCutWithNote(t *testing.T) {
	long := strings.Repeat("é", domain.MaxTitleLen+20)
	title, note := importer.Title(long)
	assert.Equal(t, domain.MaxTitleLen, len([]rune(title)))
	assert.Contains(t, note, "title cut from 220 characters")
	title, note = importer.Title("Line one\nline two")
	assert.Equal(t, "Line one line two", title)
	assert.Empty(t, note)
}

func TestDeriveID(t *testing.T) {
	assert.Equal(t, "u7577501a-example-org", importer.DeriveID("u7577501a@example.org"))
	assert.Equal(t, "user-c2a7e10b", importer.DeriveID("user-c2a7e10b"))
	long := importer.DeriveID(strings.Repeat("x", 80) + "@example.org")
	assert.True(t, domain.ValidID(long), long)
	assert.NotEqual(t, long, importer.DeriveID(strings.Repeat("x", 80)+"@example.com"), "a hash keeps long logins apart")
	assert.True(t, domain.ValidID(importer.DeriveID("@@@")))
}

func TestMapFile(t *testing.T) {
	m, err := importer.ParseMap([]byte(`{"importer":"pam","people":{"a@x.org":{"id":"anna","roles":["po",{"role":"team","from":"2020-01-01"}]}},
		"resolutions":{"WONTFIX":{"reject":"low-value"}},"milestones":{"3.4":"2026-06-30"}}`),
		importer.Map{Resolutions: map[string]importer.Outcome{"FIXED": {Deliver: true}}})
	require.NoError(t, err)
	assert.Equal(t, "anna", m.ActorID("a@x.org"))
	assert.True(t, m.Resolutions["FIXED"].Deliver, "defaults stay")
	assert.Equal(t, domain.ReasonLowValue, m.Resolutions["WONTFIX"].Reject)
	assert.Equal(t, "release:3.4@2026-06-30", m.ReleasePeriod("3.4"))
	assert.Equal(t, "release:3.5", m.ReleasePeriod("3.5"))

	for name, bad := range map[string]string{
		"UnknownField":           `{"peeople":{}}`,
		"FieldOfAnotherCase":     `{"People":{}}`,
		"RoleFieldOfAnotherCase": `{"people":{"a":{"roles":[{"ROLE":"po"}]}}}`,
		"UnknownRoleField":       `{"people":{"a":{"roles":[{"role":"po","form":"2020-01-01"}]}}}`,
		"NotUTF8":                "{\"people\":{\"a\":{\"id\":\"an\xffna\"}}}",
		"BadRole":                `{"people":{"a":{"roles":["boss"]}}}`,
		"BadReason":              `{"resolutions":{"X":{"reject":"meh"}}}`,
		"BadDate":                `{"milestones":{"3.4":"June"}}`,
		"DateInYear0":            `{"milestones":{"3.4":"0000-06-30"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := importer.ParseMap([]byte(bad), importer.Map{})
			assert.Error(t, err)
		})
	}
}

// TestApplyIdempotentAndOrdered: Apply on the state the first import
// left records nothing again, and refuses steps older than the product.
func TestApplyIdempotentAndOrdered(t *testing.T) {
	m, err := importer.ParseMap(nil, importer.Map{})
	require.NoError(t, err)
	at := time.Date(2021, 3, 1, 12, 0, 0, 0, time.UTC)
	op := importer.Op{At: at, Actor: "sally", Why: "filed", Source: domain.Source{System: "test", Key: "1", Change: "created"},
		Facts: []importer.Fact{{Kind: domain.KindRequest, ID: "R-1", Data: domain.RequestSubmitted{Title: "Fax", Requester: "sally"}}}}
	steps, sum := importer.Plan("test", "shop", m, []importer.Op{op}, nil)
	assert.Equal(t, 3, sum.Events, "product, sally a stakeholder, her request")
	st := domain.NewState("shop")
	res, err := importer.Apply(st, steps, at.Add(time.Hour), 1000)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Written)
	again, err := importer.Apply(st, steps, at.Add(time.Hour), 1000)
	require.NoError(t, err)
	assert.Zero(t, again.Written)
	assert.Equal(t, 3, again.Already)

	older := op
	older.At, older.Source.Key = at.Add(-time.Minute), "2"
	older.Facts = []importer.Fact{{Kind: domain.KindRequest, ID: "R-2", Data: domain.RequestSubmitted{Title: "Telex", Requester: "sally"}}}
	steps, _ = importer.Plan("test", "shop", m, []importer.Op{older}, nil)
	_, err = importer.Apply(st, steps, at.Add(time.Hour), 1000)
	require.ErrorIs(t, err, domain.ErrInvalid)
	assert.Contains(t, err.Error(), "test 2 change created")
}

// TestNoNATS: the importer packages are pure; only the CLI writes.
func TestNoNATS(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		assert.NotContains(t, dep, "nats-io", "importer depends on %s", dep)
		assert.NotContains(t, dep, "ledger/eventstore", "importer depends on %s", dep)
	}
}

// bug is an issue filed by sue and taken on by dev (assigned to them an
// hour later), with the later changes given.
func bug(at time.Time, later ...importer.Change) importer.Issue {
	dev := importer.User{Login: "dev@example.org"}
	changes := []importer.Change{{At: at.Add(time.Hour), By: dev, ID: "1",
		Items: []importer.Item{{Field: importer.FieldAssignee, Raw: "assigned_to", To: dev.Login}}}}
	return importer.Issue{Key: "7", ItemPrefix: "BZ-", Title: "Crash on Enter",
		Filed:   &importer.Filing{At: at, By: importer.User{Login: "sue@example.org"}, Field: "creation_time"},
		Changes: append(changes, later...)}
}

// TestRemovalKeepsItsReason: a rejecting resolution of an accepted item is
// a BacklogItemRemoved "with the reason code" (docs/import.md, "On the
// item"), as a rejection of a pending request is; the ledger accepts it
// so.
func TestRemovalKeepsItsReason(t *testing.T) {
	m, err := importer.ParseMap(nil, importer.Map{Resolutions: map[string]importer.Outcome{"DUPLICATE": {Reject: domain.ReasonDuplicate}}})
	require.NoError(t, err)
	at := time.Date(2021, 3, 1, 12, 0, 0, 0, time.UTC)
	issue := bug(at, importer.Change{At: at.Add(2 * time.Hour), By: importer.User{Login: "dev@example.org"}, ID: "2",
		Items: []importer.Item{{Field: importer.FieldResolution, Raw: "resolution", To: "DUPLICATE"}}})
	ops, skipped, err := importer.Run("test", []importer.Issue{issue}, m)
	require.NoError(t, err)
	steps, sum := importer.Plan("test", "shop", m, ops, skipped)
	assert.Equal(t, 1, sum.Rejections)
	var removed []domain.Event
	for _, s := range steps {
		for _, e := range s.Events {
			if _, ok := e.Data.(domain.BacklogItemRemoved); ok {
				removed = append(removed, e)
			}
		}
	}
	require.Len(t, removed, 1)
	assert.Equal(t, domain.ReasonDuplicate, removed[0].Reason)

	res, err := importer.Apply(domain.NewState("shop"), steps, at.Add(24*time.Hour), 1000)
	require.NoError(t, err)
	var stored []domain.Event
	for _, b := range res.Batches {
		for _, e := range b {
			if e.Type == domain.TypeBacklogItemRemoved {
				stored = append(stored, e)
			}
		}
	}
	require.Len(t, stored, 1)
	assert.Equal(t, domain.ReasonDuplicate, stored[0].Reason, "recorded with its reason")
}

// TestFiledUnnamedCountsIssues: filedUnnamed counts the issues whose filing
// the export does not record (a history-only export), once each; a change
// without an author is by unnamed too, but it is no filing.
func TestFiledUnnamedCountsIssues(t *testing.T) {
	at := time.Date(2021, 3, 1, 12, 0, 0, 0, time.UTC)
	noAuthor := importer.Change{At: at.Add(2 * time.Hour), ID: "2", Items: []importer.Item{{Field: importer.FieldPriority, Raw: "priority", From: "P3", To: "P1"}}}
	historyOnly := bug(at)
	historyOnly.Filed = nil
	historyOnlyNoAuthor := bug(at, noAuthor)
	historyOnlyNoAuthor.Filed = nil
	noFiler := bug(at)
	noFiler.Filed.By = importer.User{}
	cases := []struct {
		name  string
		issue importer.Issue
		want  int
	}{
		{"HistoryOnly", historyOnly, 1},
		{"HistoryOnlyAndAChangeWithoutAuthor", historyOnlyNoAuthor, 1},
		{"FiledAndAChangeWithoutAuthor", bug(at, noAuthor), 0},
		{"FiledWhenButNotByWhom", noFiler, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := importer.ParseMap(nil, importer.Map{Priorities: []string{"P1", "P2", "P3"}})
			require.NoError(t, err)
			ops, skipped, err := importer.Run("test", []importer.Issue{tc.issue}, m)
			require.NoError(t, err)
			_, sum := importer.Plan("test", "shop", m, ops, skipped)
			assert.Equal(t, tc.want, sum.FiledUnnamed)
		})
	}
}
