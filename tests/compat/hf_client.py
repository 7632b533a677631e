#!/usr/bin/env python3
"""Check our papers API against the stock Hugging Face Python client (huggingface_hub 2.4.0).

Usage:
    var/venv/bin/python tests/compat/hf_client.py --url http://127.0.0.1:PORT --data ../shared/data

The server must have imported every day of the shared data's `hf-daily/days/` and hold no local
votes. Expected values come from those saved Hugging Face responses (read here directly) and never
from hard-coded constants. Each check prints `ok NAME` or `FAIL NAME: why`; all checks run, a
summary follows, and the exit status is 1 when any check failed.

Nothing leaves the machine: the client is pointed at --url through `HfApi(endpoint=...)` and the
`HF_ENDPOINT` environment variable, runs without a token, with `HF_HOME` in a temporary folder,
telemetry and update checks off.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable

CLIENT_VERSION = "2.4.0"
DEFAULT_LIMIT = 50  # the API's default page size
HTTP_TIMEOUT = 60.0  # seconds per request (the client's own default is no timeout at all)
CLI_TIMEOUT = 120  # seconds per `hf` run


# ---------------------------------------------------------------------------------------------
# Environment: set before huggingface_hub is imported (it reads its constants at import time).


def isolate_environment(url: str, hf_home: str) -> dict[str, str]:
    """Point the client at `url`, without token, cache, telemetry or update checks."""
    for var in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_TOKEN_PATH",
        "HF_STORED_TOKENS_PATH",
        "HUGGINGFACE_CO_STAGING",
        "HF_HUB_VERBOSITY",
        "HF_DEBUG",
    ):
        os.environ.pop(var, None)
    os.environ.update(
        {
            "HF_ENDPOINT": url,
            "HF_HOME": hf_home,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_UPDATE_CHECK": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
            "NO_COLOR": "1",
        }
    )
    # Loopback never through a proxy.
    for var in ("NO_PROXY", "no_proxy"):
        current = [h for h in os.environ.get(var, "").split(",") if h]
        for host in ("127.0.0.1", "localhost", "::1"):
            if host not in current:
                current.append(host)
        os.environ[var] = ",".join(current)
    return dict(os.environ)


# ---------------------------------------------------------------------------------------------
# The shared data.


def parse_ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def ws(text: str | None) -> str:
    """Collapse runs of white space (arXiv titles and abstracts keep hard line breaks)."""
    return " ".join((text or "").split())


def iso_week(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


class Data:
    """The saved `/api/daily_papers?date=` responses, one file per day."""

    def __init__(self, root: Path) -> None:
        days_dir = self._find_days(root)
        self.days: dict[str, list[dict[str, Any]]] = {}
        for f in sorted(days_dir.glob("*.json.gz")):
            day = f.name[:10]
            with gzip.open(f, "rt", encoding="utf-8") as fh:
                items = json.load(fh)
            if not isinstance(items, list):
                raise SystemExit(f"{f}: expected a JSON array")
            self.days[day] = items
        if not self.days:
            raise SystemExit(f"no YYYY-MM-DD.json.gz files in {days_dir}")
        # id -> [(day, entry)]
        self.entries: dict[str, list[tuple[str, dict[str, Any]]]] = collections.defaultdict(list)
        for day, items in self.days.items():
            for e in items:
                self.entries[e["paper"]["id"]].append((day, e))
        # Every arXiv id the server may know (hf-daily plus, when present, the other shared sets).
        self.known_ids = set(self.entries)
        ids_txt = self._data_root(days_dir) / "vectors" / "ids.txt"
        if ids_txt.is_file():
            self.known_ids.update(line.strip() for line in ids_txt.open(encoding="utf-8") if line.strip())

    @staticmethod
    def _find_days(root: Path) -> Path:
        for cand in (root / "hf-daily" / "days", root / "days", root):
            if cand.is_dir() and any(cand.glob("????-??-??.json.gz")):
                return cand
        raise SystemExit(f"--data {root}: no hf-daily/days/YYYY-MM-DD.json.gz files found")

    @staticmethod
    def _data_root(days_dir: Path) -> Path:
        return days_dir.parent.parent if days_dir.parent.name == "hf-daily" else days_dir.parent

    def ordered(self, day: str) -> list[dict[str, Any]]:
        """A day's list as our server orders it: upvotes desc, entry publishedAt desc, file order."""
        items = self.days[day]
        keyed = [
            (-e["paper"]["upvotes"], -parse_ts(e["publishedAt"]).timestamp(), i, e) for i, e in enumerate(items)
        ]
        return [k[3] for k in sorted(keyed, key=lambda k: k[:3])]

    def entries_in(self, pred: Callable[[str], bool]) -> list[tuple[str, dict[str, Any]]]:
        return [(d, e) for d, items in self.days.items() if pred(d) for e in items]

    def is_single(self, pid: str) -> bool:
        return len(self.entries[pid]) == 1


# ---------------------------------------------------------------------------------------------
# Check machinery.


class CheckFailed(Exception):
    pass


def check(cond: Any, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


class Suite:
    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[tuple[str, str]] = []

    def run(self, name: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except CheckFailed as e:
            self.failed.append((name, str(e)))
            print(f"FAIL {name}: {e}", flush=True)
        except Exception as e:  # a crash in the client is a failure too, with its trace
            detail = "".join(traceback.format_exception(type(e), e, e.__traceback__)[-6:])
            self.failed.append((name, f"{type(e).__name__}: {e}"))
            print(f"FAIL {name}: unexpected {type(e).__name__}: {e}\n{detail}", flush=True)
        else:
            self.passed.append(name)
            print(f"ok {name}", flush=True)

    def summary(self) -> int:
        total = len(self.passed) + len(self.failed)
        print(f"\n{len(self.passed)}/{total} checks passed", flush=True)
        if self.failed:
            print("failed:", flush=True)
            for name, why in self.failed:
                print(f"  {name}: {why.splitlines()[0] if why else ''}", flush=True)
            return 1
        return 0


def upv(p: Any) -> int:
    # PaperInfo takes `paper.upvotes or upvotes`: a 0 in `paper` falls through to None.
    return p.upvotes or 0


def ids_of(papers: Iterable[Any]) -> list[str]:
    return [p.id for p in papers]


def first_diff(got: list[Any], want: list[Any]) -> str:
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return f"first difference at position {i}: got {g!r}, expected {w!r}"
    return f"lengths differ: got {len(got)}, expected {len(want)}"


def non_increasing(values: list[int]) -> int | None:
    """The first index whose value is larger than the one before, or None."""
    for i in range(1, len(values)):
        if values[i] > values[i - 1]:
            return i
    return None


# ---------------------------------------------------------------------------------------------
# The checks.


class Checks:
    def __init__(self, api: Any, url: str, data: Data, hf_cli: str | None, env: dict[str, str]) -> None:
        from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RepositoryNotFoundError

        self.api = api
        self.url = url
        self.data = data
        self.hf_cli = hf_cli
        self.env = env
        self.HfHubHTTPError = HfHubHTTPError
        self.BadRequestError = BadRequestError
        self.RepositoryNotFoundError = RepositoryNotFoundError
        self.probe = self._pick_probe()
        self.unknown_id = self._pick_unknown_id()

    # -- choices, all derived from the data ---------------------------------------------------

    def big_days(self) -> list[str]:
        """The three days with the most papers, plus the day with the most full ties."""
        by_size = sorted(self.data.days, key=lambda d: (-len(self.data.days[d]), d))
        chosen = by_size[:3]

        def full_ties(day: str) -> int:
            items = self.data.days[day]
            return sum(
                1
                for a, b in zip(items, items[1:])
                if a["paper"]["upvotes"] == b["paper"]["upvotes"] and a["publishedAt"] == b["publishedAt"]
            )

        tie_day = max(sorted(self.data.days), key=full_ties)
        if full_ties(tie_day) and tie_day not in chosen:
            chosen.append(tie_day)
        return chosen

    def _pick_probe(self) -> dict[str, Any]:
        """A paper with a distinctive plain title, on one day only, upvoted, several authors."""
        title_count = collections.Counter(ws(e["title"]).lower() for items in self.data.days.values() for e in items)
        plain = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 :,\-]+$")
        for day in sorted(self.data.days, reverse=True):
            for e in self.data.days[day]:
                t = ws(e["title"])
                if (
                    plain.match(t)
                    and 6 <= len(t.split()) <= 14
                    and title_count[t.lower()] == 1
                    and self.data.is_single(e["paper"]["id"])
                    and e["paper"]["upvotes"] > 0
                    and len(e["paper"]["authors"]) >= 2
                ):
                    return {"day": day, "entry": e, "id": e["paper"]["id"], "title": t}
        raise SystemExit("no suitable probe paper in the data")

    def _pick_unknown_id(self) -> str:
        n = 99999
        while f"2401.{n:05d}" in self.data.known_ids:
            n -= 1
        return f"2401.{n:05d}"

    # -- helpers ------------------------------------------------------------------------------

    def expect_error(self, status: int, fn: Callable[[], Any], what: str) -> Any:
        try:
            result = fn()
        except self.HfHubHTTPError as e:
            code = e.response.status_code if e.response is not None else None
            check(code == status, f"{what}: expected HTTP {status}, got HTTP {code} ({type(e).__name__}: {e})")
            if status == 400:
                check(
                    isinstance(e, self.BadRequestError),
                    f"{what}: HTTP 400 should surface as BadRequestError, got {type(e).__name__}",
                )
            check(
                not isinstance(e, self.RepositoryNotFoundError),
                f"{what}: the client turned the answer into RepositoryNotFoundError "
                "(the server must not send `X-Error-Code: RepoNotFound`)",
            )
            check(
                (e.server_message or "").strip(),
                f"{what}: HTTP {code} without a server message; the client shows the JSON body's "
                '`error` (send `{"error": "..."}`) or the `X-Error-Message` header',
            )
            return e
        n = len(result) if isinstance(result, list) else "a"
        raise CheckFailed(f"{what}: expected HTTP {status}, but the call succeeded with {n} result(s)")

    def daily(self, **params: Any) -> list[Any]:
        return list(self.api.list_daily_papers(token=False, **params))

    # -- /api/daily_papers?date= ----------------------------------------------------------------

    def day_list(self, day: str) -> None:
        want = self.data.ordered(day)[:DEFAULT_LIMIT]
        got = self.daily(date=day)
        want_ids = [e["paper"]["id"] for e in want]
        got_ids = ids_of(got)
        check(
            set(got_ids) == set(want_ids),
            f"date={day}: ids differ from the saved file; missing {sorted(set(want_ids) - set(got_ids))[:5]}, "
            f"unexpected {sorted(set(got_ids) - set(want_ids))[:5]} ({len(got_ids)} returned, {len(want_ids)} saved)",
        )
        check(len(got_ids) == len(want_ids), f"date={day}: {len(got_ids)} items for {len(want_ids)} distinct papers")
        max_up = max(e["paper"]["upvotes"] for e in want)
        check(upv(got[0]) == max_up, f"date={day}: first item {got[0].id} has {upv(got[0])} upvotes, max is {max_up}")
        check(
            got_ids == want_ids,
            f"date={day}: order differs from upvotes desc, publishedAt desc, file order; {first_diff(got_ids, want_ids)}",
        )
        for p, e in zip(got, want):
            saved = e["paper"]
            # The server keeps titles with white space collapsed (arXiv's line breaks are layout);
            # Hugging Face's own top-level `title` was unwrapped on older days and equals
            # `paper.title` on newer ones. Either saved form, compared without layout, is fine.
            check(
                ws(p.title) in (ws(e["title"]), ws(saved["title"])),
                f"date={day} {p.id}: title {p.title!r} is neither saved form {e['title']!r} nor {saved['title']!r}",
            )
            check(upv(p) == saved["upvotes"], f"date={day} {p.id}: upvotes {p.upvotes!r} != saved {saved['upvotes']}")
            check(ws(p.summary) == ws(saved["summary"]), f"date={day} {p.id}: summary differs from saved paper.summary")
            names = [a.name for a in (p.authors or [])]
            want_names = [a["name"] for a in saved["authors"]]
            check(names == want_names, f"date={day} {p.id}: authors {names[:3]}... != saved {want_names[:3]}...")
            check(
                p.published_at == parse_ts(saved["publishedAt"]),
                f"date={day} {p.id}: published_at {p.published_at} != saved paper.publishedAt {saved['publishedAt']}",
            )
            check(
                p.submitted_at == parse_ts(e["publishedAt"]),
                f"date={day} {p.id}: submitted_at (entry publishedAt) {p.submitted_at} != saved {e['publishedAt']}",
            )
            check(
                (p.comments or 0) == (e.get("numComments") or 0),
                f"date={day} {p.id}: comments {p.comments} != saved numComments {e.get('numComments')}",
            )

    def day_paging(self) -> None:
        day = max(sorted(self.data.days), key=lambda d: len(self.data.days[d]))
        full = [e["paper"]["id"] for e in self.data.ordered(day)]
        check(len(full) >= 10, f"date={day}: need at least 10 papers for the paging check")
        page0 = ids_of(self.daily(date=day, limit=5, p=0))
        page1 = ids_of(self.daily(date=day, limit=5, p=1))
        check(page0 == full[0:5], f"date={day} limit=5 p=0: {page0} != expected {full[0:5]}")
        check(page1 == full[5:10], f"date={day} limit=5 p=1: {page1} != expected {full[5:10]}")
        check(not set(page0) & set(page1), f"date={day}: pages 0 and 1 overlap: {set(page0) & set(page1)}")
        last = (len(full) - 1) // 5
        tail = ids_of(self.daily(date=day, limit=5, p=last))
        check(tail == full[last * 5 :], f"date={day} limit=5 p={last} (last page): {tail} != {full[last * 5:]}")
        past = self.daily(date=day, limit=5, p=last + 1)
        check(past == [], f"date={day} limit=5 p={last + 1} (past the end): expected [], got {ids_of(past)}")
        far = self.daily(date=day, p=1)
        if len(full) <= DEFAULT_LIMIT:
            check(far == [], f"date={day} p=1 (default limit {DEFAULT_LIMIT}): expected [], got {len(far)} items")

    def empty_day(self) -> None:
        first = dt.date.fromisoformat(min(self.data.days))
        day = first
        while day.weekday() != 5 or day.isoformat() in self.data.days:
            day += dt.timedelta(days=1)
        got = self.daily(date=day.isoformat())
        check(got == [], f"date={day} (a Saturday without a saved list): expected [], got {ids_of(got)[:5]}")

    # -- week / month ----------------------------------------------------------------------------

    def period(self, label: str, params: dict[str, Any], inside: Callable[[str], bool]) -> None:
        entries = self.data.entries_in(inside)
        check(entries, f"{label}: the data has no list in that period (bad choice)")
        period_ids = {e["paper"]["id"] for _, e in entries}
        up_by_id: dict[str, set[int]] = collections.defaultdict(set)
        for _, e in entries:
            up_by_id[e["paper"]["id"]].add(e["paper"]["upvotes"])
        got = self.daily(limit=100, **params)
        check(got, f"{label} limit=100: empty list, the saved data has {len(period_ids)} papers in it")
        outside = [
            (p.id, sorted(d for d, _ in self.data.entries.get(p.id, []))) for p in got if p.id not in period_ids
        ]
        check(not outside, f"{label}: papers whose saved day lies outside the period: {outside[:5]}")
        ups = [upv(p) for p in got]
        bad = non_increasing(ups)
        check(bad is None, f"{label}: not ordered by upvotes desc at position {bad}: {ups[max(0, (bad or 0) - 2):(bad or 0) + 2]}")
        wrong = [(p.id, upv(p), sorted(up_by_id[p.id])) for p in got if upv(p) not in up_by_id[p.id]]
        check(not wrong, f"{label}: upvotes differ from the saved value: {wrong[:5]}")
        max_up = max(e["paper"]["upvotes"] for _, e in entries)
        check(ups[0] == max_up, f"{label}: first item has {ups[0]} upvotes, the period's maximum is {max_up}")
        if len(period_ids) <= 100:
            check(
                set(ids_of(got)) == period_ids,
                f"{label}: ids differ from the saved ones; missing {sorted(period_ids - set(ids_of(got)))[:5]}",
            )
        default = self.daily(**params)
        check(
            0 < len(default) <= DEFAULT_LIMIT,
            f"{label} (default limit): {len(default)} items, expected 1..{DEFAULT_LIMIT}",
        )

    def weeks(self) -> list[str]:
        per_week = collections.Counter()
        for d, items in self.data.days.items():
            per_week[iso_week(d)] += len(items)
        busiest = max(sorted(per_week), key=lambda w: per_week[w])
        chosen = [busiest]
        # A week across New Year, where the ISO year differs from a day's calendar year.
        for w in sorted(per_week):
            if any(d[:4] != w[:4] for d in self.data.days if iso_week(d) == w):
                if w not in chosen:
                    chosen.append(w)
                break
        return chosen

    def week(self, w: str) -> None:
        self.period(f"week={w}", {"week": w}, lambda d: iso_week(d) == w)

    def month(self) -> None:
        per_month = collections.Counter()
        for d, items in self.data.days.items():
            per_month[d[:7]] += len(items)
        m = max(sorted(per_month), key=lambda k: per_month[k])
        self.period(f"month={m}", {"month": m}, lambda d: d[:7] == m)

    # -- submitter / trending --------------------------------------------------------------------

    def submitter(self) -> None:
        counts = collections.Counter(
            (e.get("submittedBy") or {}).get("name") for items in self.data.days.values() for e in items
        )
        counts.pop(None, None)
        # The busiest submitter (more papers than a page), and one whose papers fit on one page.
        # Names compare case-insensitively, as Hugging Face user names do.
        busiest = counts.most_common(1)[0][0]
        fits = next(name for name, n in counts.most_common() if n <= 100)
        for name in dict.fromkeys([busiest, fits]):
            theirs = {
                e["paper"]["id"]
                for items in self.data.days.values()
                for e in items
                if ((e.get("submittedBy") or {}).get("name") or "").lower() == name.lower()
            }
            got = self.daily(submitter=name, limit=100)
            check(got, f"submitter={name}: empty list, the data has {len(theirs)} of their papers")
            for p in got:
                by = p.submitted_by
                check(by is not None, f"submitter={name}: {p.id} has no submitted_by (send `submittedBy`)")
                check(
                    (by.username or "").lower() == name.lower(),  # user names are case-insensitive
                    f"submitter={name}: {p.id} submitted_by.username is {by.username!r} "
                    f"(name={getattr(by, 'name', None)!r}); the client reads the username from key `user`, "
                    "so `submittedBy` must carry `user` as well as `name`",
                )
                check(p.id in theirs, f"submitter={name}: {p.id} was not submitted by {name} in the data")
            if len(theirs) <= 100:
                check(
                    set(ids_of(got)) == theirs,
                    f"submitter={name}: {len(set(ids_of(got)))} distinct papers, the data has {len(theirs)}; "
                    f"missing {sorted(theirs - set(ids_of(got)))[:5]}",
                )
            else:
                check(len(got) == 100, f"submitter={name} limit=100: {len(got)} items, the data has {len(theirs)}")

    def trending(self) -> None:
        got = self.daily(sort="trending")
        check(got, "sort=trending: empty list")
        unknown = [p.id for p in got if p.id not in self.data.known_ids]
        check(not unknown, f"sort=trending: ids not in the data: {unknown[:5]}")
        check(all(p.title for p in got), "sort=trending: items without a title")
        few = self.daily(sort="trending", limit=5)
        check(0 < len(few) <= 5, f"sort=trending limit=5: {len(few)} items")

    # -- search / detail -------------------------------------------------------------------------

    def search(self) -> None:
        pid, title = self.probe["id"], self.probe["title"]
        got = list(self.api.list_papers(query=title, limit=5, token=False))
        check(got, f"list_papers(query={title!r}): no results")
        check(len(got) <= 5, f"list_papers(limit=5): {len(got)} results")
        check(got[0].id == pid, f"list_papers(query={title!r}): first is {got[0].id}, expected {pid}; got {ids_of(got)}")
        forms = {title, ws(self.probe["entry"]["paper"]["title"])}
        check(ws(got[0].title) in forms, f"list_papers: first title {got[0].title!r} is not {title!r}")
        two = list(self.api.list_papers(query=title, limit=2, token=False))
        check(0 < len(two) <= 2, f"list_papers(limit=2): {len(two)} results")

    def paper_info(self) -> None:
        pid, e = self.probe["id"], self.probe["entry"]
        saved = e["paper"]
        p = self.api.paper_info(pid)
        check(p.id == pid, f"paper_info({pid}): id {p.id!r}")
        check(ws(p.title) == ws(saved["title"]), f"paper_info({pid}): title {p.title!r} != saved {saved['title']!r}")
        check(ws(p.summary) == ws(saved["summary"]), f"paper_info({pid}): summary differs from the saved abstract")
        names = [a.name for a in (p.authors or [])]
        want = [a["name"] for a in saved["authors"]]
        check(names == want, f"paper_info({pid}): authors {names} != saved {want}")
        check(upv(p) == saved["upvotes"], f"paper_info({pid}): upvotes {p.upvotes!r} != saved {saved['upvotes']}")
        year = parse_ts(saved["publishedAt"]).year
        check(
            p.published_at is not None and p.published_at.year == year,
            f"paper_info({pid}): published_at {p.published_at} not in the saved year {year}",
        )

    def read_paper(self) -> None:
        pid, saved = self.probe["id"], self.probe["entry"]["paper"]
        text = self.api.read_paper(pid)
        check(isinstance(text, str) and text.startswith("# "), f"read_paper({pid}): not Markdown: {text[:200]!r}")
        check(ws(saved["title"]) in ws(text), f"read_paper({pid}): the title is missing")
        missing = [a["name"] for a in saved["authors"] if ws(a["name"]) not in ws(text)]
        check(not missing, f"read_paper({pid}): authors missing: {missing}")
        check(ws(saved["summary"]) in ws(text), f"read_paper({pid}): the abstract is missing")
        check(f"https://arxiv.org/abs/{pid}" in text, f"read_paper({pid}): no arXiv link")

    def read_paper_unknown(self) -> None:
        self.expect_error(404, lambda: self.api.read_paper(self.unknown_id), f"read_paper({self.unknown_id})")

    def paper_info_unknown(self) -> None:
        self.expect_error(404, lambda: self.api.paper_info(self.unknown_id), f"paper_info({self.unknown_id})")

    # -- endpoint from the environment -----------------------------------------------------------

    def env_endpoint(self) -> None:
        from huggingface_hub import HfApi, constants

        check(constants.ENDPOINT == self.url, f"HF_ENDPOINT: client constant is {constants.ENDPOINT!r}")
        api = HfApi(token=False)
        check(api.endpoint == self.url, f"HfApi() endpoint is {api.endpoint!r}, expected {self.url!r}")
        day = self.probe["day"]
        got = list(api.list_daily_papers(date=day, limit=1))
        check(len(got) == 1, f"HfApi() via HF_ENDPOINT, date={day} limit=1: {len(got)} items")

    # -- the `hf` command line ---------------------------------------------------------------------

    def hf(self, *args: str) -> subprocess.CompletedProcess[str]:
        check(self.hf_cli, "the `hf` command was not found next to this Python; pass --hf-cli")
        return subprocess.run(
            [self.hf_cli, *args], env=self.env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False
        )

    @staticmethod
    def show(r: subprocess.CompletedProcess[str]) -> str:
        return f"exit {r.returncode}; stdout: {r.stdout.strip()[:400]!r}; stderr: {r.stderr.strip()[-400:]!r}"

    def cli_ls(self) -> None:
        day = self.probe["day"]
        want = [e["paper"]["id"] for e in self.data.ordered(day)][:5]
        r = self.hf("papers", "ls", "--date", day, "--limit", "5")
        check(r.returncode == 0, f"hf papers ls --date {day} --limit 5: {self.show(r)}")
        check(want[0] in r.stdout, f"hf papers ls --date {day}: output lacks {want[0]}: {self.show(r)}")
        r = self.hf("papers", "ls", "--date", day, "--limit", "5", "--format", "json")
        check(r.returncode == 0, f"hf papers ls --format json: {self.show(r)}")
        rows = json.loads(r.stdout)
        check([row.get("id") for row in rows] == want, f"hf papers ls --date {day} --limit 5: ids {[row.get('id') for row in rows]} != {want}")

    def cli_search(self) -> None:
        pid, title = self.probe["id"], self.probe["title"]
        r = self.hf("papers", "search", title)
        check(r.returncode == 0, f"hf papers search {title!r}: {self.show(r)}")
        check(pid in r.stdout, f"hf papers search {title!r}: output lacks {pid}: {self.show(r)}")
        r = self.hf("papers", "search", title, "--limit", "5", "--format", "json")
        check(r.returncode == 0, f"hf papers search --format json: {self.show(r)}")
        rows = json.loads(r.stdout)
        check(rows and rows[0].get("id") == pid, f"hf papers search: first id {rows[0].get('id') if rows else None}, expected {pid}")

    def cli_info(self) -> None:
        pid = self.probe["id"]
        r = self.hf("papers", "info", pid)
        check(r.returncode == 0, f"hf papers info {pid}: {self.show(r)}")
        check(pid in r.stdout, f"hf papers info {pid}: output lacks the id: {self.show(r)}")
        info = json.loads(r.stdout)
        check(info.get("id") == pid, f"hf papers info {pid}: id {info.get('id')!r}")
        check(
            ws(info.get("title")) == ws(self.probe["entry"]["paper"]["title"]),
            f"hf papers info {pid}: title {info.get('title')!r} != {self.probe['title']!r}",
        )

    def cli_read(self) -> None:
        pid, saved = self.probe["id"], self.probe["entry"]["paper"]
        r = self.hf("papers", "read", pid)
        check(r.returncode == 0, f"hf papers read {pid}: {self.show(r)}")
        check(ws(saved["title"]) in ws(r.stdout), f"hf papers read {pid}: the title is missing: {self.show(r)}")
        check(ws(saved["summary"]) in ws(r.stdout), f"hf papers read {pid}: the abstract is missing: {self.show(r)}")

    def cli_info_unknown(self) -> None:
        r = self.hf("papers", "info", self.unknown_id)
        text = (r.stdout + r.stderr).lower()
        check(
            r.returncode != 0 or "not found" in text,
            f"hf papers info {self.unknown_id}: expected a non-zero exit or 'not found': {self.show(r)}",
        )
        check("not found" in text, f"hf papers info {self.unknown_id}: no 'not found' message (HTTP 404 expected): {self.show(r)}")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="our server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--data", required=True, type=Path, help="the shared data folder (holding hf-daily/days/)")
    ap.add_argument("--hf-cli", help="the `hf` command (default: the one next to this Python)")
    args = ap.parse_args()
    url = args.url.rstrip("/")

    hf_home = tempfile.mkdtemp(prefix="hf-compat-home-")
    try:
        env = isolate_environment(url, hf_home)
        import httpx2
        import huggingface_hub
        from huggingface_hub import HfApi, get_session

        if huggingface_hub.__version__ != CLIENT_VERSION:
            print(f"warning: huggingface_hub {huggingface_hub.__version__}, these checks target {CLIENT_VERSION}")
        get_session().timeout = httpx2.Timeout(HTTP_TIMEOUT)

        data = Data(args.data)
        hf_cli = args.hf_cli or str(Path(sys.executable).parent / "hf")
        if not os.access(hf_cli, os.X_OK):
            hf_cli = shutil.which("hf") or ""
        api = HfApi(endpoint=url, token=False)
        c = Checks(api, url, data, hf_cli or None, env)
        print(
            f"huggingface_hub {huggingface_hub.__version__} against {url}; data: {len(data.days)} days, "
            f"{len(data.entries)} papers; probe paper {c.probe['id']} ({c.probe['day']}), unknown id {c.unknown_id}",
            flush=True,
        )

        s = Suite()
        for day in c.big_days():
            s.run(f"daily_date_{day}", c.day_list, day)
        s.run("daily_paging", c.day_paging)
        s.run("daily_empty_day", c.empty_day)
        for w in c.weeks():
            s.run(f"daily_week_{w}", c.week, w)
        s.run("daily_month", c.month)
        s.run("daily_submitter", c.submitter)
        s.run("daily_trending", c.trending)
        s.run("list_papers_title", c.search)
        s.run("paper_info", c.paper_info)
        s.run("paper_info_unknown_404", c.paper_info_unknown)
        s.run("read_paper", c.read_paper)
        s.run("read_paper_unknown_404", c.read_paper_unknown)

        bad_daily = {
            "date_2025-13-40": {"date": "2025-13-40"},
            "date_month_only": {"date": "2026-07"},
            "limit_101": {"limit": 101},
            "limit_0": {"limit": 0},
            "sort_bogus": {"sort": "bogus"},
            "week_W54": {"week": "2025-W54"},
            "month_13": {"month": "2025-13"},
        }
        for name, params in bad_daily.items():
            s.run(
                f"bad_request_{name}",
                lambda params=params: c.expect_error(400, lambda: c.daily(**params), f"list_daily_papers({params})"),
            )
        bad_search = {"search_limit_121": {"query": "attention", "limit": 121}, "search_q_251": {"query": "a" * 251}}
        for name, params in bad_search.items():
            s.run(
                f"bad_request_{name}",
                lambda name=name, params=params: c.expect_error(
                    400, lambda: list(api.list_papers(token=False, **params)), f"list_papers({name})"
                ),
            )

        s.run("env_hf_endpoint", c.env_endpoint)
        s.run("cli_papers_ls", c.cli_ls)
        s.run("cli_papers_search", c.cli_search)
        s.run("cli_papers_info", c.cli_info)
        s.run("cli_papers_info_unknown", c.cli_info_unknown)
        s.run("cli_papers_read", c.cli_read)
        return s.summary()
    finally:
        shutil.rmtree(hf_home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
