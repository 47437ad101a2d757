#!/usr/bin/env python3
"""Replaces a generated block in a Markdown file with standard input: everything between
`<!-- NAME:start -->` and `<!-- NAME:end -->` (the marker lines stay). `make bench` fills the
`bench` block of docs/performance.md this way.

    some-command | scripts/doc-block.py <file.md> <name> [heading line]
"""
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    path, name = sys.argv[1], sys.argv[2]
    heading = sys.argv[3] if len(sys.argv) == 4 else None
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = open(path, encoding="utf-8").read()
    before, found, rest = text.partition(start)
    middle, found_end, after = rest.partition(end)
    if not found or not found_end:
        sys.exit(f"doc-block: {path} has no {start} … {end} block")
    body = sys.stdin.read().strip("\n")
    block = ([heading, ""] if heading else []) + ["```text", body, "```"]
    with open(path, "w", encoding="utf-8") as f:
        f.write(before + start + "\n" + "\n".join(block) + "\n" + end + after)


main()
