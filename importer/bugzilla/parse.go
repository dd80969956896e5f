package bugzilla

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
)

// Bug is the part of a Bugzilla REST bug object the import reads.
type Bug struct {
	ID              int       `json:"id"`
	Summary         string    `json:"summary"`
	Creator         string    `json:"creator"`
	CreationTime    string    `json:"creation_time"`
	Type            string    `json:"type"`
	Severity        string    `json:"severity"`
	Priority        string    `json:"priority"`
	TargetMilestone string    `json:"target_milestone"`
	AssignedTo      string    `json:"assigned_to"`
	Status          string    `json:"status"`
	Resolution      string    `json:"resolution"`
	History         []History `json:"history"`
	Comments        []Comment `json:"comments"`
}

// History is one entry of a bug's history: who changed which fields when.
type History struct {
	When    string   `json:"when"`
	Who     string   `json:"who"`
	Changes []Change `json:"changes"`
}

// Change is one field changed in a history entry.
type Change struct {
	FieldName string `json:"field_name"`
	Removed   string `json:"removed"`
	Added     string `json:"added"`
}

// Comment is one comment on a bug.
type Comment struct {
	ID           int    `json:"id"`
	Count        int    `json:"count"`
	Text         string `json:"text"`
	Author       string `json:"author"`
	Creator      string `json:"creator"`
	CreationTime string `json:"creation_time"`
}

// By is who wrote the comment: Bugzilla 5 names them creator, older
// versions (and BMO, for compatibility) author.
func (c Comment) By() string {
	if c.Author != "" {
		return c.Author
	}
	return c.Creator
}

// Parse reads one export: {"bugs":[...]} (the shape of /rest/bug, and of
// /rest/bug/{id}/history, whose bugs carry only id and history), the
// comments of /rest/bug/{id}/comment ({"bugs":{"ID":{"comments":[...]}}},
// read as bugs that carry only id and comments) or one bug object per
// line. Bugs whose id appears twice (a bug file and its history
// file) are merged: the later one's history and comments are added.
func Parse(r io.Reader) ([]Bug, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading a Bugzilla export: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	var bugs []Bug
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var page struct {
			Bugs *[]Bug `json:"bugs"`
		}
		if err := json.Unmarshal(trimmed, &page); err == nil && page.Bugs != nil {
			return *page.Bugs, nil
		}
		if bugs, ok, err := commentFile(trimmed); ok {
			return bugs, err
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var bug Bug
		if err := json.Unmarshal(b, &bug); err != nil {
			return nil, fmt.Errorf("line %d is not a Bugzilla bug object: %w", line, err)
		}
		if bug.ID == 0 {
			return nil, fmt.Errorf("line %d: a bug object without an id: is this a Bugzilla REST export?", line)
		}
		bugs = append(bugs, bug)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading a Bugzilla export: %w", err)
	}
	return bugs, nil
}

// Merge joins the bugs of several exports by id, in order of first
// appearance: a bug seen again keeps its fields from the first file with
// a creation time and gains the other's history entries and comments it
// did not have.
func Merge(files ...[]Bug) []Bug {
	var out []Bug
	at := map[int]int{}
	for _, bugs := range files {
		for _, b := range bugs {
			i, ok := at[b.ID]
			if !ok {
				at[b.ID] = len(out)
				out = append(out, b)
				continue
			}
			have := &out[i]
			if have.CreationTime == "" && b.CreationTime != "" {
				h, c := have.History, have.Comments
				*have = b
				have.History, have.Comments = h, c
			}
			seen := map[string]bool{}
			for _, h := range have.History {
				seen[historyKey(h)] = true
			}
			for _, h := range b.History {
				if !seen[historyKey(h)] {
					have.History = append(have.History, h)
				}
			}
			ids := map[int]bool{}
			for _, c := range have.Comments {
				ids[c.ID] = true
			}
			for _, c := range b.Comments {
				if !ids[c.ID] {
					have.Comments = append(have.Comments, c)
				}
			}
		}
	}
	return out
}

func historyKey(h History) string {
	b, _ := json.Marshal(h)
	return string(b)
}

// parseTime reads a Bugzilla time: RFC 3339 (2017-08-10T06:23:58Z), with
// or without fractional seconds or an offset.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not RFC 3339", s)
}

func key(id int) string { return strconv.Itoa(id) }

// commentFile reads the answer of /rest/bug/{id}/comment, whose bugs are
// an object keyed by bug id; ok is false when data is not that shape.
func commentFile(data []byte) (bugs []Bug, ok bool, err error) {
	var page struct {
		Bugs map[string]struct {
			Comments []Comment `json:"comments"`
		} `json:"bugs"`
	}
	if json.Unmarshal(data, &page) != nil || page.Bugs == nil {
		return nil, false, nil
	}
	for key, b := range page.Bugs {
		id, err := strconv.Atoi(key)
		if err != nil || id <= 0 {
			return nil, true, fmt.Errorf("a comment file's bug %q is not a bug id", key)
		}
		bugs = append(bugs, Bug{ID: id, Comments: b.Comments})
	}
	sort.Slice(bugs, func(i, j int) bool { return bugs[i].ID < bugs[j].ID })
	return bugs, true, nil
}
