package query

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestCatalogueDeclaresEveryOption: every field of Options is an option
// of a view (or the product), and every view and option says what it is.
func TestCatalogueDeclaresEveryOption(t *testing.T) {
	used := map[string]bool{"product": true}
	for _, v := range Catalogue() {
		assert.NotEmpty(t, v.Doc, v.Name)
		assert.NotNil(t, v.Answer, v.Name)
		for _, p := range v.Params {
			used[p.Name] = true
			assert.NotEmpty(t, p.Doc, "%s %s", v.Name, p.Name)
			assert.Equal(t, p.Name, jsonName(optionsType.Field(p.field)), "%s %s", v.Name, p.Name)
		}
	}
	for i := 0; i < optionsType.NumField(); i++ {
		assert.True(t, used[jsonName(optionsType.Field(i))], "Options.%s is no view's option", optionsType.Field(i).Name)
	}
	assert.Len(t, Views, len(Catalogue()))
}

// TestEveryViewAnswers asks every view of the catalogue: each answers
// with the type it declares, and a view with a CSV form gives one.
func TestEveryViewAnswers(t *testing.T) {
	q, _ := demoService(t)
	ctx := context.Background()
	examples := map[string]string{"id": "CARD-2", "plannedAsOf": "2026-04-01", "from": "2026-05-01"}
	for _, v := range Catalogue() {
		t.Run(v.Name, func(t *testing.T) {
			o := Options{}
			if !v.Ledger {
				o.Product = "checkout"
			}
			for _, p := range v.Params {
				if p.Required {
					require.NoError(t, p.Set(&o, examples[p.Name]))
				}
			}
			got, err := q.View(ctx, v.Name, o)
			require.NoError(t, err)
			assert.Equal(t, reflect.TypeOf(v.Answer), reflect.Indirect(reflect.ValueOf(got)).Type())
			if v.HasCSV() {
				header, rows, err := v.CSV(got)
				require.NoError(t, err)
				assert.NotEmpty(t, header)
				for _, r := range rows {
					assert.Len(t, r, len(header))
				}
			}
		})
	}
	_, err := q.View(ctx, "nope", Options{Product: "checkout"})
	assert.Equal(t, domain.KindMalformed, domain.KindOf(err))
}
