package hook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer/bugzilla"
)

// BugzillaSecret is a header a proxy in front of Bugzilla may carry the
// shared secret in; Bugzilla's Webhooks extension itself sends no secret
// header, so its hook URL carries it (?secret=).
const BugzillaSecret = "X-Webhook-Secret"

// verifyBugzilla checks the shared secret: in the URL's ?secret= (what
// Bugzilla's Webhooks extension can send), an X-Webhook-Secret header or
// an Authorization: Bearer header.
func verifyBugzilla(h Hook, d Delivery) (bool, error) {
	s := d.Query.Get("secret")
	if s == "" {
		s = d.Header.Get(BugzillaSecret)
	}
	if s == "" {
		if scheme, tok, ok := strings.Cut(d.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			s = strings.TrimSpace(tok)
		}
	}
	if s == "" {
		return false, unsigned("the delivery bears no secret: give Bugzilla the URL \"ledger hook add bugzilla\" printed, with its ?secret=")
	}
	return equal(s, h.Secret), nil
}

// bzUser is a user in a Bugzilla webhook: an object with a login, or
// (some versions) the login alone.
type bzUser struct{ Login string }

func (u *bzUser) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		u.Login = s
		return nil
	}
	var o struct {
		Login string `json:"login"`
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	u.Login = firstOf(o.Login, o.Name, o.Email)
	return nil
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// bzPayload is the part of a Webhooks extension delivery a hook reads.
type bzPayload struct {
	Event struct {
		Action     string `json:"action"`
		Target     string `json:"target"`
		RoutingKey string `json:"routing_key"`
		Time       string `json:"time"`
		User       bzUser `json:"user"`
		Changes    []struct {
			Field   string `json:"field"`
			Removed string `json:"removed"`
			Added   string `json:"added"`
		} `json:"changes"`
	} `json:"event"`
	Bug *struct {
		ID              int     `json:"id"`
		Summary         string  `json:"summary"`
		CreationTime    string  `json:"creation_time"`
		Type            string  `json:"type"`
		Severity        string  `json:"severity"`
		Priority        string  `json:"priority"`
		TargetMilestone string  `json:"target_milestone"`
		Status          string  `json:"status"`
		Resolution      string  `json:"resolution"`
		AssignedTo      *bzUser `json:"assigned_to"`
		Reporter        *bzUser `json:"reporter"`
		Comment         *struct {
			ID           int    `json:"id"`
			Number       int    `json:"number"`
			Body         string `json:"body"`
			CreationTime string `json:"creation_time"`
		} `json:"comment"`
	} `json:"bug"`
}

// bzTime reads the extension's times (with or without a zone, UTC when
// none) and writes them as the REST API does.
func bzTime(s string) (string, time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339), t, nil
		}
	}
	return "", time.Time{}, domain.Malformed("event.time", "time %q is not a Bugzilla time", s)
}

// parseBugzilla reads a bug create or modify, or a comment create, into
// the bug's record as the REST API's bug object holds it with its
// history and comments: the bug's fields as the delivery has them now,
// each modify a history entry (its time, its user, its changes), each
// comment a comment. The extension names no delivery: a delivery is
// known again by a hash of its body.
func parseBugzilla(_ Hook, d Delivery) (parsed, error) {
	var p parsed
	var pl bzPayload
	if err := json.Unmarshal(d.Body, &pl); err != nil || pl.Bug == nil || pl.Bug.ID == 0 {
		return p, domain.Malformed("", "the body is not a Bugzilla webhook payload with a bug: is this Bugzilla's Webhooks extension?")
	}
	b := pl.Bug
	p.issue = strconv.Itoa(b.ID)
	ev := pl.Event
	var hist *bugzilla.History
	var com *bugzilla.Comment
	switch {
	case ev.Target == "bug" && ev.Action == "create":
	case ev.Target == "bug" && ev.Action == "modify":
		when, _, err := bzTime(ev.Time)
		if err != nil {
			return p, err
		}
		hist = &bugzilla.History{When: when, Who: ev.User.Login}
		for _, c := range ev.Changes {
			hist.Changes = append(hist.Changes, bugzilla.Change{FieldName: c.Field, Removed: c.Removed, Added: c.Added})
		}
	case ev.Target == "comment" && b.Comment != nil:
		when, _, err := bzTime(firstOf(b.Comment.CreationTime, ev.Time))
		if err != nil {
			return p, err
		}
		com = &bugzilla.Comment{ID: b.Comment.ID, Count: b.Comment.Number, Text: b.Comment.Body, Creator: ev.User.Login, CreationTime: when}
	default:
		p.ignored = fmt.Sprintf("Bugzilla %s %s: the ledger reads bugs created and changed, and comments", ev.Target, ev.Action)
		return p, nil
	}
	p.merge = func(old []byte) ([]byte, error) {
		var rec bugzilla.Bug
		if len(old) > 0 {
			if err := json.Unmarshal(old, &rec); err != nil {
				return nil, err
			}
		}
		if com == nil || rec.ID == 0 {
			// The bug as Bugzilla has it now (a comment's bug is the
			// same object); history and comments accumulate.
			rec.ID, rec.Summary, rec.Type, rec.Severity, rec.Priority = b.ID, b.Summary, b.Type, b.Severity, b.Priority
			rec.TargetMilestone, rec.Status, rec.Resolution = b.TargetMilestone, b.Status, b.Resolution
			if b.CreationTime != "" {
				created, _, err := bzTime(b.CreationTime)
				if err != nil {
					return nil, err
				}
				rec.CreationTime = created
			}
			if b.AssignedTo != nil {
				rec.AssignedTo = b.AssignedTo.Login
			}
			if b.Reporter != nil {
				rec.Creator = b.Reporter.Login
			}
		}
		if hist != nil {
			key, _ := json.Marshal(hist)
			if !slices.ContainsFunc(rec.History, func(h bugzilla.History) bool { k, _ := json.Marshal(h); return string(k) == string(key) }) {
				rec.History = append(rec.History, *hist)
			}
		}
		if com != nil && !slices.ContainsFunc(rec.Comments, func(c bugzilla.Comment) bool { return c.ID == com.ID }) {
			rec.Comments = append(rec.Comments, *com)
		}
		return json.Marshal(rec)
	}
	return p, nil
}
