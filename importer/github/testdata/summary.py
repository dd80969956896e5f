#!/usr/bin/env python3
"""Works out the import summary of a GitHub issues export (one issue with
its events per line) from the raw file, independently of the Go importer,
by the rules of docs/import.md.

    python3 summary.py github-webcompat-issues.jsonl map.json > summary.json
"""
import json, sys

REQ = {"RequestSubmitted": None, "RequestAccepted": "po", "BacklogItemAdded": "po", "BacklogItemRanked": "po",
       "BacklogItemRefined": "po", "BacklogItemUnplanned": "po", "BacklogItemRemoved": "po",
       "RequestRejected": "po", "RequestDeferred": "po", "WorkDelivered": "team", "WorkReopened": "team"}


def actor(login, people):
    p = people.get(login, {})
    if p.get("id"):
        return p["id"]
    out = "".join(ch if (ch.isascii() and (ch.isalnum() or ch in "_-")) else "-" for ch in login.strip().lower())
    return out.strip("-_")


def main():
    issues = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    issues = [i for i in issues if not i.get("pull_request")]
    mp = json.load(open(sys.argv[2]))
    people, prio, triage, labels = mp.get("people", {}), mp.get("priorities", []), mp.get("triage", {}), mp.get("labels", {})
    importer = mp.get("importer", "importer")
    roles = {importer: {"pm"}}
    po = importer
    for login in sorted(people):
        for r in people[login].get("roles", []):
            if r == "po" and po == importer:
                po = actor(login, people)
    roles.setdefault(po, set()).add("po")
    for login in sorted(people):  # undated roles other than the first PO
        for r in people[login].get("roles", []):
            a = actor(login, people)
            if r not in roles.get(a, set()):
                roles.setdefault(a, set()).add(r)
                extra_events.append(1)
    moments = []
    for i, iss in enumerate(issues):
        moments.append((iss["created_at"], i, -1))
        for j, e in enumerate(iss["events"]):
            moments.append((e["created_at"], i, j))
    moments.sort()
    S = dict(events=1 + len(extra_events), items=0, requests=0, rejections=0, deliveries=0, slips=0, reopens=0, outsideAuthority=0)
    skipped, actors, planned, decided = {}, set(), set(), []
    st = [dict(status=None, release="") for _ in issues]

    def record(a, types, at, needs=(), slip=False, removal_reject=False):
        if not roles.get(a):
            roles[a] = {"stakeholder"}
            S["events"] += 1
        for ms in needs:
            if ms not in planned:
                planned.add(ms)
                S["events"] += 1
        decided.append(at)
        actors.add(a)
        S["events"] += len(types)
        for t in types:
            if REQ[t] and REQ[t] not in roles[a]:
                S["outsideAuthority"] += 1
        S["items"] += types.count("BacklogItemAdded")
        S["requests"] += types.count("RequestSubmitted")
        S["deliveries"] += types.count("WorkDelivered")
        S["rejections"] += types.count("RequestRejected") + (types.count("BacklogItemRemoved") if removal_reject else 0)
        S["reopens"] += types.count("WorkReopened")
        S["slips"] += 1 if slip else 0

    def outcome(s, o):
        if o.get("reject") and s["status"] in ("pending", "deferred"):
            s["status"] = "rejected"; return ["RequestRejected"], False
        if o.get("reject") and s["status"] == "accepted":
            s["status"] = "removed"; return ["BacklogItemRemoved"], True
        if o.get("defer") and s["status"] == "pending":
            s["status"] = "deferred"; return ["RequestDeferred"], False
        if (o.get("accept") or o.get("start")) and s["status"] in ("pending", "deferred"):
            s["status"] = "accepted"; return ["RequestAccepted", "BacklogItemAdded"], False
        if o.get("deliver") and s["status"] == "accepted":
            s["status"] = "delivered"; return ["WorkDelivered"], False
        return [], False

    for at, i, j in moments:
        s, iss = st[i], issues[i]
        if j < 0:
            s["status"] = "pending"
            record(actor(iss["user"]["login"], people), ["RequestSubmitted"], at)
            continue
        e = iss["events"][j]
        kind = e["event"]
        a = actor((e.get("actor") or {}).get("login") or "ghost", people)
        types, needs, slip, rr = [], [], False, False
        undecided, isopen = s["status"] in ("pending", "deferred"), s["status"] == "accepted"
        if kind == "milestoned":
            name = e["milestone"]["title"]
            if name in triage:
                types, rr = outcome(s, triage[name])
            elif undecided:
                s["status"], s["release"] = "accepted", name
                types, needs = ["RequestAccepted", "BacklogItemAdded"], [name]
            elif isopen or s["status"] == "delivered":
                slip = s["release"] not in ("", name)
                s["release"] = name
                types, needs = ["BacklogItemRefined"], [name]
        elif kind == "demilestoned":
            if s["release"] == e["milestone"]["title"] and (isopen or s["status"] == "delivered"):
                types, s["release"] = ["BacklogItemUnplanned"], ""
        elif kind == "labeled":
            name = e["label"]["name"]
            if name in prio:
                if undecided:
                    s["status"] = "accepted"
                    types = ["RequestAccepted", "BacklogItemAdded"]
                if s["status"] == "accepted":
                    types.append("BacklogItemRanked")
            elif name in labels:
                types, rr = outcome(s, labels[name])
        elif kind == "assigned" and undecided:
            s["status"] = "accepted"
            types = ["RequestAccepted", "BacklogItemAdded"]
        elif kind == "renamed" and isopen:
            types = ["BacklogItemRefined"]
        elif kind == "closed":
            reason = e.get("state_reason")
            if isopen and reason != "not_planned":
                s["status"] = "delivered"; types = ["WorkDelivered"]
            elif isopen or undecided:
                types, rr = outcome(s, {"reject": "x"})
        elif kind == "marked_as_duplicate":
            types, rr = outcome(s, {"reject": "duplicate"})
        elif kind == "reopened":
            if s["status"] == "delivered":
                s["status"] = "accepted"; types = ["WorkReopened"]
            elif s["status"] in ("rejected", "removed"):
                s["status"] = "pending"; types = ["RequestSubmitted"]; S["reopens"] += 1
        if not types:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        record(a, types, at, needs, slip, rr)
    S["actors"] = len(actors)
    S["from"], S["to"] = min(decided), max(decided)
    S["skipped"] = dict(sorted(skipped.items()))
    print(json.dumps(S, indent=2, sort_keys=True))


extra_events = []
main()
