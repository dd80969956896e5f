#!/usr/bin/env python3
"""Makes history-only.json: a few bugs of the Mozilla fixture as Bugzilla's
GET /rest/bug/{id}/history answers for them, {"bugs":[{"id", "alias",
"history"}]}: no creation time, no creator, no other field.

    python3 history_only.py bugzilla-mozilla.jsonl > history-only.json

The bugs: one fixed (taken on by a priority, titles changed), one assigned
to a person and back to the inbox before it was fixed, one taken on and
then resolved WONTFIX, one rejected as INVALID while pending, one only
ever assigned to nobody.
"""
import json
import sys

IDS = [1388990, 1325215, 1372243, 1037762, 528988]

bugs = {}
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        b = json.loads(line)
        bugs[b["id"]] = b
out = {"bugs": [{"id": i, "alias": bugs[i]["alias"], "history": bugs[i]["history"]} for i in IDS]}
print(json.dumps(out, indent=1, ensure_ascii=False))
