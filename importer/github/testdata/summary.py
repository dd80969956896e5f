#!/usr/bin/env python3
"""Works out what a GitHub export means by the rules of docs/import.md,
from the raw file alone: it shares no code with the Go importer.

    python3 summary.py github-webcompat-issues.jsonl map.json > summary.json
    python3 summary.py --outcomes github-webcompat-issues.jsonl map.json > outcomes.json

The first prints the import summary (not written/already, which depend on
the ledger); the second, per request, when it was submitted, accepted,
deferred, rejected and delivered and its item's slips, and per release
the items planned for it at T0 and what became of them by T1. Issue
objects with their events, one per line or as an array, or the
repository-wide events list; files merged by issue number. Standard
library only; the lifecycle is ../../testdata/lifecycle.py.
"""
import json
import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata"))
import lifecycle  # noqa: E402

# The export spans four days: T0 is the middle of it, T1 its end.
T0 = datetime(2021, 4, 19, 12, tzinfo=timezone.utc)
T1 = datetime(2021, 4, 22, tzinfo=timezone.utc)


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)


def objects(path):
    text = open(path, encoding="utf-8").read().strip()
    if text.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def merged(paths, skipped):
    """Issues by number, in order of first appearance, events once by id;
    an event of the repository-wide list carries its issue. Pull requests
    are left out and counted."""
    out, at = [], {}
    for p in paths:
        for o in objects(p):
            if "event" in o:
                issue, events = o["issue"], [{k: v for k, v in o.items() if k != "issue"}]
            else:
                issue, events = o, o.get("events", [])
            n = issue["number"]
            if n not in at:
                at[n] = len(out)
                out.append(dict(issue, events=[]))
            have = out[at[n]]
            if "event" not in o:
                have.update({k: v for k, v in issue.items() if k != "events"})
            ids = {e["id"] for e in have["events"]}
            have["events"] += [e for e in events if e["id"] not in ids]
    keep = []
    for i in out:
        if i.get("pull_request"):
            skipped["pull_request"] = skipped.get("pull_request", 0) + 1
        else:
            keep.append(i)
    return keep


def item(e):
    """An event as the field it changes (None: no meaning for the ledger)."""
    kind = e["event"]
    it = {"field": None, "raw": kind, "from": "", "to": ""}
    if kind == "milestoned":
        it.update(field="milestone", to=e["milestone"]["title"])
    elif kind == "demilestoned":
        it.update(field="milestone", **{"from": e["milestone"]["title"]})
    elif kind == "labeled":
        it.update(field="label", to=e["label"]["name"])
    elif kind == "assigned":
        it.update(field="assignee", to=(e.get("assignee") or {}).get("login", ""))
    elif kind == "renamed":
        it.update(field="title", to=e["rename"]["to"], **{"from": e["rename"]["from"]})
    elif kind == "closed":
        # An event from before GitHub recorded close reasons has none: the
        # resolution "closed", which docs/import.md maps to delivering what
        # was taken on and rejecting, as other, what never was.
        it.update(field="resolution", to=e.get("state_reason") or "closed")
    elif kind == "marked_as_duplicate":
        it.update(field="resolution", to="duplicate")
    elif kind == "reopened":
        it.update(field="resolution", to="")
    return it


def login(user):
    return (user or {}).get("login", "")


def read(paths, rules):
    issues = []
    for i in merged(paths, read.skipped):
        changes = [{"at": ts(e["created_at"]), "login": login(e.get("actor")), "items": [item(e)], "place": k}
                   for k, e in enumerate(i["events"])]
        changes.sort(key=lambda c: (c["at"], c["place"]))
        issues.append({"key": str(i["number"]), "base": "GH-%d" % i["number"], "project": "",
                       "filed": {"at": ts(i["created_at"]), "login": login(i.get("user"))}, "now": {},
                       # The document gives GitHub no kinds: read as bugs.
                       "title": i["title"], "kind": lambda values: "bug", "changes": changes, "comments": [],
                       "link": i.get("html_url") or ""})
    return issues


read.skipped = {}


def rules_of(mp):
    return lifecycle.Rules(mp, resolutions={"completed": {"deliver": True}, "not_planned": {"reject": "out-of-scope"},
                                            "duplicate": {"reject": "duplicate"},
                                            "closed": {"deliver": True, "reject": "other"}})


if __name__ == "__main__":
    lifecycle.main(sys.argv, read, rules_of, T0, T1, extra_skipped=read.skipped)
