#!/usr/bin/env python3
"""Check our RSS and Atom feeds with feedparser and against the HTML pages they mirror.

Usage:
    var/venv/bin/python tests/compat/feeds.py --url http://127.0.0.1:PORT [--query WORDS]

Feeds checked (each in RSS and Atom):
    /papers/feed.{rss,atom}            the latest day's list     vs  /papers
    /papers/week/feed.{rss,atom}       the latest ISO week       vs  the page the feed's channel link names
    /papers/trending/feed.{rss,atom}   trending                  vs  /papers/trending
    /papers/date/DAY/feed.{rss,atom}   the latest day, by date   vs  /papers/date/DAY
    /papers/month/MONTH/feed.{rss,atom} that day's month         vs  /papers/month/MONTH
    /search/feed.{rss,atom}?q=...      search results            vs  /search?q=...
For each feed: HTTP 200, `bozo == 0`, the right feed version, at least one entry, every entry with a
title, link, id, author and summary, unique ids. Against the page: as many entries as paper cards,
the same first title and the same papers in the same order; the page advertises both feeds with
`<link rel="alternate" type="application/rss+xml|application/atom+xml">`. A search whose query holds
`<`, `&`, quotes and `]]>` must still give a well-formed feed.

The search query defaults to the title of the first entry of the daily feed (so it matches at
least that paper); no expected value is hard-coded. HTML cards are `<article class="card ...">`
(also accepted: `<li class="card ...">`) with the paper's `<a href="/papers/ID">TITLE</a>` inside an
`<h2>` or `<h3>`. Each check prints `ok NAME` or `FAIL NAME: why`; exit status 1 if any failed.
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from typing import Any, Callable

import feedparser

TIMEOUT = 60
SPECIAL_QUERY = "<em>\"attention\" & 'memory'</em> ]]> &amp; a<b"


# ---------------------------------------------------------------------------------------------
# Plumbing.


class CheckFailed(Exception):
    pass


def check(cond: Any, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


class Suite:
    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[tuple[str, str]] = []

    def run(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            result = fn(*args)
        except CheckFailed as e:
            self.failed.append((name, str(e)))
            print(f"FAIL {name}: {e}", flush=True)
        except Exception as e:
            detail = "".join(traceback.format_exception(type(e), e, e.__traceback__)[-4:])
            self.failed.append((name, f"{type(e).__name__}: {e}"))
            print(f"FAIL {name}: unexpected {type(e).__name__}: {e}\n{detail}", flush=True)
        else:
            self.passed.append(name)
            print(f"ok {name}", flush=True)
            return result
        return None

    def summary(self) -> int:
        total = len(self.passed) + len(self.failed)
        print(f"\n{len(self.passed)}/{total} checks passed", flush=True)
        if self.failed:
            print("failed:", flush=True)
            for name, why in self.failed:
                print(f"  {name}: {why.splitlines()[0] if why else ''}", flush=True)
            return 1
        return 0


# No proxies: the server is on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Response:
    def __init__(self, url: str, status: int, headers: dict[str, str], body: bytes) -> None:
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body

    def brief(self) -> str:
        """What the body says, short: an HTML page's <title>, else the start of the body."""
        m = re.search(r"<title[^>]*>(.*?)</title>", self.text, re.I | re.S)
        return ws(m.group(1)) if m else repr(self.text[:200])

    @property
    def text(self) -> str:
        m = re.search(r"charset=([\w-]+)", self.headers.get("content-type", ""), re.I)
        return self.body.decode(m.group(1) if m else "utf-8", errors="replace")


def fetch(url: str, accept: str = "*/*") -> Response:
    req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "dailypapers-compat/1"})
    try:
        with _OPENER.open(req, timeout=TIMEOUT) as r:
            return Response(r.geturl(), r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Response(url, e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def ws(text: str | None) -> str:
    return " ".join((text or "").split())


def paper_id_from(url: str | None) -> str | None:
    """The id in a `/papers/ID` link (absolute or not), or None."""
    if not url:
        return None
    path = urllib.parse.urlsplit(url).path
    m = re.fullmatch(r"/papers/([^/]+)", path)
    return urllib.parse.unquote(m.group(1)) if m else None


def same_target(a: str, b: str) -> bool:
    """Whether two URLs name the same path and query (query order and encoding ignored)."""
    sa, sb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    return sa.path == sb.path and sorted(urllib.parse.parse_qsl(sa.query)) == sorted(urllib.parse.parse_qsl(sb.query))


# ---------------------------------------------------------------------------------------------
# HTML: paper cards and feed autodiscovery.


class PageParser(HTMLParser):
    CARD_TAGS = ("article", "li")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.alternates: list[dict[str, str]] = []
        self.cards: list[dict[str, Any]] = []
        self._card_tag: str | None = None
        self._card_depth = 0
        self._heading = 0
        self._in_link = False
        self._annotation = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "link" and "alternate" in a.get("rel", "").lower().split():
            self.alternates.append(a)
        if self._card_tag is None:
            if tag in self.CARD_TAGS and "card" in classes:
                self._card_tag, self._card_depth = tag, 1
                self.cards.append({"href": None, "title": "", "has_math": False, "done": False})
            return
        card = self.cards[-1]
        if tag == self._card_tag:
            self._card_depth += 1
        elif tag in ("h2", "h3"):
            self._heading += 1
        elif tag == "a" and self._heading and not card["done"] and a.get("href", "").startswith("/papers/"):
            card["href"] = a["href"]
            self._in_link = True
        elif tag == "math" and self._in_link:
            card["has_math"] = True
        elif tag == "annotation" and self._in_link:
            self._annotation += 1  # TeX source of rendered math: not part of the visible title

    def handle_endtag(self, tag: str) -> None:
        if self._card_tag is None:
            return
        card = self.cards[-1]
        if tag == self._card_tag:
            self._card_depth -= 1
            if self._card_depth == 0:
                self._card_tag, self._heading, self._in_link, self._annotation = None, 0, False, 0
        elif tag in ("h2", "h3") and self._heading:
            self._heading -= 1
        elif tag == "a" and self._in_link:
            self._in_link = False
            card["done"] = True
        elif tag == "annotation" and self._annotation:
            self._annotation -= 1

    def handle_data(self, data: str) -> None:
        if self._card_tag is not None and self._in_link and not self._annotation:
            self.cards[-1]["title"] += data


def parse_page(resp: Response) -> PageParser:
    p = PageParser()
    p.feed(resp.text)
    p.close()
    return p


# ---------------------------------------------------------------------------------------------
# The checks.


class Feeds:
    def __init__(self, base: str, query: str | None) -> None:
        self.base = base
        self.query = query
        self.parsed: dict[str, Any] = {}  # feed path -> feedparser result

    def abs(self, path: str) -> str:
        return urllib.parse.urljoin(self.base + "/", path.lstrip("/")) if not path.startswith("http") else path

    def get_feed(self, path: str, fmt: str) -> Any:
        url = self.abs(path)
        accept = "application/rss+xml" if fmt == "rss" else "application/atom+xml"
        r = fetch(url, accept=f"{accept}, application/xml;q=0.9, */*;q=0.1")
        check(r.status == 200, f"GET {path}: HTTP {r.status} ({r.brief()})")
        ctype = r.headers.get("content-type", "")
        check("xml" in ctype.lower(), f"GET {path}: Content-Type {ctype!r} is not an XML type")
        d = feedparser.parse(r.body, response_headers={**r.headers, "content-location": url})
        check(d.bozo == 0, f"{path}: not well-formed for feedparser: {d.get('bozo_exception')!r}")
        want_version = "rss20" if fmt == "rss" else "atom10"
        check(d.version == want_version, f"{path}: feed version {d.version!r}, expected {want_version!r}")
        return d

    def feed_valid(self, path: str, fmt: str, need_entries: bool = True) -> Any:
        d = self.get_feed(path, fmt)
        f = d.feed
        check(ws(f.get("title")), f"{path}: the feed has no title")
        check(f.get("link"), f"{path}: the feed has no link to its page")
        if fmt == "atom":
            check(f.get("id"), f"{path}: Atom feed without <id>")
            check(f.get("updated"), f"{path}: Atom feed without <updated>")
        else:
            check(f.get("description") is not None, f"{path}: RSS channel without <description>")
        if need_entries:
            check(d.entries, f"{path}: no entries")
        ids = []
        for i, e in enumerate(d.entries):
            where = f"{path} entry {i} ({e.get('link') or e.get('id') or '?'})"
            check(ws(e.get("title")), f"{where}: no title")
            check(e.get("link"), f"{where}: no link")
            check(e.get("id"), f"{where}: no {'id' if fmt == 'atom' else 'guid'}")
            authors = [a.get("name") for a in e.get("authors", []) if a.get("name")] or [e.get("author")]
            check(any(authors), f"{where}: no author")
            check(ws(e.get("summary")), f"{where}: no summary")
            if fmt == "atom":
                check(e.get("updated"), f"{where}: Atom entry without <updated>")
            ids.append(e.get("id"))
        dup = sorted({i for i in ids if ids.count(i) > 1})
        check(not dup, f"{path}: duplicate entry ids: {dup[:5]}")
        self.parsed[path] = d
        return d

    def page_matches(self, feed_path: str, page_path: str) -> None:
        d = self.parsed.get(feed_path)
        check(d is not None, f"{feed_path} did not parse (see its own check)")
        r = fetch(self.abs(page_path), accept="text/html")
        check(r.status == 200, f"GET {page_path}: HTTP {r.status} ({r.brief()})")
        page = parse_page(r)
        cards = page.cards
        check(cards, f"{page_path}: no paper cards (<article class=\"card\"> with <h2|h3><a href=\"/papers/ID\">)")
        check(
            len(d.entries) == len(cards),
            f"{feed_path} has {len(d.entries)} entries, {page_path} shows {len(cards)} cards",
        )
        first_feed, first_card = ws(d.entries[0].get("title")), ws(cards[0]["title"])
        feed_ids = [paper_id_from(e.get("link")) for e in d.entries]
        card_ids = [paper_id_from(c["href"]) for c in cards]
        if first_feed != first_card:
            # A title with rendered math differs in text from the feed's TeX; then the same paper suffices.
            check(
                cards[0]["has_math"] and feed_ids[0] is not None and feed_ids[0] == card_ids[0],
                f"first title differs: feed {first_feed!r} vs page {first_card!r}",
            )
        if all(feed_ids):
            check(
                feed_ids == card_ids,
                f"{feed_path} and {page_path} list different papers or order: "
                + next(
                    (f"position {i}: feed {a}, page {b}" for i, (a, b) in enumerate(zip(feed_ids, card_ids)) if a != b),
                    f"{len(feed_ids)} vs {len(card_ids)}",
                ),
            )

    def autodiscovery(self, page_path: str, feeds: dict[str, str]) -> None:
        r = fetch(self.abs(page_path), accept="text/html")
        check(r.status == 200, f"GET {page_path}: HTTP {r.status} ({r.brief()})")
        links = parse_page(r).alternates
        for fmt, feed_path in feeds.items():
            mime = f"application/{fmt}+xml"
            hrefs = [a.get("href", "") for a in links if a.get("type", "").lower() == mime]
            check(hrefs, f"{page_path}: no <link rel=\"alternate\" type=\"{mime}\"> (have {[a.get('type') for a in links]})")
            href = self.abs(urllib.parse.urljoin(self.abs(page_path), hrefs[0]))
            if same_target(href, self.abs(feed_path)):
                continue
            # Another URL (e.g. a dated feed for this very page): it must carry the same entries.
            # Fetched from our server whatever host the link names (no network beyond --url).
            parts = urllib.parse.urlsplit(href)
            other = self.get_feed(parts.path + (f"?{parts.query}" if parts.query else ""), fmt)
            want = self.parsed.get(feed_path) or self.get_feed(feed_path, fmt)
            check(
                [e.get("link") for e in other.entries] == [e.get("link") for e in want.entries],
                f"{page_path}: advertised {mime} feed {href} has other entries than {feed_path}",
            )

    def week_page(self) -> str:
        d = self.parsed.get("/papers/week/feed.rss") or self.parsed.get("/papers/week/feed.atom")
        check(d is not None, "the week feed did not parse (see its own check)")
        link = d.feed.get("link", "")
        path = urllib.parse.urlsplit(link).path
        check(
            re.fullmatch(r"/papers/week/(\d{4}-W\d{2}|current)", path),
            f"the week feed's channel link {link!r} is not /papers/week/YYYY-Www",
        )
        return path

    def special_query(self, fmt: str) -> None:
        path = f"/search/feed.{fmt}?" + urllib.parse.urlencode({"q": SPECIAL_QUERY})
        self.feed_valid(path, fmt, need_entries=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="our server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--query", help="search words for the search feed (default: the daily feed's first title)")
    args = ap.parse_args()
    f = Feeds(args.url.rstrip("/"), args.query)
    s = Suite()
    print(f"feedparser {feedparser.__version__} against {f.base}", flush=True)

    for name, stem in (("daily", "/papers/feed"), ("week", "/papers/week/feed"), ("trending", "/papers/trending/feed")):
        for fmt in ("rss", "atom"):
            s.run(f"feed_{name}_{fmt}", f.feed_valid, f"{stem}.{fmt}", fmt)

    query = args.query
    if not query:
        daily = f.parsed.get("/papers/feed.rss") or f.parsed.get("/papers/feed.atom")
        query = ws(daily.entries[0].get("title")) if daily and daily.entries else None
    if not query:  # without a daily feed, the first card of the daily page
        r = fetch(f.abs("/papers"), accept="text/html")
        cards = parse_page(r).cards if r.status == 200 else []
        query = ws(cards[0]["title"]) if cards else None
    if query:
        print(f"search query: {query!r}", flush=True)
        for fmt in ("rss", "atom"):
            s.run(f"feed_search_{fmt}", f.feed_valid, "/search/feed.{}?{}".format(fmt, urllib.parse.urlencode({"q": query})), fmt)
    else:
        s.run("feed_search", lambda: check(False, "no query: neither the daily feed nor /papers gave a title; pass --query"))

    week_page = s.run("week_channel_link", f.week_page)
    pages: list[tuple[str, str | None, str]] = [
        ("daily", "/papers", "/papers/feed"),
        ("week", week_page, "/papers/week/feed"),
        ("trending", "/papers/trending", "/papers/trending/feed"),
    ]
    # Dated feeds: the latest day's and month's own feeds (any day, week or month has them).
    daily = f.parsed.get("/papers/feed.rss") or f.parsed.get("/papers/feed.atom")
    day = re.search(r"\d{4}-\d{2}-\d{2}", daily.feed.get("title", "")) if daily else None
    if day:
        d = day.group(0)
        for fmt in ("rss", "atom"):
            s.run(f"feed_day_{fmt}", f.feed_valid, f"/papers/date/{d}/feed.{fmt}", fmt)
            s.run(f"feed_month_{fmt}", f.feed_valid, f"/papers/month/{d[:7]}/feed.{fmt}", fmt)
        pages.append(("day", f"/papers/date/{d}", f"/papers/date/{d}/feed"))
        pages.append(("month", f"/papers/month/{d[:7]}", f"/papers/month/{d[:7]}/feed"))
    else:
        s.run("feed_day", lambda: check(False, "the daily feed's title names no day"))
    if query:
        q = urllib.parse.urlencode({"q": query})
        pages.append(("search", f"/search?{q}", f"/search/feed.{{fmt}}?{q}"))
    for name, page, stem in pages:
        if page is None:
            continue
        feeds = {fmt: (stem.format(fmt=fmt) if "{fmt}" in stem else f"{stem}.{fmt}") for fmt in ("rss", "atom")}
        for fmt, feed_path in feeds.items():
            s.run(f"page_{name}_{fmt}", f.page_matches, feed_path, page)
        s.run(f"autodiscovery_{name}", f.autodiscovery, page, feeds)

    for fmt in ("rss", "atom"):
        s.run(f"search_special_chars_{fmt}", f.special_query, fmt)
    return s.summary()


if __name__ == "__main__":
    sys.exit(main())
