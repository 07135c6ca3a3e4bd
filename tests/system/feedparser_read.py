"""Reads a feed with Python's feedparser and prints what a reader recovers, as JSON."""
import calendar
import json
import sys

import feedparser

d = feedparser.parse(sys.argv[1])
out = {
    "version": d.version,
    "bozo": d.bozo,
    "bozo_exception": str(d.get("bozo_exception", "")),
    "feed": {"title": d.feed.get("title"), "link": d.feed.get("link"), "updated": d.feed.get("updated")},
    "entries": [
        {
            "id": e.get("id"),
            "title": e.get("title"),
            "title_type": e.get("title_detail", {}).get("type"),
            "link": e.get("link"),
            "published": calendar.timegm(e.published_parsed) if e.get("published_parsed") else None,
            "updated": calendar.timegm(e.updated_parsed) if e.get("updated_parsed") else None,
            "content": [c.get("value") for c in e.get("content", [])],
            "summary": e.get("summary"),
            "authors": [a.get("name") for a in e.get("authors", [])],
            "tags": [t.get("term") for t in e.get("tags", [])],
        }
        for e in d.entries
    ],
}
print(json.dumps(out, ensure_ascii=False))
