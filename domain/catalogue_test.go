package domain_test

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	. "github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/domain/domaintest"
)

// TestCatalogueAndRegistryAgree holds the payload registry (what Decode
// reads), the golden wire samples and every lookup to the catalogue.
func TestCatalogueAndRegistryAgree(t *testing.T) {
	specs := Events()
	var types []string
	for _, s := range specs {
		types = append(types, s.Type)
	}
	assert.Equal(t, types, EventTypes(), "EventTypes is the catalogue's types, in its order")

	golden, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	var wire []string
	for _, g := range golden {
		if name := strings.TrimSuffix(filepath.Base(g), ".json"); unicode.IsUpper(rune(name[0])) { // state.json is no event
			wire = append(wire, name)
		}
	}
	assert.ElementsMatch(t, types, wire, "one golden wire sample per catalogue type, and none for a type not in it")

	verbs := map[string]string{}
	for _, s := range specs {
		t.Run(s.Type, func(t *testing.T) {
			got, ok := SpecOf(s.Type)
			require.True(t, ok)
			assert.Equal(t, s.Type, got.Type)
			assert.Equal(t, s.Kind, KindOfType(s.Type))
			assert.Equal(t, s.Schema, SchemaOf(s.Type))
			assert.Equal(t, s.Short, ShortType(s.Type))
			role, restricted := RequiredRole(s.Type)
			assert.Equal(t, s.Role, role)
			assert.Equal(t, s.Role != "", restricted)
			assert.NotEmpty(t, s.Category)
			assert.Equal(t, s.Imported(), s.Answers == "", "a type is either answered by an action or recorded by an import only")
			if s.Requester {
				assert.Empty(t, s.Role, "a requester's decision needs no role")
			}
			if s.Answers != "" {
				assert.NotContains(t, verbs, s.Answers, "action %q answered by %s too", s.Answers, verbs[s.Answers])
				verbs[s.Answers] = s.Type
			}

			// The registry reads the golden sample as the entry says: its
			// payload, in value form, at the entry's schema, about the
			// entry's kind of aggregate; DecodeAs reads it the same.
			b, err := os.ReadFile(filepath.Join("testdata", s.Type+".json"))
			require.NoError(t, err)
			e, err := Decode(b)
			require.NoError(t, err)
			require.NotNil(t, e.Data)
			assert.Equal(t, s.Type, e.Data.EventType())
			assert.True(t, Known(e.Data), "%T is the value form", e.Data)
			assert.Equal(t, s.Schema, e.Schema)
			assert.Equal(t, s.Kind, e.Aggregate.Kind)
			as, err := DecodeAs(b, s.Type)
			require.NoError(t, err)
			assert.Equal(t, e, as)
			pos, ranks := RankPosition(e.Data)
			assert.Equal(t, s.Ranks, ranks)
			if ranks {
				assert.NotZero(t, pos)
			}
		})
	}
	assert.Equal(t, slices.Sorted(maps.Keys(verbs)), slices.Sorted(slices.Values(Actions())), "Actions lists the verbs the catalogue answers")

	// What is not a catalogue payload in value form is not known.
	assert.False(t, Known(nil))
	assert.False(t, Known(Unknown{}))
	assert.False(t, Known(Quarantined{Original: WorkStarted{}}))
	assert.False(t, Known(&WorkStarted{}))
	_, ok := SpecOf("BacklogItemSplit")
	assert.False(t, ok)
}

// TestEveryTypeOccurs holds the shared history of every type to the
// catalogue: a new type needs a step in domaintest.
func TestEveryTypeOccurs(t *testing.T) {
	assert.Empty(t, domaintest.Missing(domaintest.EveryType()), "add a step that records it to domain/domaintest/every.go")
}

// TestEveryTypeThroughTheGate runs an event of every type through the
// validating fold: each is what the rules decide (or, imported, what
// they observe), so the gate admits every one.
func TestEveryTypeThroughTheGate(t *testing.T) {
	evs := domaintest.EveryType()
	for name, g := range map[string]*Gate{"write": NewGate(NewState(domaintest.Product)), "read": NewReadGate(domaintest.Product)} {
		t.Run(name, func(t *testing.T) {
			var admitted []Event
			for _, e := range evs {
				for _, out := range g.Admit(e) {
					reason, q := QuarantineReason(out)
					require.False(t, q, "%s at %d quarantined: %s", out.Type, out.Seq, reason)
					admitted = append(admitted, out)
				}
			}
			admitted = append(admitted, g.Flush()...)
			require.Equal(t, evs, admitted)
			assert.Empty(t, g.Gaps())
		})
	}
}

// TestEveryTypeThroughTheWriteState runs an event of every type through
// the write state's fold: it says what it does with every type, and a
// type it folds changes the state.
func TestEveryTypeThroughTheWriteState(t *testing.T) {
	assert.Empty(t, EvolveFold.Missing(), "%s has no case for these types", EvolveFold.Name())
	s := NewState(domaintest.Product)
	changed := map[string]bool{}
	for _, e := range domaintest.EveryType() {
		before := copyState(s)
		s.Apply(e)
		after := copyState(s)
		if !reflect.DeepEqual(before, after) {
			changed[e.Type] = true
		}
	}
	for _, typ := range EventTypes() {
		if EvolveFold.Handles(typ) {
			assert.True(t, changed[typ], "the write state folds %s but no event of it changed the state", typ)
		} else {
			assert.True(t, EvolveFold.Skips(typ))
		}
	}
}

// copyState copies what the fold changes: the aggregates' states.
func copyState(s *State) [4]any {
	roles := map[string][]Role{}
	for a := range s.Product.Roles {
		roles[a] = s.Product.RolesOf(a)
	}
	p := s.Product
	p.Roles = nil
	return [4]any{[]any{p, roles}, clone(s.Roadmap), clone(s.Items), clone(s.Requests)}
}

func clone[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
