#!/usr/bin/env python3
"""Checks the Markdown that tells people how to use Folio: every relative link and image in a
tracked (or new) .md file resolves, `#anchors` included (GitHub's heading ids); the README stays
a newcomer's page (at most 250 lines); ARCHITECTURE.md stays within 100 columns outside code
blocks and tables. No dependencies; `make test`'s `docs` step.

    scripts/check-docs.py
"""
import os
import re
import subprocess
import sys

README_MAX_LINES = 250
ARCHITECTURE_MAX_COLUMNS = 100
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def markdown_files():
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    # content/ holds the sample pages: their links are the site's own addresses.
    return sorted(p for p in out if p and not p.startswith("content/") and os.path.exists(p))


def prose_lines(text):
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for n, line in enumerate(text.split("\n"), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def slug(heading):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its words
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = "".join(c for c in text.lower() if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


anchors_of = {}


def anchors(path):
    if path not in anchors_of:
        seen, ids = {}, set()
        for _, line in prose_lines(open(path, encoding="utf-8").read()):
            m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            ids.add(base if n == 0 else f"{base}-{n}")
        anchors_of[path] = ids
    return anchors_of[path]


def main():
    problems = []
    files = markdown_files()
    for path in files:
        text = open(path, encoding="utf-8").read()
        for n, line in prose_lines(text):
            line = re.sub(r"`[^`]*`", "``", line)  # links inside code spans are examples
            for target in LINK.findall(line):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
                    continue  # another site, or an address on a running Folio
                file_part, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                if not os.path.exists(dest):
                    problems.append(f"{path}:{n}: {target}: no such file")
                elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                    problems.append(f"{path}:{n}: {target}: no heading #{anchor} in {dest}")
    readme = open("README.md", encoding="utf-8").read().rstrip("\n").count("\n") + 1
    if readme > README_MAX_LINES:
        problems.append(f"README.md: {readme} lines; a newcomer's page stays within {README_MAX_LINES} (move detail to docs/)")
    for n, line in prose_lines(open("ARCHITECTURE.md", encoding="utf-8").read()):
        if len(line) > ARCHITECTURE_MAX_COLUMNS and not line.lstrip().startswith("|"):
            problems.append(f"ARCHITECTURE.md:{n}: {len(line)} columns (at most {ARCHITECTURE_MAX_COLUMNS})")
    for p in problems:
        print(p)
    print(f"docs: {len(files)} Markdown files, README {readme} lines, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
