#!/usr/bin/env python3
"""Works out the import summary of a Bugzilla export from the raw file,
independently of the Go importer, by the rules of docs/import.md.

    python3 summary.py bugzilla-mozilla.jsonl map.json > summary.json

Only the standard library; the output is the summary's figures (not
written/already, which depend on the ledger)."""
import json, sys
from datetime import datetime, timezone

PRIORITIES = ["P1", "P2", "P3", "P4", "P5"]
DELIVER = {"FIXED"}
REJECT = {"WONTFIX", "INVALID", "DUPLICATE", "WORKSFORME", "INCOMPLETE", "MOVED", "EXPIRED"}
DEFER = {"LATER", "REMIND"}
TRIAGE_FIELDS = ("priority", "target_milestone", "assigned_to", "status", "resolution", "summary")


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def actor(login, people):
    p = people.get(login, {})
    if p.get("id"):
        return p["id"]
    out = "".join(ch if (ch.isascii() and (ch.isalnum() or ch in "_-")) else "-" for ch in login.strip().lower())
    return out.strip("-_")


def main():
    bugs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    mp = json.load(open(sys.argv[2]))
    people = mp.get("people", {})
    unassigned = set(mp.get("unassigned", ["nobody@mozilla.org"]))
    importer = mp.get("importer", "importer")

    # Roles under the map: (actor, role, from) ; the first PO without a date is the product's PO.
    spans = []
    po = importer
    for login in sorted(people):
        for r in people[login].get("roles", []):
            r = {"role": r} if isinstance(r, str) else r
            frm = ts(r["from"] + "T00:00:00Z") if r.get("from") else None
            spans.append((frm, actor(login, people), r["role"]))
            if r["role"] == "po" and frm is None and po == importer:
                po = actor(login, people)
    roles = {importer: {"pm"}}
    roles.setdefault(po, set()).add("po")
    events = 1  # ProductCreated

    # Every moment: creation (order -1) and history entries, sorted by time, bug, source order.
    moments = []
    for i, b in enumerate(bugs):
        moments.append((ts(b["creation_time"]), i, -1, None))
        for j, h in enumerate(b["history"]):
            moments.append((ts(h["when"]), i, j, h))
    moments.sort(key=lambda m: (m[0], m[1], m[2]))
    spans.sort(key=lambda s: (s[0] or datetime.min.replace(tzinfo=timezone.utc)))

    S = dict(events=0, items=0, requests=0, rejections=0, deliveries=0, slips=0, reopens=0, outsideAuthority=0)
    skipped = {}
    actors = set()
    state = {}
    for i, b in enumerate(bugs):
        init = {f: b[f] for f in TRIAGE_FIELDS}
        first = {}
        for h in b["history"]:
            for c in h["changes"]:
                f = c["field_name"]
                if f in init and (f not in first or ts(h["when"]) < first[f]):
                    first[f] = ts(h["when"])
                    init[f] = c["removed"]
        state[i] = dict(fields=dict(init), status=None)

    stakeholder_assigned = set()
    planned = set()

    def has_role(a):
        return bool(roles.get(a))

    def ensure(a, at):
        nonlocal events
        if not has_role(a):
            roles.setdefault(a, set()).add("stakeholder")
            events += 1

    def plan(ms):
        nonlocal events
        if ms not in planned:
            planned.add(ms)
            events += 1

    REQ = {"RequestSubmitted": None, "RequestAccepted": "po", "BacklogItemAdded": "po", "BacklogItemRanked": "po",
           "BacklogItemRefined": "po", "BacklogItemUnplanned": "po", "BacklogItemRemoved": "po",
           "RequestRejected": "po", "RequestDeferred": "po", "WorkDelivered": "team", "WorkReopened": "team"}

    used_comments = set()

    def use_comment(i, who, at):
        # The why of a decision is the first unused comment its author
        # wrote at that moment, when there is one.
        b = bugs[i]
        for c in b.get("comments", []):
            author = c.get("author") or (b["creator"] if c["count"] == 0 else None)
            if author == who and ts(c["creation_time"]) == at and (i, c["id"]) not in used_comments and c["text"].strip():
                used_comments.add((i, c["id"]))
                return

    decided_at = []

    def record(a, types, slip=False, removal_reject=False):
        # One decision by actor a, recording events of these types.
        decided_at.append(cur[0])
        S["events"] += len(types)
        actors.add(a)
        for t in types:
            need = REQ[t]
            if need and need not in roles.get(a, set()):
                S["outsideAuthority"] += 1
        S["items"] += types.count("BacklogItemAdded")
        S["deliveries"] += types.count("WorkDelivered")
        S["rejections"] += types.count("RequestRejected") + (types.count("BacklogItemRemoved") if removal_reject else 0)
        S["reopens"] += types.count("WorkReopened")
        if slip:
            S["slips"] += 1

    open_prio = {}  # not needed for counts: ranks are counted when a priority applies

    span_i = 0
    t0 = moments[0][0]
    cur = [None]
    for at, i, j, h in moments:
        cur[0] = at
        while span_i < len(spans) and (spans[span_i][0] is None or spans[span_i][0] <= at):
            frm, a, role = spans[span_i]
            if role not in roles.get(a, set()):
                if role == "po":
                    for other in roles:
                        if "po" in roles[other] and other != a:
                            roles[other].discard("po")
                            events += 1
                roles.setdefault(a, set()).add(role)
                events += 1
            span_i += 1
        b = bugs[i]
        st = state[i]
        f = st["fields"]
        who = b["creator"] if h is None else h["who"]
        a = actor(who, people)
        types = []
        if h is None:
            ensure(a, at)
            st["status"] = "pending"
            S["requests"] += 1
            use_comment(i, who, at)
            record(a, ["RequestSubmitted"])
            triaged = (f["target_milestone"] not in ("---", "")) or f["priority"] in PRIORITIES or \
                      (f["assigned_to"] and f["assigned_to"] not in unassigned)
            if triaged:
                if f["target_milestone"] not in ("---", ""):
                    plan(f["target_milestone"])
                t = ["RequestAccepted", "BacklogItemAdded"] + (["BacklogItemRanked"] if f["priority"] in PRIORITIES else [])
                st["status"] = "accepted"
                record(a, t)
            continue
        new = dict(f)
        for c in h["changes"]:
            new[c["field_name"]] = c["added"]
        used = set()
        needs = []
        if st["status"] in ("pending", "deferred"):
            trig = False
            for k, c in enumerate(h["changes"]):
                fn, ad = c["field_name"], c["added"]
                if (fn == "target_milestone" and ad not in ("---", "")) or (fn == "priority" and ad in PRIORITIES) or \
                   (fn == "assigned_to" and ad and ad not in unassigned) or (fn == "status" and ad in ("ASSIGNED", "IN_PROGRESS")):
                    trig = True
                    used.add(k)
                if fn == "resolution" and ad in DELIVER:
                    trig = True
            if trig:
                types += ["RequestAccepted", "BacklogItemAdded"]
                if new["target_milestone"] not in ("---", ""):
                    needs.append(new["target_milestone"])
                if new["priority"] in PRIORITIES:
                    types.append("BacklogItemRanked")
                st["status"] = "accepted"
        slip = False
        removal_reject = False
        # Resolution changes last: a milestone set with them is the release.
        seq = [k for k, c in enumerate(h["changes"]) if c["field_name"] != "resolution"] + \
              [k for k, c in enumerate(h["changes"]) if c["field_name"] == "resolution"]
        for k in seq:
            c = h["changes"][k]
            if k in used:
                continue
            fn, rm, ad = c["field_name"], c["removed"], c["added"]
            n = len(types)
            isopen = st["status"] == "accepted"
            if fn == "priority" and ad in PRIORITIES and isopen:
                types.append("BacklogItemRanked")
            elif fn == "target_milestone" and st["status"] in ("accepted", "delivered"):
                old = f["target_milestone"]
                if ad not in ("---", ""):
                    needs.append(ad)
                    types.append("BacklogItemRefined")
                    if old not in ("---", ""):
                        slip = True
                elif old not in ("---", ""):
                    types.append("BacklogItemUnplanned")
            elif fn == "summary" and isopen:
                types.append("BacklogItemRefined")
            elif fn == "resolution":
                s = st["status"]
                if ad == "" and s == "delivered":
                    st["status"] = "accepted"
                    types.append("WorkReopened")
                    if new["priority"] in PRIORITIES:
                        types.append("BacklogItemRanked")
                elif ad == "" and s in ("rejected", "removed"):
                    st["status"] = "pending"
                    types.append("RequestSubmitted")
                    S["requests"] += 1
                    S["reopens"] += 1
                elif ad in DELIVER and isopen:
                    st["status"] = "delivered"
                    types.append("WorkDelivered")
                elif ad in REJECT and s in ("pending", "deferred"):
                    st["status"] = "rejected"
                    types.append("RequestRejected")
                elif ad in REJECT and isopen:
                    st["status"] = "removed"
                    types.append("BacklogItemRemoved")
                    removal_reject = True
                elif ad in DEFER and s == "pending":
                    st["status"] = "deferred"
                    types.append("RequestDeferred")
            if len(types) == n:
                skipped[fn] = skipped.get(fn, 0) + 1
        st["fields"] = new
        if types:
            ensure(a, at)
            for ms in needs:
                plan(ms)
            use_comment(i, who, at)
            record(a, types, slip, removal_reject)

    comments = sum(1 for i, b in enumerate(bugs) for c in b.get("comments", []) if c["count"] != 0 and (i, c["id"]) not in used_comments)
    if comments:
        skipped["comment"] = comments
    S["events"] += events
    S["actors"] = len(actors)
    # from and to: the first and the last change that maps to a decision.
    S["from"] = min(decided_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    S["to"] = max(decided_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    S["skipped"] = dict(sorted(skipped.items()))
    print(json.dumps(S, indent=2, sort_keys=True))


main()
