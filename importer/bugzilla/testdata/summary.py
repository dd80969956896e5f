#!/usr/bin/env python3
"""Works out what a Bugzilla export means by the rules of docs/import.md,
from the raw file alone: it shares no code with the Go importer.

    python3 summary.py bugzilla-mozilla.jsonl map.json > summary.json
    python3 summary.py --outcomes bugzilla-mozilla.jsonl map.json > outcomes.json

The first prints the import summary (not written/already, which depend on
the ledger); the second, per request, when it was submitted, accepted,
deferred, rejected and delivered and its item's slips, and per release
the items planned for it at T0 and what became of them by T1. Several
export files (a bug file and its history file) are merged by bug id.
Standard library only; the lifecycle is ../../testdata/lifecycle.py.
"""
import json
import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata"))
import lifecycle  # noqa: E402

# Mozilla sets a bug's target milestone when its fix lands, so an item
# serves a release mostly once it is delivered. T0 is in the mozilla34
# cycle, the busiest of the sample, the day after two bugs fixed without a
# milestone were given mozilla34; T1 the end of the history.
T0 = datetime(2014, 8, 5, tzinfo=timezone.utc)
T1 = datetime(2019, 12, 31, tzinfo=timezone.utc)

FIELDS = {"status": "status", "resolution": "resolution", "assigned_to": "assignee", "priority": "priority",
          "target_milestone": "milestone", "summary": "title", "type": "type", "severity": "severity"}


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)


def bugs_of(path):
    text = open(path, encoding="utf-8").read()
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)["bugs"]
        except (ValueError, KeyError):
            pass
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def merged(paths):
    """Bugs by id, in order of first appearance: a bug with a creation
    time gives its fields; every file gives its history entries (once)
    and comments."""
    out, at = [], {}
    for p in paths:
        for b in bugs_of(p):
            if b["id"] not in at:
                at[b["id"]] = len(out)
                out.append(dict(b, history=list(b.get("history", [])), comments=list(b.get("comments", []))))
                continue
            have = out[at[b["id"]]]
            if not have.get("creation_time") and b.get("creation_time"):
                have.update({k: v for k, v in b.items() if k not in ("history", "comments")})
            seen = {json.dumps(h, sort_keys=True) for h in have["history"]}
            have["history"] += [h for h in b.get("history", []) if json.dumps(h, sort_keys=True) not in seen]
            ids = {c["id"] for c in have["comments"]}
            have["comments"] += [c for c in b.get("comments", []) if c["id"] not in ids]
    return out


def kind(values):
    """An enhancement or a task becomes a story, every other bug a bug."""
    if (values.get("type") or "").lower() in ("enhancement", "task") or (values.get("severity") or "").lower() == "enhancement":
        return "story"
    return "bug"


def read(paths, rules):
    issues = []
    for b in merged(paths):
        filed = {"at": ts(b["creation_time"]), "login": b.get("creator", "")} if b.get("creation_time") else None
        now = {f: b[k] for k, f in FIELDS.items() if k in b} if filed else {}
        changes = []
        for place, h in enumerate(b["history"]):
            items = [{"field": FIELDS.get(c["field_name"]), "raw": c["field_name"], "from": c["removed"], "to": c["added"]}
                     for c in h["changes"]]
            changes.append({"at": ts(h["when"]), "login": h.get("who", ""), "items": items, "place": place})
        changes.sort(key=lambda c: (c["at"], c["place"]))
        comments = [{"at": ts(c["creation_time"]), "login": c.get("author") or (b.get("creator") if c["count"] == 0 else ""),
                     "text": c.get("text", ""), "description": c["count"] == 0} for c in b["comments"]]
        issues.append({"key": str(b["id"]), "base": "BZ-%d" % b["id"], "project": "", "filed": filed, "now": now,
                       "title": b.get("summary") or "Bug %d" % b["id"], "kind": kind, "changes": changes,
                       "comments": comments,
                       "link": mp_url(rules) + "/show_bug.cgi?id=%d" % b["id"] if mp_url(rules) else ""})
    return issues


def mp_url(rules):
    """The tracker's address, from the map: a Bugzilla export names none."""
    return (rules.map.get("url") or "").rstrip("/")


def rules_of(mp):
    other = "other"
    return lifecycle.Rules(
        mp, priorities=["P1", "P2", "P3", "P4", "P5"],
        resolutions={"FIXED": {"deliver": True}, "WONTFIX": {"reject": "out-of-scope"},
                     "INVALID": {"reject": "not-feasible"}, "DUPLICATE": {"reject": "duplicate"},
                     "WORKSFORME": {"reject": other}, "INCOMPLETE": {"reject": other}, "MOVED": {"reject": other},
                     "EXPIRED": {"reject": other}, "LATER": {"defer": True}, "REMIND": {"defer": True}},
        statuses={"ASSIGNED": {"accept": True}, "IN_PROGRESS": {"start": True}},
        unassigned=["nobody@mozilla.org"])


if __name__ == "__main__":
    lifecycle.main(sys.argv, read, rules_of, T0, T1)
