#!/usr/bin/env python3
"""Dynamic inventory using every group form: dict with hosts/vars/children, a bare list,
a legacy dict without those keys, children that are created on the fly, and _meta."""
import json
import sys

if len(sys.argv) > 1 and sys.argv[1] == "--list":
    print(json.dumps({
        "web": {"hosts": ["w1", "w2"], "vars": {"port": 80, "opts": {"x": [1, 2]}}, "children": ["canary", "newchild"]},
        "canary": ["w1"],
        "legacy": {"a": 1, "b": "two"},
        "db": {"hosts": ["d1"]},
        "_meta": {"hostvars": {"w1": {"ansible_host": "10.0.0.1", "u": "ü"}, "d1": {}}},
    }))
else:
    print("{}")
