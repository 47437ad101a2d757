#!/usr/bin/env python3
"""Asks a running Folio the same kind of question N times (each worded apart, so none is
answered from storage) through POST /api/ask and prints the server's own timings: to the
sources event, to the quick answer, to the first piece of the answer, to the end, and pieces
per second while the answer is written. Used by scripts/bench.sh; `--tsv` prints one
tab-separated line instead (label, sources, quick, first piece, end as p50 and p95, unavailable, pieces/s p50)
for scripts/bench-readers-first.sh; `--folder NAME` asks within one folder (the same pages
however the rest of the site changes) and `--tag T` words the questions apart by T instead of
the label (runs to compare should differ by as little as a character).

    scripts/ask-timings.py <site> <label> [n] [--tsv] [--folder NAME] [--tag T]
"""
import json
import sys
import urllib.request

QUESTIONS = [
    "How does Folio keep pages fast when the model is slow",
    "What runs on Cloudflare and what runs natively",
    "How are uploaded images stored",
    "How does search find a page in other words",
]


def ask(site, question, folder=None):
    asked = {"question": question} | ({"folder": folder} if folder else {})
    request = urllib.request.Request(
        f"{site}/api/ask",
        data=json.dumps(asked).encode(),
        headers={"content-type": "application/json"},
    )
    pieces, done = 0, None
    with urllib.request.urlopen(request, timeout=300) as response:
        for block in response.read().decode().split("\n\n"):
            lines = dict(l.split(": ", 1) for l in block.splitlines() if ": " in l)
            if lines.get("event") == "text":
                pieces += 1
            elif lines.get("event") == "done":
                done = json.loads(lines["data"])
    return pieces, done


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def main():
    tsv = "--tsv" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--tsv"]
    def option(name):
        if name not in args:
            return None
        at = args.index(name)
        value = args[at + 1]
        del args[at : at + 2]
        return value

    folder, tag = option("--folder"), option("--tag")
    site, label = args[0], args[1]
    n = int(args[2]) if len(args) > 2 else 8
    sources, quick, first, total, rates, unavailable = [], [], [], [], [], 0
    for i in range(n):
        # Worded apart per run too (the label): a later run must not be answered from storage.
        pieces, done = ask(site, f"{QUESTIONS[i % len(QUESTIONS)]} ({tag or label} {i})", folder)
        t = done["timings"]
        sources.append(t["sources_ms"])
        if t.get("quick_ms") is not None:
            quick.append(t["quick_ms"])
        total.append(t["total_ms"])
        if done.get("unavailable"):
            unavailable += 1
        if t.get("first_text_ms") is not None:
            first.append(t["first_text_ms"])
            writing = (t["total_ms"] - t["first_text_ms"]) / 1000
            if pieces > 1 and writing > 0:
                rates.append(pieces / writing)
    if tsv:
        figures = [pct(v, p) for v in (sources, quick, first, total) for p in (50, 95)]
        fields = [f"{f:.0f}" if f == f else "nan" for f in figures] + [str(unavailable), f"{pct(rates, 50):.1f}"]
        print("\t".join([label] + fields))
        return
    print(
        f"{label:<8} ask x{n}: sources p50 {pct(sources, 50):.0f} / p95 {pct(sources, 95):.0f} ms · "
        f"quick answer p50 {pct(quick, 50):.0f} / p95 {pct(quick, 95):.0f} ms · "
        f"first piece p50 {pct(first, 50):.0f} / p95 {pct(first, 95):.0f} ms · "
        f"end p50 {pct(total, 50):.0f} / p95 {pct(total, 95):.0f} ms · "
        f"{pct(rates, 50):.1f} pieces/s · {unavailable} unavailable"
    )


if __name__ == "__main__":
    main()
