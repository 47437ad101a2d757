#!/usr/bin/env python3
"""Uploads N small documents to a running native Folio, one at a time, and prints how long each
took from the upload to a fresh summary on its page (publish schedules it; the page never waits
for it). Used by scripts/bench.sh; needs an admin account.

    scripts/summary-timing.py <site> <email> <password> [n]
"""
import http.cookiejar
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TOPICS = ["harbour lights", "tide tables", "rope knots", "ship bells", "sea charts"]


def main():
    site, email, password = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = urllib.parse.urlencode({"email": email, "password": password}).encode()
    opener.open(urllib.request.Request(f"{site}/api/sign-in", data=form), timeout=30).read()
    seconds = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        name = f"bench-{int(time.time())}-{i}.md"
        text = (f"# On {topic}\n\nKeepers of {topic} write down what they see each day, and sailors "
                f"read it before they leave port. This page says how {topic} are kept.\n")
        boundary = "folio-bench"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: text/markdown\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
        started = time.monotonic()
        request = urllib.request.Request(f"{site}/api/documents", data=body,
                                         headers={"content-type": f"multipart/form-data; boundary={boundary}"})
        slug = json.loads(opener.open(request, timeout=60).read())[0]["slug"]
        while time.monotonic() - started < 300:
            try:
                state = json.loads(opener.open(f"{site}/api/document-enrichment?slug={slug}", timeout=30).read())
            except urllib.error.HTTPError as err:
                if err.code != 404:  # 404: not live yet
                    raise
                state = None
            if state and state["summary"]["freshness"] == "fresh":
                break
            time.sleep(0.25)
        else:
            print(f"summary: {slug} got none in 300 s")
            continue
        seconds.append(time.monotonic() - started)
    seconds.sort()
    if seconds:
        print(f"upload to a fresh summary ({len(seconds)} documents): p50 {seconds[len(seconds) // 2]:.1f} s, "
              f"max {seconds[-1]:.1f} s")


if __name__ == "__main__":
    main()
