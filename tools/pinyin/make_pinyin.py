#!/usr/bin/env python3
"""Build the character -> pinyin table embedded in SearchRec.Text (src/SearchRec.Text/Resources/pinyin.tsv)
from the Unicode Han Database (Debian package `unicode-data`, Unicode licence).

Standard library only. Usage:
    apt-get install unicode-data && python3 tools/pinyin/make_pinyin.py [--unihan PATH] [--out PATH]

Readings are the modern ones: kMandarin, kTGHZ2013 (the 2013 standard character list) and kXHC1983 (Xiandai Hanyu
Cidian), so heteronyms keep each modern reading (长: chang, zhang); kHanyuPinyin only where none of those has one.
Tones are dropped, u-umlaut is written v (lv, nv); lve and nve are also listed as lue and nue, as keyboards
type them. Only BMP Han characters (CJK Unified Ideographs, Extension A,
Compatibility Ideographs) are kept. Output: UTF-8 lines `syllable<TAB>characters`, sorted by syllable, the
characters by code point, after a `#` header.
"""
import argparse
import bz2
import collections
import re
import sys
import unicodedata

RANGES = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)]
MODERN = ("kMandarin", "kTGHZ2013", "kXHC1983")


def toneless(reading):
    s = unicodedata.normalize("NFD", reading.strip().lower())
    s = s.replace("u\u0308", "v").replace("\u00fc", "v")
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return s if re.fullmatch(r"[a-z]+", s) else None


def readings_of(field, value):
    if field == "kMandarin":
        return value.split()
    # kTGHZ2013 / kXHC1983 / kHanyuPinyin: space-separated "location:reading[,reading...]"
    out = []
    for part in value.split():
        out.extend(part.split(":", 1)[1].split(","))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unihan", default="/usr/share/unicode/Unihan_Readings.txt.bz2")
    ap.add_argument("--out", default="src/SearchRec.Text/Resources/pinyin.tsv")
    args = ap.parse_args()
    opener = bz2.open if args.unihan.endswith(".bz2") else open
    modern = collections.defaultdict(set)
    fallback = collections.defaultdict(set)
    version = "?"
    with opener(args.unihan, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("# Unicode version:"):
                version = line.split(":", 1)[1].strip()
            if not line.startswith("U+"):
                continue
            code, field, value = line.rstrip("\n").split("\t", 2)
            cp = int(code[2:], 16)
            if not any(lo <= cp < hi for lo, hi in RANGES):
                continue
            if field in MODERN:
                target = modern
            elif field == "kHanyuPinyin":
                target = fallback
            else:
                continue
            for r in readings_of(field, value):
                t = toneless(r)
                if t is None:
                    sys.exit(f"unexpected reading {r!r} of {code} in {field}")
                target[cp].add(t)
    by_syllable = collections.defaultdict(list)
    for cp in sorted(set(modern) | set(fallback)):
        readings = set(modern.get(cp) or fallback[cp])
        readings |= {r[0] + "ue" for r in readings if r in ("lve", "nve")}
        for s in sorted(readings):
            by_syllable[s].append(chr(cp))
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"# character -> toneless pinyin; Unihan {version} (kMandarin, kTGHZ2013, kXHC1983; kHanyuPinyin "
                  f"where none), Unicode licence. tools/pinyin/make_pinyin.py\n")
        for s in sorted(by_syllable):
            out.write(s + "\t" + "".join(by_syllable[s]) + "\n")
    chars = len(set(modern) | set(fallback))
    print(f"{chars} characters, {len(by_syllable)} syllables -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
