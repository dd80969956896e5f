#!/usr/bin/env python3
"""Works out what a Jira export (search results with their changelog)
means by the rules of docs/import.md, from the raw file alone: it shares
no code with the Go importer.

    python3 summary.py jira-cloud-search.json map.json > summary.json
    python3 summary.py --outcomes jira-cloud-search.json map.json > outcomes.json

The first prints the import summary (not written/already, which depend on
the ledger); the second, per request, when it was submitted, accepted,
deferred, rejected and delivered and its item's slips, and per fix version
the items planned for it at T0 and what became of them by T1. Pages are
merged by issue key, histories kept once by id. Values are matched by id,
never by their localized names. Standard library only; the lifecycle is
../../testdata/lifecycle.py.
"""
import json
import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata"))
import lifecycle  # noqa: E402

# T0 is the end of the first day of planning (2020-06-12, Beijing time),
# T1 the end of 2020, months after v2.7.0's release on 2020-07-10.
T0 = datetime(2020, 6, 13, tzinfo=timezone.utc)
T1 = datetime(2020, 12, 31, tzinfo=timezone.utc)

# IssueParentAssociation is the parent as team-managed projects record it
# (their epic is the parent): read as a parent change.
FIELDS = {"status": "status", "resolution": "resolution", "assignee": "assignee", "priority": "priority",
          "summary": "title", "Sprint": "sprint", "Epic Link": "epic", "Parent": "epic",
          "IssueParentAssociation": "epic", "issuetype": "type"}
# Compared by their text: a title, a sprint's name, an epic's key.
BY_TEXT = {"title", "sprint", "epic"}
BUG_NAMES = {"bug", "defect", "缺陷", "故障", "错误", "バグ", "버그", "fehler", "défaut", "bogue", "anomalie", "error",
             "erro", "errore", "ошибка", "баг", "błąd", "fout"}


def ts(s):
    for f in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(s, f).astimezone(timezone.utc)
        except ValueError:
            pass
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)


def login(u):
    """A Jira account: its id (Cloud), else its name (Server), else e-mail."""
    u = u or {}
    return u.get("accountId") or u.get("name") or u.get("emailAddress") or ""


def merged(paths):
    out, at = [], {}
    for p in paths:
        for i in json.load(open(p, encoding="utf-8"))["issues"]:
            if i["key"] not in at:
                at[i["key"]] = len(out)
                out.append(i)
                continue
            have = out[at[i["key"]]]["changelog"]["histories"]
            ids = {h.get("id") for h in have}
            have += [h for h in i["changelog"]["histories"] if h.get("id") not in ids]
    return out


def kind_of(issue, types, names):
    """The item kind of the issue's type at a moment (by id): the map's
    types; an epic above the base level; a story for a sub-task; a bug for
    the bug type (its untranslated name, standard icon or a common name);
    else a story. A type the issue had before is known by id and name only."""
    t = issue["fields"].get("issuetype") or {}

    def kind(values):
        tid = values.get("type") or t.get("id", "")
        cur = tid == t.get("id")
        name = t.get("name", "") if cur else names.get(tid, "")
        if tid in types:
            return types[tid]
        if name in types:
            return types[name]
        if cur and t.get("hierarchyLevel", 0) >= 1:
            return "epic"
        if cur and (t.get("subtask") or t.get("hierarchyLevel", 0) < 0):
            return "story"
        if (cur and ((t.get("untranslatedName") or "").lower() == "bug" or t.get("avatarId") == 10303)) \
                or name.strip().lower() in BUG_NAMES:
            return "bug"
        if name.lower() == "epic" or (cur and (t.get("untranslatedName") or "").lower() == "epic"):
            return "epic"
        if name.lower() == "spike":
            return "spike"
        return "story"
    return kind


def read(paths, rules):
    raw = merged(paths)
    link_ids = {"customfield_10014"} | {it.get("fieldId") for i in raw for h in i["changelog"]["histories"]
                                        for it in h["items"] if it["field"] == "Epic Link" and it.get("fieldId")}
    issues = []
    for i in raw:
        f = i["fields"]
        epic = (f.get("epic") or {}).get("key") or next((f[k] for k in sorted(link_ids) if isinstance(f.get(k), str) and f[k]), "") \
            or (f.get("parent") or {}).get("key", "")
        versions = [v["name"] for v in f.get("fixVersions") or []]
        now = {"status": (f.get("status") or {}).get("id", ""), "resolution": (f.get("resolution") or {}).get("id", ""),
               "priority": (f.get("priority") or {}).get("id", ""), "assignee": login(f.get("assignee")),
               "milestone": versions[-1] if versions else "", "epic": epic,
               "type": (f.get("issuetype") or {}).get("id", "")}
        names = {}
        changes = []
        for place, h in enumerate(i["changelog"]["histories"]):
            items, added, removed = [], [], []
            for it in h["items"]:
                if it["field"] == "Fix Version" or it.get("fieldId") == "fixVersions":
                    if it.get("toString"):
                        added.append(it["toString"])
                    if it.get("fromString"):
                        removed.append(it["fromString"])
                    continue
                field = FIELDS.get(it["field"])
                if field in BY_TEXT:
                    frm, to = it.get("fromString") or "", it.get("toString") or ""
                else:
                    frm, to = it.get("from") or "", it.get("to") or ""
                if field == "assignee" and not to:
                    to = it.get("toString") or ""
                if field == "type":
                    names[frm], names[to] = it.get("fromString") or "", it.get("toString") or ""
                items.append({"field": field, "raw": it["field"], "from": frm, "to": to})
            if added or removed:
                # The fix versions a history changes are one move: onto the
                # last one added, else off the one removed.
                items.insert(0, {"field": "milestone", "raw": "Fix Version", "from": removed[0] if removed else "",
                                 "to": added[-1] if added else ""})
            author = h.get("author") or {}
            changes.append({"at": ts(h["created"]), "login": login(author), "name": author.get("displayName", ""),
                            "items": items, "place": place})
        # Histories come newest first: played by time; two of one instant
        # in their place in the history (the document's tie-break; the
        # fixture has none).
        changes.sort(key=lambda c: (c["at"], c["place"]))
        by = f.get("reporter") or f.get("creator") or {}
        comments = [{"at": ts(c["created"]), "login": login(c.get("author")), "text": c.get("body", ""), "description": False}
                    for c in (f.get("comment") or {}).get("comments", [])]
        issues.append({"key": i["key"], "base": i["key"], "project": (f.get("project") or {}).get("key", ""),
                       "filed": {"at": ts(f["created"]), "login": login(by), "name": by.get("displayName", "")},
                       "now": now, "title": f.get("summary", ""), "kind": kind_of(i, rules.map.get("types", {}), names),
                       "changes": changes, "comments": comments, "link": browse(rules.map.get("url"), i)})
    return issues


def browse(base, issue):
    """<url>/browse/KEY, the site from the map's url, else from the issue's
    own self link; "" when neither names one."""
    if not base and "/rest/" in issue.get("self", ""):
        base = issue["self"][:issue["self"].index("/rest/")]
    return base.rstrip("/") + "/browse/" + issue["key"] if base else ""


def rules_of(mp):
    # The reasons of Jira's rejecting resolutions are not written out: read
    # as their Bugzilla namesakes (Won't Fix and Won't Do as WONTFIX,
    # Incomplete and Cannot Reproduce as INCOMPLETE and WORKSFORME).
    return lifecycle.Rules(
        mp, priorities=["1", "2", "3", "4", "5"],
        resolutions={"1": {"deliver": True}, "10000": {"deliver": True}, "2": {"reject": "out-of-scope"},
                     "10001": {"reject": "out-of-scope"}, "3": {"reject": "duplicate"}, "4": {"reject": "other"},
                     "5": {"reject": "other"}},
        statuses={"3": {"start": True}})


def in_progress(paths, mp):
    """Every status the export shows in Jira's "in progress" category
    starts work, unless the map says what it means."""
    out = {}
    for i in merged(paths):
        s = i["fields"].get("status") or {}
        if (s.get("statusCategory") or {}).get("key") == "indeterminate" and s["id"] not in mp.get("statuses", {}):
            out[s["id"]] = {"start": True}
    return out


def rules_with_categories(mp):
    r = rules_of(mp)
    for sid, o in in_progress(rules_with_categories.paths, mp).items():
        r.statuses.setdefault(sid, o)
    return r


if __name__ == "__main__":
    rules_with_categories.paths = [a for a in sys.argv[1:-1] if a != "--outcomes"]
    lifecycle.main(sys.argv, read, rules_with_categories, T0, T1)
