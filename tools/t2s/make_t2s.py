#!/usr/bin/env python3
"""Build the traditional -> simplified character table embedded in SearchRec.Text
(src/SearchRec.Text/Resources/t2s.tsv) from OpenCC (Debian package `opencc`, Apache-2.0).

Standard library plus the `opencc` command. Usage:
    apt-get install opencc && python3 tools/t2s/make_t2s.py [--out PATH]

Every BMP Han character (CJK Unified Ideographs, Extension A, Compatibility Ideographs) is passed through
`opencc -c t2s.json` one per line, so the result is OpenCC's character-level choice. Kept: pairs where the
character changes, both sides are one UTF-16 unit, and the source is NOT a GB2312 character (so text that is
already simplified never changes: 著, 乾, 於 stay as they are). Targets are followed to a fixed point.
Output: UTF-8 lines `traditional<TAB>simplified`, sorted by code point, after a `#` header.
"""
import argparse
import subprocess
import sys

RANGES = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="src/SearchRec.Text/Resources/t2s.tsv")
    args = ap.parse_args()
    chars = [chr(c) for lo, hi in RANGES for c in range(lo, hi)]
    res = subprocess.run(["opencc", "-c", "t2s.json"], input="\n".join(chars) + "\n",
                         capture_output=True, text=True, check=True)
    out = res.stdout.split("\n")[: len(chars)]
    if len(out) != len(chars):
        sys.exit(f"opencc returned {len(out)} lines for {len(chars)} characters")
    version = subprocess.run(["opencc", "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    table = {}
    for a, b in zip(chars, out):
        if a == b or len(b) != 1 or ord(b) > 0xFFFF:
            continue
        try:
            a.encode("gb2312")
            continue  # a valid simplified character: never folded
        except UnicodeEncodeError:
            pass
        table[a] = b
    for a in table:
        b = table[a]
        while b in table and table[b] != b:
            b = table[b]
        table[a] = b
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"# traditional -> simplified, one character each; OpenCC t2s.json ({' '.join(version[-1:])}), Apache-2.0. tools/t2s/make_t2s.py\n")
        for a in sorted(table):
            f.write(f"{a}\t{table[a]}\n")
    print(f"{len(table)} pairs -> {args.out}")


if __name__ == "__main__":
    main()
