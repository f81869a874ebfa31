#!/usr/bin/env python3
"""Writes fuzz seeds for fuzz_record_batch: every RecordBatch v2 found in the
golden frames (a magic byte 2 at offset 16 of a span whose length field fits).
Usage: seed_record_batches.py GOLDEN_DIR OUT_DIR"""
import os
import struct
import sys


def batches(data):
    for start in range(0, len(data) - 61):
        if data[start + 16] != 2:
            continue
        length = struct.unpack(">i", data[start + 8:start + 12])[0]
        end = start + 12 + length
        if 49 <= length and end <= len(data):
            yield data[start:end]


def main(golden, out):
    os.makedirs(out, exist_ok=True)
    for client in sorted(os.listdir(golden)):
        folder = os.path.join(golden, client)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".bin"):
                continue
            data = open(os.path.join(folder, name), "rb").read()
            for i, batch in enumerate(batches(data)):
                with open(os.path.join(out, "%s-%s-%d" % (client, name, i)), "wb") as f:
                    f.write(batch)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
