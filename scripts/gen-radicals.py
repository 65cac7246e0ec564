#!/usr/bin/env python3
"""Writes schemas/data/radicals.tsv: the Kangxi radical of every GB 2312 character.

Source: kRSUnicode of Unihan (Debian's unicode-data package, /usr/share/unicode/
Unihan_IRGSources.txt.bz2). A character's first radical-stroke value is taken; a
simplified radical (纟 of 糸, written 120') is kept apart from its full form, as it
looks apart. Run: scripts/gen-radicals.py [UNIHAN_IRGSOURCES] > schemas/data/radicals.tsv
"""
import bz2
import sys
from collections import defaultdict

source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode/Unihan_IRGSources.txt.bz2"
by_radical = defaultdict(list)
with bz2.open(source, "rt", encoding="utf-8") as f:
    for line in f:
        if line.startswith("#") or "\tkRSUnicode\t" not in line:
            continue
        code, _, value = line.rstrip("\n").split("\t")
        c = chr(int(code[2:], 16))
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        radical = value.split()[0].split(".")[0]
        by_radical[radical].append(c)

print("# Kangxi radical of every GB 2312 character: radical number (' marks a simplified form), its characters.")
print("# From Unihan kRSUnicode (Unicode 15.0, Debian unicode-data); made by scripts/gen-radicals.py.")
for radical in sorted(by_radical, key=lambda r: (int(r.rstrip("'")), r)):
    print(radical + "\t" + "".join(sorted(by_radical[radical])))
