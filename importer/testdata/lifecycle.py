"""The import lifecycle of docs/import.md, read again from the document
alone, for the test scripts of every format (importer/*/testdata/summary.py).

It shares no code with the Go importer: a format's script reads its raw
export into the neutral issues below, and this module plays them by the
rules the document writes down, then works out the summary and the
per-request and per-release outcomes the Go tests compare with the
importer's. Standard library only.

An issue is a dict:

    key        the tracker's key ("1042734", "7", "EE-12")
    base       the request and item id base ("BZ-1042734", "GH-7", "EE-12")
    project    the tracker project ("" for none)
    filed      {"at", "login", "name"} or None (a history-only export)
    now        current field values, by lifecycle field (none: {})
    title      the current title
    kind       a function of the field values at a moment -> item kind
    changes    [{"at", "login", "name", "items": [item...]}], in play order
               within the issue (the script sorts them)
    comments   [{"at", "login", "text", "description"}]
    link       the issue's link as the export or the map gives it ("": none)

An item is {"field", "raw", "from", "to"}: field is one of FIELDS or None
(a change with no ledger meaning, counted as skipped under raw).
"""
import json
import unicodedata
from datetime import datetime, timezone
from urllib.parse import urlsplit

FIELDS = ("status", "resolution", "assignee", "priority", "milestone", "sprint", "title", "epic", "label",
          "type", "severity")
UNNAMED = "unnamed"

# Who needs which role, by the ledger's authority table (domain): a type
# absent here (a submission) needs any role at all.
NEEDS = {
    "RequestAccepted": "po", "RequestRejected": "po", "RequestDeferred": "po",
    "BacklogItemAdded": "po", "BacklogItemRefined": "po", "BacklogItemRanked": "po",
    "BacklogItemRemoved": "po", "BacklogItemUnplanned": "po", "BacklogItemReparented": "po",
    "WorkStarted": "team", "WorkDelivered": "team", "WorkReopened": "team",
}


def iso(t):
    """A time as Go's encoding/json writes a UTC time.Time (RFC 3339 with
    the fraction's trailing zeros left out), to the millisecond the ledger
    keeps."""
    t = t.astimezone(timezone.utc)
    ms = t.microsecond // 1000
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if ms:
        s += ("." + "%03d" % ms).rstrip("0")
    return s + "Z"


def derive_id(s):
    """A login or name as a ledger id: lower case, every character an id
    cannot hold turned into '-', trimmed (docs/import.md, "Who")."""
    out = "".join(ch if (ch.isascii() and (ch.isalnum() or ch in "_-")) else "-" for ch in s.strip().lower())
    return out.strip("-_")


def link_kept(url):
    """A link provenance keeps: an absolute http or https URL with a host."""
    try:
        u = urlsplit(url)
    except ValueError:
        return False
    return u.scheme in ("http", "https") and bool(u.netloc) and bool(u.hostname)


def unset(v):
    return v is None or str(v).strip() in ("", "--", "---", "none", "None")


def clean(text):
    """The text as the ledger keeps it: control and format characters
    (zero-width spaces, byte-order marks, bidirectional controls) out."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")).strip()


class Rules:
    """What the values of a tracker mean: the format's defaults under the
    map file (docs/import.md, "The map file")."""

    def __init__(self, mp, priorities=(), resolutions=None, statuses=None, unassigned=()):
        self.map = mp
        self.importer = mp.get("importer", "importer")
        self.people = mp.get("people", {})
        self.priorities = list(mp.get("priorities", priorities))
        self.resolutions = dict(resolutions or {})
        self.resolutions.update(mp.get("resolutions", {}))
        self.statuses = dict(statuses or {})
        self.statuses.update(mp.get("statuses", {}))
        self.labels = mp.get("labels", {})
        self.triage = mp.get("triage", {})
        self.unassigned = set(unassigned) | set(mp.get("unassigned", []))
        self.default_priority = mp.get("defaultPriority", "")
        self.projects = mp.get("projects", [])

    def person(self, login):
        """A person to whom an issue can be assigned: not an inbox."""
        if unset(login) or login in self.unassigned:
            return False
        login = login.strip().lower()
        local, at, domain = login.partition("@")
        if login in ("unassigned", "none", "default-assignee") or "inbox" in login or "triage" in login:
            return False
        if at and (local == "nobody" or local.endswith("-bugs") or local.startswith("bugs-")
                   or local.endswith("-maint") or domain.endswith(".bugs")):
            return False
        return True

    def release(self, ms):
        """A milestone that is a release: set, and no triage state."""
        return not unset(ms) and ms not in self.triage


class Lifecycle:
    """Plays issues by the rules, and records each decision as an op:
    {"at", "actor", "login", "key", "facts": [(type, aggregate, data)],
    "needs": [milestone], "slip", "reason"}."""

    def __init__(self, rules):
        self.r = rules
        self.ops = []
        self.skipped = {}
        self.names = {}

    def skip(self, raw):
        self.skipped[raw] = self.skipped.get(raw, 0) + 1

    def actor(self, login, name):
        if unset(login) and unset(name):
            return UNNAMED
        p = self.r.people.get(login or "", {})
        if p.get("id"):
            return p["id"]
        if name:
            first = self.names.setdefault(name, login)
            if first != login:
                raise SystemExit("two people show the name %r: the script does not know how the document tells them apart" % name)
            return derive_id(name)
        return derive_id(login)

    def run(self, issues):
        counts = {}
        for i in issues:
            if i["project"]:
                counts[i["project"]] = counts.get(i["project"], 0) + 1
        if len(counts) > 1 and not self.r.projects:
            raise SystemExit("the export mixes projects: " + ", ".join("%s (%d issues)" % kv for kv in sorted(counts.items())))
        if self.r.projects:
            keep = []
            for i in issues:
                if i["project"] and i["project"] not in self.r.projects:
                    self.skip("issue of another project")
                else:
                    keep.append(i)
            issues = keep
        self.issues = issues
        moments = []
        for n, i in enumerate(issues):
            st = self.start(i)
            i["state"] = st
            moments.append((st["filed_at"], n, -1))
            for j, c in enumerate(i["changes"]):
                moments.append((c["at"], n, j))
        moments.sort(key=lambda m: (m[0], m[1], m[2]))
        for at, n, j in moments:
            i = self.issues[n]
            if j < 0:
                self.file(i)
            else:
                self.change(i, i["changes"][j])
        for i in issues:
            used = i["state"]["used_comments"]
            for k, c in enumerate(i["comments"]):
                if not c["description"] and k not in used:
                    self.skip("comment")
        return self.ops

    # --- an issue's state --------------------------------------------------

    def start(self, i):
        values = dict(i["now"])
        seen = set()
        for c in i["changes"]:
            for it in c["items"]:
                f = it["field"]
                if f and f != "label" and f not in seen:
                    seen.add(f)
                    values[f] = it["from"]
        if i["filed"]:
            filed_at = i["filed"]["at"]
        elif i["changes"]:
            filed_at = i["changes"][0]["at"]  # filed before its first change, by no one named
        else:
            raise SystemExit("%s: neither its filing nor any change: the document says nothing of it" % i["key"])
        title = values.get("title") or i["title"]
        epic = "" if unset(values.get("epic")) else values["epic"]
        return dict(values=values, filed_at=filed_at, status=None, gen=0, request=None, item=None,
                    items_made=0, started=False, title=title, epic=epic, serving="",
                    default=self.r.default_priority or values.get("priority", ""), used_comments=set())

    def emit(self, i, at, actor, login, facts, needs=(), slip=False, reason="", why_from=None):
        if not facts:
            return
        if why_from is not None:
            # The why of a decision is a comment its author wrote at that
            # instant (README's "Why"; docs/import.md only says comments
            # that are no decision's why are skipped), each used once.
            st = i["state"]
            for k, c in enumerate(i["comments"]):
                if k in st["used_comments"] or c["description"]:
                    continue
                if c["login"] == why_from and c["at"] == at and clean(c["text"]):
                    st["used_comments"].add(k)
                    break
        self.ops.append(dict(at=at, actor=actor, login=login, key=i["key"], facts=facts, needs=list(needs),
                             slip=slip, reason=reason))

    def file(self, i):
        st = i["state"]
        st["status"], st["gen"] = "pending", 1
        st["request"] = i["base"] + "-req"
        f = i["filed"]
        if f is None:
            actor, login = UNNAMED, ""
        else:
            actor, login = self.actor(f["login"], f.get("name")), f["login"]
        self.emit(i, st["filed_at"], actor, login,
                  [("RequestSubmitted", st["request"], {"requester": actor})])

    def triggers(self, st, it):
        """Whether an item takes the issue on (docs/import.md: "The request
        is accepted when the team first takes it on")."""
        f, to = it["field"], it["to"]
        if f == "assignee":
            return self.r.person(to)
        if f == "status":
            o = self.r.statuses.get(to, {})
            return bool(o.get("accept") or o.get("start") or o.get("deliver"))
        if f == "milestone":
            if to in self.r.triage:
                o = self.r.triage[to]
                return bool(o.get("accept") or o.get("deliver"))
            return not unset(to)
        if f == "sprint":
            return not unset(to)
        if f == "priority":
            return not unset(to) and to != st["default"]
        if f == "label":
            if to in self.r.priorities:
                return True
            o = self.r.labels.get(to, {})
            return bool(o.get("accept") or o.get("deliver"))
        if f == "resolution":
            # A resolution that both delivers and rejects (GitHub's close
            # without a reason) rejects what was never taken on: it takes
            # nothing on.
            o = self.r.resolutions.get(to, {})
            return bool(o.get("deliver")) and not o.get("reject")
        return False

    def takes_on_only(self, it):
        """Whether an item that takes an issue on means nothing more: a
        status that starts work, and whatever delivers, are played on the
        item once it is accepted."""
        f, to = it["field"], it["to"]
        if f == "status":
            o = self.r.statuses.get(to, {})
        elif f == "milestone":
            o = self.r.triage.get(to, {})
        elif f == "label":
            o = self.r.labels.get(to, {})
        elif f == "resolution":
            return False
        else:
            return True
        return not (o.get("start") or o.get("deliver"))

    def change(self, i, c):
        st = i["state"]
        if st["status"] is None:
            raise SystemExit("%s: a change before its filing" % i["key"])
        actor, login = self.actor(c["login"], c.get("name")), c["login"]
        new = dict(st["values"])
        title, epic = st["title"], st["epic"]
        for it in c["items"]:
            f = it["field"]
            if f and f != "label":
                new[f] = it["to"]
            if f == "title":
                title = it["to"]
            elif f == "epic":
                epic = it["to"]
        facts, needs = [], []
        slip, reason = [False], [""]
        taken = set()
        if st["status"] in ("pending", "deferred"):
            trig = [k for k, it in enumerate(c["items"]) if self.triggers(st, it)]
            if trig:
                # The item is made of the issue as it is at that moment: its
                # title, epic, milestone and priority after the change (the
                # document says "at that moment"; read: with the change).
                st["title"], st["epic"] = title, epic
                facts += self.accept(i, new, needs)
                for k, it in enumerate(c["items"]):
                    state = it["field"] in ("milestone", "priority", "title", "epic")
                    if (k in trig or state) and self.takes_on_only(it):
                        taken.add(k)
        order = [k for k, it in enumerate(c["items"]) if it["field"] != "resolution"] + \
                [k for k, it in enumerate(c["items"]) if it["field"] == "resolution"]
        for k in order:
            if k in taken:
                continue
            it = c["items"][k]
            n = len(facts)
            pending = st["status"] in ("pending", "deferred")
            self.play(i, it, new, facts, needs, slip, reason, actor)
            if len(facts) == n:
                if pending and it["field"] in ("title", "epic"):
                    continue  # not skipped: the item's title or epic once accepted
                self.skip(it["raw"])
        if st["status"] in ("pending", "deferred", "rejected", "removed"):
            st["title"], st["epic"] = title, epic
        st["values"] = new
        self.emit(i, c["at"], actor, login, facts, needs, slip[0], reason[0], why_from=login)

    def accept(self, i, values, needs):
        # An item accepted from a request submitted again after a rejection
        # is BASE when the issue never had one, else BASE-<n> for the n-th
        # request (the document names no id for it).
        st = i["state"]
        st["items_made"] += 1
        st["item"] = i["base"] if st["items_made"] == 1 else "%s-%d" % (i["base"], st["gen"])
        st["status"], st["started"] = "accepted", False
        kind = i["kind"](values)
        epic = "" if unset(st["epic"]) or kind == "epic" else st["epic"]
        ms = values.get("milestone")
        roadmap = ms if self.r.release(ms) else ""
        if roadmap:
            needs.append(roadmap)
        st["serving"] = roadmap
        facts = [("RequestAccepted", st["request"], {"item": st["item"]}),
                 ("BacklogItemAdded", st["item"], {"kind": kind, "epic": epic, "roadmap": roadmap, "title": st["title"]})]
        if values.get("priority") in self.r.priorities:
            facts.append(("BacklogItemRanked", st["item"], {"priority": values["priority"]}))
        return facts

    def outcome(self, i, o, values, facts, needs, reason):
        st = i["state"]
        s = st["status"]
        if o.get("deliver") and s == "accepted":
            # Delivering comes first: an outcome that both delivers and
            # rejects delivers an item taken on.
            self.deliver(i, facts)
        elif o.get("reject") and s in ("pending", "deferred"):
            st["status"] = "rejected"
            reason[0] = o["reject"]
            facts.append(("RequestRejected", st["request"], {"reason": o["reject"]}))
        elif o.get("reject") and s == "accepted":
            # A rejecting triage state (GitHub) of an accepted item removes
            # it, as a rejecting resolution does; a deferring or accepting
            # one means nothing to an item (read so: the document lists
            # triage states among the decisions of a pending request only).
            st["status"] = "removed"
            reason[0] = o["reject"]
            facts.append(("BacklogItemRemoved", st["item"], {"reason": o["reject"]}))
        elif o.get("defer") and s == "pending":
            st["status"] = "deferred"
            facts.append(("RequestDeferred", st["request"], {}))
        elif o.get("accept") and s in ("pending", "deferred"):
            facts += self.accept(i, values, needs)

    def deliver(self, i, facts):
        st = i["state"]
        st["status"] = "delivered"
        facts.append(("WorkDelivered", st["item"], {"release": st["serving"]}))

    def play(self, i, it, values, facts, needs, slip, reason, actor):
        st = i["state"]
        f, to = it["field"], it["to"]
        s = st["status"]
        if f == "priority":
            if s == "accepted" and to in self.r.priorities:
                facts.append(("BacklogItemRanked", st["item"], {"priority": to}))
        elif f == "label":
            if to in self.r.priorities:
                if s == "accepted":
                    facts.append(("BacklogItemRanked", st["item"], {"priority": to}))
            elif to in self.r.labels:
                self.outcome(i, self.r.labels[to], values, facts, needs, reason)
        elif f == "milestone":
            if to in self.r.triage:
                self.outcome(i, self.r.triage[to], values, facts, needs, reason)
            elif s in ("accepted", "delivered"):
                old = st["serving"]
                if not unset(to) and to != old:
                    needs.append(to)
                    facts.append(("BacklogItemRefined", st["item"], {"roadmap": to, "from": old}))
                    slip[0] = slip[0] or bool(old)
                    st["serving"] = to
                elif unset(to) and old and (unset(it["from"]) or it["from"] == old):
                    facts.append(("BacklogItemUnplanned", st["item"], {"roadmap": old}))
                    st["serving"] = ""
        elif f == "title":
            # Title and epic changes refine an open item; only milestones
            # are said to apply to a delivered one too, so on a delivered
            # item these are skipped.
            if s == "accepted" and to != st["title"]:
                st["title"] = to
                facts.append(("BacklogItemRefined", st["item"], {"title": to}))
        elif f == "epic":
            if s == "accepted" and to != st["epic"]:
                st["epic"] = to
                facts.append(("BacklogItemReparented", st["item"], {"epic": "" if unset(to) else to}))
        elif f == "status":
            o = self.r.statuses.get(to, {})
            if o.get("start") and s == "accepted":
                # Work starts once per delivery ("WorkStarted (once, and
                # again after a reopen)"); a status that starts work on a
                # pending request accepts it and then starts it.
                if not st["started"]:
                    st["started"] = True
                    facts.append(("WorkStarted", st["item"], {}))
            elif o.get("deliver") or o.get("reject") or o.get("defer"):
                self.outcome(i, o, values, facts, needs, reason)
        elif f == "resolution":
            if unset(to):
                self.reopen(i, values, facts, actor)
            elif to in self.r.resolutions:
                self.outcome(i, self.r.resolutions[to], values, facts, needs, reason)

    def reopen(self, i, values, facts, actor):
        st = i["state"]
        if st["status"] == "delivered":
            st["status"], st["started"] = "accepted", False
            facts.append(("WorkReopened", st["item"], {"release": st["serving"]}))
            p = values.get("priority")
            if p in self.r.priorities:
                facts.append(("BacklogItemRanked", st["item"], {"priority": p}))
        elif st["status"] in ("rejected", "removed"):
            old = st["request"]
            st["gen"] += 1
            st["request"] = "%s-req%d" % (i["base"], st["gen"])
            st["status"] = "pending"
            facts.append(("RequestSubmitted", st["request"], {"requester": actor, "repeats": old}))


def plan(rules, ops, issues, skipped):
    """The summary of docs/import.md's "The summary" under the map's
    roles: the product, the role decisions, a stakeholder before each
    unnamed person's first decision, a roadmap item when a release is first
    named by a decision, then the ops' events."""
    ops = sorted(ops, key=lambda o: o["at"])  # stable: ops are in play order
    people = rules.people
    po = rules.importer
    spans = []
    for login, p in people.items():
        a = p.get("id") or derive_id(login)
        for r in p.get("roles", []):
            r = {"role": r} if isinstance(r, str) else r
            frm = datetime.strptime(r["from"], "%Y-%m-%d").replace(tzinfo=timezone.utc) if r.get("from") else None
            to = datetime.strptime(r["to"], "%Y-%m-%d").replace(tzinfo=timezone.utc) if r.get("to") else None
            if r["role"] == "po" and frm is None and po == rules.importer:
                po = a
            spans.append((frm, a, r["role"], True))
            if to:
                spans.append((to, a, r["role"], False))
    spans.sort(key=lambda s: s[0] or datetime.min.replace(tzinfo=timezone.utc))
    roles = {rules.importer: {"pm"}}
    roles.setdefault(po, set()).add("po")
    S = dict(events=1, items=0, requests=0, rejections=0, deliveries=0, slips=0, reopens=0, outsideAuthority=0)
    planned, actors = set(), set()
    nxt = 0
    for op in ops:
        while nxt < len(spans) and (spans[nxt][0] is None or spans[nxt][0] <= op["at"]):
            _, a, role, on = spans[nxt]
            nxt += 1
            if (role in roles.get(a, set())) == on:
                continue
            S["events"] += 1
            if on and role == "po":
                for other, held in roles.items():
                    if other != a and "po" in held:
                        held.discard("po")
                        S["events"] += 1
            if on:
                roles.setdefault(a, set()).add(role)
            else:
                roles[a].discard(role)
        a = op["actor"]
        # Everyone the map does not name is a stakeholder before their
        # first decision. Read: anyone who holds no role then, a person the
        # map names before their dated role begins included (the document
        # does not say; with no role at all even their requests would be
        # outside authority).
        if a != UNNAMED and not roles.get(a):
            roles[a] = {"stakeholder"}
            S["events"] += 1
        # A release is planned when a decision first names it (an item
        # serving it), not when a pending request's field does.
        for ms in op["needs"]:
            if ms not in planned:
                planned.add(ms)
                S["events"] += 1
        if a != UNNAMED:
            actors.add(a)  # people: unnamed is nobody
        held = roles.get(a, set())
        for typ, _, data in op["facts"]:
            S["events"] += 1
            need = NEEDS.get(typ)
            if (need and need not in held) or not held:
                S["outsideAuthority"] += 1
            if typ == "BacklogItemAdded":
                S["items"] += 1
            elif typ == "RequestSubmitted":
                S["requests"] += 1
                if data.get("repeats"):
                    S["reopens"] += 1
            elif typ == "RequestRejected":
                S["rejections"] += 1
            elif typ == "BacklogItemRemoved" and op["reason"]:
                S["rejections"] += 1
            elif typ == "WorkDelivered":
                S["deliveries"] += 1
            elif typ == "WorkReopened":
                S["reopens"] += 1
        if op["slip"]:
            S["slips"] += 1
    S["actors"] = len(actors)
    # Issues whose filing the export does not record at all (history-only);
    # a filing with a date but no filer is recorded.
    unnamed = sum(1 for i in issues if i["filed"] is None)
    if unnamed:
        S["filedUnnamed"] = unnamed
    dropped = sum(1 for i in issues if i.get("link") and not link_kept(i["link"]))
    if dropped:
        S["linksDropped"] = dropped
    S["from"] = iso(ops[0]["at"])
    S["to"] = iso(ops[-1]["at"])
    S["skipped"] = dict(sorted(skipped.items()))
    return S


def outcomes(ops, t0, t1):
    """Per request: when it was submitted, accepted, deferred, rejected
    and delivered, and its item's slips; per release: the items planned
    for it at t0 (accepted, not removed, serving it; delivered ones
    included) and what became of them by t1."""
    reqs, item_req = {}, {}
    serving = {}  # item -> [(at, release)]
    status = {}  # item -> [(at, status, release)]
    for op in sorted(ops, key=lambda o: o["at"]):
        at = op["at"]
        for typ, agg, data in op["facts"]:
            if typ == "RequestSubmitted":
                reqs[agg] = dict(submitted=dict(at=iso(at), actor=op["actor"]), accepted=None, deferred=None,
                                 rejected=None, removed=None, delivered=None, slips=[])
                if data.get("repeats"):
                    reqs[agg]["repeats"] = data["repeats"]
            elif typ == "RequestAccepted":
                reqs[agg]["accepted"] = dict(at=iso(at), actor=op["actor"], item=data["item"])
                item_req[data["item"]] = agg
            elif typ == "BacklogItemAdded":
                r = reqs[item_req[agg]]
                r["accepted"].update(kind=data["kind"], epic=data["epic"] or None, release=data["roadmap"] or None)
                serving[agg] = [(at, data["roadmap"])]
                status[agg] = [(at, "accepted", "")]
            elif typ == "RequestDeferred":
                reqs[agg]["deferred"] = iso(at)
            elif typ == "RequestRejected":
                reqs[agg]["rejected"] = dict(at=iso(at), reason=data["reason"])
            elif typ == "BacklogItemRemoved":
                reqs[item_req[agg]]["removed"] = dict(at=iso(at), reason=data["reason"])
                status[agg].append((at, "removed", ""))
            elif typ == "WorkDelivered":
                reqs[item_req[agg]]["delivered"] = dict(at=iso(at), release=data["release"] or None)
                status[agg].append((at, "delivered", data["release"]))
            elif typ == "WorkReopened":
                status[agg].append((at, "accepted", ""))
            elif typ == "BacklogItemRefined" and "roadmap" in data:
                # A release set on an item delivered without one names the
                # release it shipped in (Mozilla sets the milestone as the
                # fix lands); one set on an item delivered in a release
                # moves the item, not the delivery.
                if status[agg][-1][1] == "delivered" and not status[agg][-1][2]:
                    status[agg].append((at, "delivered", data["roadmap"]))
                if data["from"]:
                    reqs[item_req[agg]]["slips"].append(dict(at=iso(at), **{"from": data["from"], "to": data["roadmap"]}))
                serving[agg].append((at, data["roadmap"]))
            elif typ == "BacklogItemUnplanned":
                serving[agg].append((at, ""))

    def as_of(timeline, t):
        last = None
        for at, *rest in timeline:
            if at <= t:
                last = rest
        return last

    releases = {}
    for item in sorted(serving):
        s0 = as_of(serving[item], t0)
        st0 = as_of(status[item], t0)
        if not s0 or not s0[0] or st0[0] == "removed":
            continue
        rel = s0[0]
        r = releases.setdefault(rel, dict(planned=0, deliveredInIt=0, deliveredElsewhere=0, notDelivered=0, items={}))
        r["planned"] += 1
        st1 = as_of(status[item], t1)
        if st1[0] == "delivered" and st1[1] == rel:
            r["deliveredInIt"] += 1
            r["items"][item] = "delivered in it"
        elif st1[0] == "delivered":
            r["deliveredElsewhere"] += 1
            r["items"][item] = "delivered in " + st1[1] if st1[1] else "delivered without a release"
        else:
            r["notDelivered"] += 1
            r["items"][item] = st1[0]
    return dict(t0=iso(t0), t1=iso(t1), requests=dict(sorted(reqs.items())), releases=dict(sorted(releases.items())),
                releasesMean=RELEASES_MEAN)


RELEASES_MEAN = (
    "planned: the items that at t0 were accepted (open or delivered, not removed) and served the release; of those, "
    "by t1: deliveredInIt, delivered in it (their WorkDelivered names it, or names none and it was the first release "
    "set on them afterwards); deliveredElsewhere, delivered in another release or none; notDelivered, still open or "
    "removed")


def main(argv, read, rules_of, t0, t1, extra_skipped=None):
    """summary.py [--outcomes] EXPORT... MAP: prints the summary (or, with
    --outcomes, the per-request and per-release outcomes at t0 and t1) as
    JSON."""
    args = argv[1:]
    want_outcomes = "--outcomes" in args
    args = [a for a in args if a != "--outcomes"]
    mp = json.load(open(args[-1]))
    rules = rules_of(mp)
    issues = read(args[:-1], rules)
    lc = Lifecycle(rules)
    lc.skipped.update(extra_skipped or {})
    ops = lc.run(issues)
    if want_outcomes:
        out = outcomes(ops, t0, t1)
    else:
        out = plan(rules, ops, lc.issues, lc.skipped)
    print(json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False))
