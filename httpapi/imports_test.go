package httpapi

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The edge imports command, query, domain and access of the ledger, nothing
// else: the rule of doc.go, checked so that it survives edits.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	allowed := map[string]bool{"command": true, "query": true, "domain": true, "access": true}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, im := range ast.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if pkg, ok := strings.CutPrefix(path, "github.com/decisionledger/ledger/"); ok {
				assert.True(t, allowed[pkg], "%s imports %s", f, path)
			}
		}
	}
}
