#!/usr/bin/env python3
"""Works out the import summary of Jira search results with changelog from
the raw file, independently of the Go importer, by the rules of
docs/import.md.

    python3 summary.py jira-cloud-search.json map.json > summary.json
"""
import json, sys
from datetime import datetime, timezone

PRIORITIES = ["1", "2", "3", "4", "5"]
RES = {"1": "deliver", "10000": "deliver", "2": "reject", "10001": "reject", "3": "reject", "4": "reject", "5": "reject"}
REQ = {"RequestSubmitted": None, "RequestAccepted": "po", "BacklogItemAdded": "po", "BacklogItemRanked": "po",
       "BacklogItemRefined": "po", "BacklogItemUnplanned": "po", "BacklogItemRemoved": "po",
       "RequestRejected": "po", "RequestDeferred": "po", "WorkDelivered": "team", "WorkReopened": "team",
       "WorkStarted": "team"}


def ts(s):
    for f in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(s, f).astimezone(timezone.utc)
        except ValueError:
            pass
    raise ValueError(s)


def login(u):
    if not u:
        return ""
    return u.get("accountId") or u.get("name") or u.get("emailAddress") or ""


def actor(l, people):
    p = people.get(l, {})
    if p.get("id"):
        return p["id"]
    out = "".join(ch if (ch.isascii() and (ch.isalnum() or ch in "_-")) else "-" for ch in l.strip().lower())
    return out.strip("-_")


def main():
    issues = json.load(open(sys.argv[1]))["issues"]
    mp = json.load(open(sys.argv[2]))
    people = mp.get("people", {})
    statuses = {"3": {"start": True}}
    statuses.update(mp.get("statuses", {}))
    importer = mp.get("importer", "importer")
    roles = {importer: {"pm"}}
    po = importer
    for l in sorted(people):
        if "po" in people[l].get("roles", []) and po == importer:
            po = actor(l, people)
    roles.setdefault(po, set()).add("po")
    S = dict(events=1, items=0, requests=0, rejections=0, deliveries=0, slips=0, reopens=0, outsideAuthority=0)
    for l in sorted(people):
        for r in people[l].get("roles", []):
            a = actor(l, people)
            if r not in roles.get(a, set()):
                roles.setdefault(a, set()).add(r)
                S["events"] += 1
    moments = []
    for i, iss in enumerate(issues):
        moments.append((ts(iss["fields"]["created"]), i, 0, -1))
        for j, h in enumerate(iss["changelog"]["histories"]):
            moments.append((ts(h["created"]), i, 1, int(h["id"]), j))
    moments.sort(key=lambda m: m[:4])
    skipped, actors, planned, decided = {}, set(), set(), []
    st = [dict(status=None, release="", started=False) for _ in issues]

    def record(a, types, at, needs=(), slip=False, rr=False):
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
        S["outsideAuthority"] += sum(1 for t in types if REQ[t] and REQ[t] not in roles[a])
        S["items"] += types.count("BacklogItemAdded")
        S["requests"] += types.count("RequestSubmitted")
        S["deliveries"] += types.count("WorkDelivered")
        S["rejections"] += types.count("RequestRejected") + (types.count("BacklogItemRemoved") if rr else 0)
        S["reopens"] += types.count("WorkReopened")
        S["slips"] += 1 if slip else 0

    for m in moments:
        at, i = m[0], m[1]
        s, iss = st[i], issues[i]
        if m[3] == -1:
            f = iss["fields"]
            who = login(f.get("reporter")) or login(f.get("creator")) or "anonymous"
            s["status"] = "pending"
            record(actor(who, people), ["RequestSubmitted"], at)
            continue
        h = iss["changelog"]["histories"][m[4]]
        a = actor(login(h.get("author")) or "anonymous", people)
        items = h["items"]
        isfv = lambda it: it["field"] == "Fix Version" or it.get("fieldId") == "fixVersions"
        added = [it["toString"] for it in items if isfv(it) and it.get("toString")]
        removed = [it["fromString"] for it in items if isfv(it) and it.get("fromString")]
        trig = bool(added)
        for it in items:
            if it["field"] in ("assignee", "Sprint") and (it.get("to") or it.get("toString")):
                trig = True
            if it["field"] == "status" and any(statuses.get(it.get("to") or "", {}).get(k) for k in ("start", "accept", "deliver")):
                trig = True
            if it["field"] == "resolution" and RES.get(it.get("to") or "") == "deliver":
                trig = True
        types, needs, slip, rr, used = [], [], False, False, set()
        if s["status"] in ("pending", "deferred") and trig:
            s["status"] = "accepted"
            types += ["RequestAccepted", "BacklogItemAdded"]
            if added:
                s["release"] = added[-1]
                needs.append(added[-1])
            used = {k for k, it in enumerate(items) if it["field"] in ("assignee", "Sprint") or isfv(it)}
        if (added or removed) and s["status"] in ("accepted", "delivered") and not types:
            if added and added[-1] != s["release"]:
                slip = s["release"] != ""
                s["release"] = added[-1]
                types.append("BacklogItemRefined"); needs.append(added[-1])
            elif not added and s["release"] and s["release"] in removed:
                s["release"] = ""
                types.append("BacklogItemUnplanned")
            if types:
                used = {k for k, it in enumerate(items) if isfv(it)}
        seq = [k for k, it in enumerate(items) if it["field"] != "resolution"] + [k for k, it in enumerate(items) if it["field"] == "resolution"]
        for k in seq:
            if k in used:
                continue
            it = items[k]
            n = len(types)
            fld, to = it["field"], it.get("to") or ""
            isopen = s["status"] == "accepted"
            if fld == "priority" and to in PRIORITIES and isopen:
                types.append("BacklogItemRanked")
            elif fld == "summary" and isopen:
                types.append("BacklogItemRefined")
            elif fld == "status":
                o = statuses.get(to, {})
                if o.get("start") and isopen and not s["started"]:
                    s["started"] = True; types.append("WorkStarted")
                elif o.get("deliver") and isopen:
                    s["status"] = "delivered"; types.append("WorkDelivered")
            elif fld == "resolution":
                r = RES.get(to)
                if to == "" and s["status"] == "delivered":
                    s["status"], s["started"] = "accepted", False; types.append("WorkReopened")
                elif to == "" and s["status"] in ("rejected", "removed"):
                    s["status"] = "pending"; types.append("RequestSubmitted"); S["reopens"] += 1
                elif r == "deliver" and isopen:
                    s["status"] = "delivered"; types.append("WorkDelivered")
                elif r == "reject" and s["status"] in ("pending", "deferred"):
                    s["status"] = "rejected"; types.append("RequestRejected")
                elif r == "reject" and isopen:
                    s["status"] = "removed"; types.append("BacklogItemRemoved"); rr = True
            if len(types) == n:
                skipped[fld] = skipped.get(fld, 0) + 1
        if types:
            record(a, types, at, needs, slip, rr)
    S["actors"] = len(actors)
    S["from"] = min(decided).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].rstrip("0").rstrip(".") + "Z"
    S["to"] = max(decided).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].rstrip("0").rstrip(".") + "Z"
    S["skipped"] = dict(sorted(skipped.items()))
    print(json.dumps(S, indent=2, sort_keys=True))


main()
