package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoPath matches what reads as a path in this repository: a top-level
// folder of it, then more path, ending in a file name with an extension
// or a slash (docs/import.md, importer/bugzilla/testdata/, .ci/run).
var repoPath = regexp.MustCompile(`(?:^|[\s("'\x60\[])((?:\.ci|docs|cmd|domain|eventstore|projections|replay|importer|httpapi|query|service|command|access|audit|bench|demo|faults|snapshot|stored)/[A-Za-z0-9_./{}*-]*[A-Za-z0-9_/])`)

// TestNamedPathsExist: every path of the repository that a command's help
// or a page (the README, docs/*.md, a testdata README) names exists, so
// that a reader sent to one finds it. Paths with a pattern in them
// (importer/*/testdata/, {id}) name a set and are not checked.
func TestNamedPathsExist(t *testing.T) {
	root := filepath.Join("..", "..")
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(p, "."))))
		return err == nil
	}
	checked := map[string]bool{}
	check := func(where, text string) {
		for _, m := range repoPath.FindAllStringSubmatch(text, -1) {
			p := strings.TrimRight(m[1], ".")
			if strings.ContainsAny(p, "*{}") {
				continue
			}
			checked[p] = true
			assert.True(t, exists(p), "%s names %s, which does not exist", where, p)
		}
	}

	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check(c.CommandPath()+" --help", c.Long+"\n"+c.Example+"\n"+c.Short+"\n"+c.Flags().FlagUsages())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(strings.NewReader(""), io.Discard, io.Discard).rootCommand())

	pages := []string{"README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	for _, p := range more {
		rel, _ := filepath.Rel(root, p)
		pages = append(pages, rel)
	}
	readmes, err := filepath.Glob(filepath.Join(root, "*", "*", "testdata", "README.md"))
	require.NoError(t, err)
	r2, err := filepath.Glob(filepath.Join(root, "*", "testdata", "README.md"))
	require.NoError(t, err)
	for _, p := range append(readmes, r2...) {
		rel, _ := filepath.Rel(root, p)
		pages = append(pages, rel)
	}
	require.Contains(t, pages, filepath.Join("docs", "import.md"))
	for _, p := range pages {
		b, err := os.ReadFile(filepath.Join(root, p))
		require.NoError(t, err)
		check(p, string(b))
	}
	assert.Contains(t, checked, "docs/import.md", "import --help names it")
	assert.Greater(t, len(checked), 10, "the pages name paths: the pattern finds them")
	t.Logf("%d paths named, all found", len(checked))
}
