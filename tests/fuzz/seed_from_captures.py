#!/usr/bin/env python3
"""Writes fuzz seeds from ../shared's request captures: each body gets a
request header (v1 fields; flexible captures already carry the header's tag
byte) so that it is a whole request frame. Usage: seed_from_captures.py PROTOCOL_DIR OUT_DIR"""
import json
import os
import re
import struct
import sys


def api_keys(schema_dir):
    keys = {}
    for name in os.listdir(os.path.join(schema_dir, "message")):
        if name.endswith("Request.json"):
            text = open(os.path.join(schema_dir, "message", name), encoding="utf-8").read()
            m = re.search(r'"apiKey":\s*(\d+)', text)
            keys[name[:-len("Request.json")].lower()] = int(m.group(1))
    return keys


def main(proto, out):
    keys = api_keys(proto)
    captures = os.path.join(proto, "captures")
    os.makedirs(out, exist_ok=True)
    for api in sorted(os.listdir(captures)):
        folder = os.path.join(captures, api)
        if api.lower() not in keys or not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            m = re.match(r"v(\d+)_request", name)
            if not m:
                continue
            body = bytes(json.load(open(os.path.join(folder, name)))["data"])
            header = struct.pack(">hhih", keys[api.lower()], int(m.group(1)), 1, 1) + b"c"
            with open(os.path.join(out, "capture-%s-%s.bin" % (api, name)), "wb") as f:
                f.write(header + body)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
