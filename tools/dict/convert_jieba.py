#!/usr/bin/env python3
"""Convert jieba's dictionary and HMM tables (Debian python3-jieba, MIT/Expat) into the compact
resource embedded in SearchRec.Text (src/SearchRec.Text/Resources/jieba.bin.gz).

Standard library only. Usage:
    python3 tools/dict/convert_jieba.py [--jieba /usr/lib/python3/dist-packages/jieba] [--out PATH]

Format (all inside one gzip stream, little-endian, varint = LEB128 unsigned):
    b"SRJB" u8 version(=1)
    varint word_count, then per word (normalised like TextNormalizer, sorted by UTF-16 code unit):
        varint shared_prefix_len, varint suffix_len (UTF-16 code units), suffix UTF-16LE, varint freq
    HMM, states in the order B M E S:
        4 x f64 start log-probs, 16 x f64 transition log-probs [from][to] (-3.14e100 = impossible)
        per state: varint count, then per entry varint char_delta (UTF-16 code unit, delta from the
        previous entry of that state), f32 emit log-prob
The POS tag column is dropped; words that normalise alike have their frequencies added. Lines with a bad frequency are reported and skipped.
"""
import argparse
import ast
import gzip
import os
import struct
import sys

MIN_FLOAT = -3.14e100
STATES = "BMES"


def varint(n):
    if n < 0:
        raise ValueError(f"negative varint {n}")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def load_table(path):
    # The prob_*.py files are "P = {...}" literals; parse them without executing code.
    with open(path, encoding="utf-8") as f:
        src = f.read()
    start = src.index("P")
    return ast.literal_eval(src[src.index("=", start) + 1:].strip())


def utf16_units(s):
    return s.encode("utf-16-le")


def ordinal_key(s):
    # Big-endian UTF-16 bytes sort like .NET's ordinal string comparison (by UTF-16 code unit).
    return s.encode("utf-16-be")


def fold_char(c):
    # Mirrors SearchRec.Text.TextNormalizer: full-width ASCII forms to half width, ideographic space to space,
    # then one-to-one lower-casing. The segmenter re-checks order at load and re-sorts if the two ever disagree.
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E:
        c = chr(o - 0xFEE0)
    elif o == 0x3000:
        return " "
    low = c.lower()
    return low if len(low) == 1 else c


def normalize(word):
    return "".join(fold_char(c) for c in word)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jieba", default="/usr/lib/python3/dist-packages/jieba")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "src", "SearchRec.Text", "Resources", "jieba.bin.gz"))
    args = ap.parse_args()

    freqs = {}
    with open(os.path.join(args.jieba, "dict.txt"), encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.rstrip("\n").split(" ")
            if not parts[0]:
                continue
            try:
                freq = int(parts[1]) if len(parts) > 1 else 1
            except ValueError:
                print(f"dict.txt:{lineno}: bad frequency {parts[1]!r}, skipped", file=sys.stderr)
                continue
            # Words are stored normalised, as the segmenter sees text; T恤 and t恤 add up.
            word = normalize(parts[0])
            freqs[word] = freqs.get(word, 0) + freq

    words = sorted(freqs, key=ordinal_key)
    out = bytearray(b"SRJB")
    out.append(1)
    out += varint(len(words))
    prev = b""
    for w in words:
        cur = utf16_units(w)
        shared = 0
        limit = min(len(prev), len(cur)) // 2
        while shared < limit and prev[2 * shared:2 * shared + 2] == cur[2 * shared:2 * shared + 2]:
            shared += 1
        suffix = cur[2 * shared:]
        out += varint(shared) + varint(len(suffix) // 2) + suffix + varint(freqs[w])
        prev = cur

    fs = os.path.join(args.jieba, "finalseg")
    start = load_table(os.path.join(fs, "prob_start.py"))
    trans = load_table(os.path.join(fs, "prob_trans.py"))
    emit = load_table(os.path.join(fs, "prob_emit.py"))
    for s in STATES:
        out += struct.pack("<d", start.get(s, MIN_FLOAT))
    for a in STATES:
        for b in STATES:
            out += struct.pack("<d", trans.get(a, {}).get(b, MIN_FLOAT))
    for s in STATES:
        entries = sorted((ord(c), p) for c, p in emit[s].items() if ord(c) <= 0xFFFF)
        out += varint(len(entries))
        last = 0
        for code, p in entries:
            out += varint(code - last) + struct.pack("<f", p)
            last = code

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    # mtime=0 keeps the output byte-identical across runs.
    with open(args.out, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz:
            gz.write(bytes(out))
    print(f"{len(words)} words, {sum(len(emit[s]) for s in STATES)} emit entries, "
          f"{len(out)} bytes raw -> {os.path.getsize(args.out)} bytes gzip: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
