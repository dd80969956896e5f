// Package trackers is the registry of the tracker export formats the
// ledger imports (bugzilla, github, jira) and the one entry every edge
// uses to turn an export into the steps that record it: the CLI, the
// NATS service and the HTTP API read an export the same way. It imports
// the format packages and importer; nothing imports it but the write path
// and the edges.
package trackers

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/bugzilla"
	"github.com/decisionledger/ledger/importer/github"
	"github.com/decisionledger/ledger/importer/jira"
)

// Format is one export format.
type Format struct {
	// System names the tracker in provenance and command ids.
	System string
	// Defaults is the map a format uses without a map file.
	Defaults func() importer.Map
	// Read maps the export files' contents to the decisions they record,
	// under m, and counts the changes with no ledger meaning.
	Read func(files [][]byte, m *importer.Map) ([]importer.Op, importer.Skipped, error)
}

var formats = map[string]Format{
	"bugzilla": {System: bugzilla.System, Defaults: bugzilla.Defaults, Read: readBugzilla},
	"github":   {System: github.System, Defaults: github.Defaults, Read: readGitHub},
	"jira":     {System: jira.System, Defaults: jira.Defaults, Read: readJira},
}

// Names lists the formats, sorted.
func Names() []string {
	out := make([]string, 0, len(formats))
	for f := range formats {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	f, ok := formats[name]
	return f, ok
}

// Plan reads an export of format name (its files' contents) under the map
// file's bytes (nil for the format's defaults) and returns the steps that
// record it in product, with the summary of what the export means. Its
// errors are about the input: an unknown format, a map or an export that
// cannot be read.
func Plan(name, product string, mapFile []byte, files [][]byte) ([]importer.Step, importer.Summary, error) {
	return PlanWith(name, product, mapFile, files, Options{})
}

// Options are what an import is told beside its export and map file.
type Options struct {
	// URL is the tracker's base address, for links (the CLI's --url): it
	// replaces the map file's url.
	URL string
}

// PlanWith is Plan with options.
func PlanWith(name, product string, mapFile []byte, files [][]byte, opt Options) ([]importer.Step, importer.Summary, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, importer.Summary{}, fmt.Errorf("unknown import format %q: use one of %v", name, Names())
	}
	m, err := importer.ParseMap(mapFile, f.Defaults())
	if err != nil {
		return nil, importer.Summary{}, err
	}
	if opt.URL != "" {
		if !domain.SourceLinkOK(opt.URL) {
			return nil, importer.Summary{}, fmt.Errorf("--url %q is not an http or https address of a tracker", opt.URL)
		}
		m.URL = strings.TrimRight(opt.URL, "/")
	}
	ops, skipped, err := f.Read(files, m)
	if err != nil {
		return nil, importer.Summary{}, err
	}
	steps, sum := importer.Plan(f.System, product, m, ops, skipped)
	return steps, sum, nil
}

func readJira(files [][]byte, m *importer.Map) ([]importer.Op, importer.Skipped, error) {
	var pages [][]jira.Issue
	for _, f := range files {
		issues, err := jira.Parse(bytes.NewReader(f))
		if err != nil {
			return nil, nil, err
		}
		pages = append(pages, issues)
	}
	res, err := jira.Map(jira.Merge(pages...), m)
	if err != nil {
		return nil, nil, err
	}
	return res.Ops, res.Skipped, nil
}

func readGitHub(files [][]byte, m *importer.Map) ([]importer.Op, importer.Skipped, error) {
	var all [][]github.Issue
	pulls := 0
	for _, f := range files {
		issues, p, err := github.Parse(bytes.NewReader(f))
		if err != nil {
			return nil, nil, err
		}
		all, pulls = append(all, issues), pulls+p
	}
	res, err := github.Map(github.Merge(all...), m)
	if err != nil {
		return nil, nil, err
	}
	if pulls > 0 {
		res.Skipped["pull_request"] += pulls
	}
	return res.Ops, res.Skipped, nil
}

func readBugzilla(files [][]byte, m *importer.Map) ([]importer.Op, importer.Skipped, error) {
	var all [][]bugzilla.Bug
	for _, f := range files {
		bugs, err := bugzilla.Parse(bytes.NewReader(f))
		if err != nil {
			return nil, nil, err
		}
		all = append(all, bugs)
	}
	res, err := bugzilla.Map(bugzilla.Merge(all...), m)
	if err != nil {
		return nil, nil, err
	}
	return res.Ops, res.Skipped, nil
}
