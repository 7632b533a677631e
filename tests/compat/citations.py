#!/usr/bin/env python3
"""Read back our BibTeX, RIS and CSL-JSON exports with real parsers: bibtexparser, rispy and
citeproc-py.

Usage:
    var/venv/bin/python tests/compat/citations.py --url http://127.0.0.1:PORT \
        --user NAME --token WRITE_TOKEN --papers ID,ID,ID

Makes a public collection of the three papers with notes (through Hugging Face's client, as a
reader would), downloads its exports anonymously, parses each file, and checks that every field
comes back as the server's own API states it: title, authors, year, arXiv id, primary category,
DOI when known, the notes. Also reads the collection's RSS and Atom feeds with feedparser. Prints `ok NAME` or `FAIL NAME: why`; exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
import urllib.error
import urllib.request

RESULTS: list[tuple[str, str | None]] = []

NOTES = [
    "Read {first}: 100% worth it & more, $\\alpha$-stable; na\u00efve fa\u00e7ade",
    None,
    "Line one\nline two \u2014 with \"quotes\"",
]


def check(name: str, fn) -> None:
    try:
        fn()
        RESULTS.append((name, None))
        print(f"ok {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
        RESULTS.append((name, f"{type(e).__name__}: {e}"))
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        traceback.print_exc()


def expect(cond, message: str) -> None:
    if not cond:
        raise AssertionError(message)


def get(url: str) -> tuple[str, str, str]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return (
            r.read().decode("utf-8"),
            r.headers.get("Content-Type", ""),
            r.headers.get("Content-Disposition", ""),
        )


def one_line(s: str) -> str:
    return " ".join(s.split())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--papers", required=True)
    ap.add_argument("--kaggle", help="a Kaggle snapshot file holding some of the papers (their DOI and journal)")
    args = ap.parse_args()
    os.environ.update(
        {
            "HF_ENDPOINT": args.url,
            "HF_HOME": tempfile.mkdtemp(prefix="hf-home-"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        }
    )
    os.environ.pop("HF_TOKEN", None)

    import bibtexparser
    import rispy
    from citeproc.source.json import CiteProcJSON
    from huggingface_hub import HfApi

    ids = args.papers.split(",")
    papers = {}
    for pid in ids:
        body, _, _ = get(f"{args.url}/api/papers/{pid}")
        papers[pid] = json.loads(body)
    api = HfApi(endpoint=args.url, token=args.token)
    c = api.create_collection("Export check", exists_ok=True)
    for pid, note in zip(ids, NOTES):
        api.add_collection_item(c.slug, pid, "paper", note=note, exists_ok=True)
    base = f"{args.url}/collections/{c.slug}/export"
    want_notes = dict(zip(ids, NOTES))

    def year(pid: str) -> str:
        return papers[pid]["publishedAt"][:4]

    def names(pid: str) -> list[str]:
        return [one_line(a["name"]) for a in papers[pid]["authors"]]

    def bibtex():
        text, ctype, disp = get(f"{base}/bib")
        expect(ctype.startswith("application/x-bibtex"), ctype)
        expect(disp.startswith("attachment;") and ".bib" in disp, disp)
        db = bibtexparser.loads(text)
        expect(len(db.entries) == 3, f"{len(db.entries)} entries")
        by_id = {e["eprint"]: e for e in db.entries}
        expect(sorted(by_id) == sorted(ids), str(sorted(by_id)))
        for pid in ids:
            e, p = by_id[pid], papers[pid]
            expect(e["ENTRYTYPE"] == "misc", e["ENTRYTYPE"])
            expect(e["title"] == one_line(p["title"]), f"title {e['title']!r} != {p['title']!r}")
            expect(e["author"].split(" and ") == names(pid), f"authors {e['author']!r}")
            expect(e["year"] == year(pid), e["year"])
            expect(e["archiveprefix"] == "arXiv", e["archiveprefix"])
            primary = p["categories"][0] if p["categories"] else None
            expect(e.get("primaryclass") == primary, f"primaryClass {e.get('primaryclass')!r}")
            expect(e["url"] == f"https://arxiv.org/abs/{pid}", e["url"])
            want = want_notes[pid]
            expect(e.get("note") == (one_line(want) if want else None), f"note {e.get('note')!r}")
        expect(len({e["ID"] for e in db.entries}) == 3, "unique keys")

    def ris():
        text, ctype, _ = get(f"{base}/ris")
        expect(ctype.startswith("application/x-research-info-systems"), ctype)
        entries = rispy.loads(text)
        expect(len(entries) == 3, f"{len(entries)} entries")
        for e, pid in zip(entries, ids):
            p = papers[pid]
            expect(e["type_of_reference"] in ("UNPB", "JOUR"), e["type_of_reference"])
            expect(e["title"] == one_line(p["title"]), f"title {e['title']!r}")
            got = [" ".join(reversed(a.split(", ", 1))) for a in e.get("authors", [])]
            expect(got == names(pid), f"authors {got} != {names(pid)}")
            expect(e["year"] == year(pid), e["year"])
            expect(e["accession_number"] == f"arXiv:{pid}", e["accession_number"])
            expect(e["urls"] == [f"https://arxiv.org/abs/{pid}"], str(e["urls"]))
            expect(e.get("keywords", []) == p["categories"], str(e.get("keywords")))
            expect(one_line(e["abstract"]) == one_line(p["summary"]), "abstract")
            want = want_notes[pid]
            expect(e.get("notes") == ([one_line(want)] if want else None), f"notes {e.get('notes')!r}")

    def csl():
        text, ctype, _ = get(f"{base}/json")
        expect(ctype.startswith("application/vnd.citationstyles.csl+json"), ctype)
        raw = json.loads(text)
        source = CiteProcJSON(raw)
        expect(len(raw) == 3, f"{len(raw)} items")
        for item, pid in zip(raw, ids):
            p = papers[pid]
            ref = source[item["id"].lower()]
            expect(str(ref.title) == p["title"], f"title {ref.title!r}")
            got = []
            for a in ref.author:
                got.append(" ".join(x for x in (a.get("given"), a.get("family"), a.get("literal")) if x))
            expect(got == names(pid), f"authors {got}")
            expect(str(ref.issued.year) == year(pid), str(ref.issued.year))
            expect(item["number"] == f"arXiv:{pid}", item["number"])
            expect(item["type"] == "article", item["type"])
            expect(item.get("note") == want_notes[pid], f"note {item.get('note')!r}")

    def feeds():
        import feedparser

        for ext in ("rss", "atom"):
            body, ctype, _ = get(f"{args.url}/collections/{c.slug}/feed.{ext}")
            parsed = feedparser.parse(body)
            expect(not parsed.bozo, f"{ext}: {parsed.get('bozo_exception')}")
            expect(ext in parsed.version, f"{ext}: version {parsed.version}")
            links = sorted(e.link.rsplit("/", 1)[-1] for e in parsed.entries)
            expect(links == sorted(ids), f"{ext}: {links}")
            titles = {e.link.rsplit("/", 1)[-1]: e.title for e in parsed.entries}
            for pid in ids:
                expect(titles[pid] == papers[pid]["title"], f"{ext}: title {titles[pid]!r}")

    def library_needs_sign_in():
        try:
            get(f"{args.url}/library/export/bib")
            raise AssertionError("the library export answered without a session")
        except urllib.error.HTTPError as e:
            expect(e.code == 401, f"status {e.code}")

    source = {}
    if args.kaggle:
        with open(args.kaggle, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if r["id"] in ids:
                    source[r["id"]] = r

    def doi_and_journal():
        expect(any(r.get("doi") for r in source.values()), "a paper with a DOI to check")
        db = {e["eprint"]: e for e in bibtexparser.loads(get(f"{base}/bib")[0]).entries}
        ris_by = {e["accession_number"][len("arXiv:"):]: e for e in rispy.loads(get(f"{base}/ris")[0])}
        csl_by = {i["number"][len("arXiv:"):]: i for i in json.loads(get(f"{base}/json")[0])}
        for pid in ids:
            doi = (source.get(pid) or {}).get("doi")
            journal = (source.get(pid) or {}).get("journal-ref")
            expect(db[pid].get("doi") == doi, f"{pid} bibtex doi {db[pid].get('doi')!r} != {doi!r}")
            expect(ris_by[pid].get("doi") == doi, f"{pid} ris doi {ris_by[pid].get('doi')!r}")
            expect(csl_by[pid].get("DOI") == doi, f"{pid} csl DOI {csl_by[pid].get('DOI')!r}")
            expect(db[pid].get("journal") == (one_line(journal) if journal else None), f"{pid} journal")
            expect(ris_by[pid]["type_of_reference"] == ("JOUR" if journal else "UNPB"), f"{pid} TY")

    def scholar_meta():
        # As Zotero's "Embedded Metadata" translator and Google Scholar read a page: every
        # `<meta name="citation_*">` in document order, names case-insensitive, repeated
        # `citation_author` kept in order.
        from html.parser import HTMLParser

        class Meta(HTMLParser):
            def __init__(self) -> None:
                super().__init__()
                self.tags: list[tuple[str, str]] = []

            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "meta" and (a.get("name") or "").lower().startswith("citation_"):
                    self.tags.append((a["name"].lower(), a.get("content") or ""))

        for pid in ids:
            html, ctype, _ = get(f"{args.url}/papers/{pid}")
            expect(ctype.startswith("text/html"), f"{pid}: {ctype}")
            m = Meta()
            m.feed(html)
            first = {}
            for k, v in m.tags:
                first.setdefault(k, v)
            authors = [v for k, v in m.tags if k == "citation_author"]
            want = papers[pid]
            expect(one_line(first.get("citation_title", "")) == one_line(want["title"]), f"{pid} title {first.get('citation_title')!r}")
            expect(authors == names(pid), f"{pid} authors {authors} != {names(pid)}")
            date = first.get("citation_date", "")
            expect(len(date) == 10 and date[4] == "/" and date[:4] == year(pid), f"{pid} citation_date {date!r}")
            expect(first.get("citation_arxiv_id") == pid, f"{pid} citation_arxiv_id {first.get('citation_arxiv_id')!r}")
            expect(first.get("citation_pdf_url", "").startswith(f"https://arxiv.org/pdf/{pid}"), f"{pid} pdf {first.get('citation_pdf_url')!r}")
            doi = (source.get(pid) or {}).get("doi")
            expect(first.get("citation_doi") == doi, f"{pid} citation_doi {first.get('citation_doi')!r} != {doi!r}")

    check("bibtex", bibtex)
    check("ris", ris)
    check("csl-json", csl)
    check("doi and journal", doi_and_journal)
    check("collection feeds in feedparser", feeds)
    check("library export needs sign-in", library_needs_sign_in)
    check("scholar and zotero metadata on paper pages", scholar_meta)
    api.delete_collection(c.slug)
    failed = [n for n, why in RESULTS if why]
    print(f"{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
