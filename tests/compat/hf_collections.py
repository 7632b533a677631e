#!/usr/bin/env python3
"""Check our collections API against the stock Hugging Face Python client (huggingface_hub 2.4.0).

Usage:
    var/venv/bin/python tests/compat/hf_collections.py --url http://127.0.0.1:PORT \
        --user NAME --token WRITE_TOKEN --read-token READ_TOKEN --papers ID,ID,ID

The server must hold the three papers and the account NAME, whose tokens are given. Every call
the client offers for collections of papers is made, round trip: whoami, create, get, list,
update metadata, add, update and delete items, delete. Each check prints `ok NAME` or
`FAIL NAME: why`; the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
import urllib.error
import urllib.request

RESULTS: list[tuple[str, str | None]] = []


def isolate(url: str, home: str) -> None:
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE"):
        os.environ.pop(var, None)
    os.environ.update(
        {
            "HF_ENDPOINT": url,
            "HF_HOME": home,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_UPDATE_CHECK": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        }
    )
    for var in ("NO_PROXY", "no_proxy"):
        os.environ[var] = ",".join(
            [h for h in os.environ.get(var, "").split(",") if h] + ["127.0.0.1", "localhost"]
        )


def check(name: str, fn) -> None:
    try:
        fn()
        RESULTS.append((name, None))
        print(f"ok {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
        why = f"{type(e).__name__}: {e}"
        RESULTS.append((name, why))
        print(f"FAIL {name}: {why}", flush=True)
        traceback.print_exc()


def expect(cond, message: str) -> None:
    if not cond:
        raise AssertionError(message)


def status_of(fn) -> int | None:
    """The HTTP status of the client's error, or None when the call succeeded."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        fn()
    except HfHubHTTPError as e:
        return e.response.status_code
    return None


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--read-token", required=True)
    ap.add_argument("--papers", required=True, help="three arXiv ids the server holds")
    args = ap.parse_args()
    isolate(args.url, tempfile.mkdtemp(prefix="hf-home-"))

    import huggingface_hub
    from huggingface_hub import HfApi
    from huggingface_hub.errors import BadRequestError

    expect(huggingface_hub.__version__ == "2.4.0", f"huggingface_hub {huggingface_hub.__version__}")
    api = HfApi(endpoint=args.url, token=args.token)
    reader = HfApi(endpoint=args.url, token=args.read_token)
    anon = HfApi(endpoint=args.url, token=False)
    p1, p2, p3 = args.papers.split(",")
    state: dict = {}

    def whoami():
        me = api.whoami()
        expect(me["name"] == args.user, f"name {me['name']!r}")
        expect(me["type"] == "user", f"type {me['type']!r}")
        expect(me["auth"]["accessToken"]["role"] == "write", str(me["auth"]))
        expect(reader.whoami()["auth"]["accessToken"]["role"] == "read", "read role")
        bad = HfApi(endpoint=args.url, token="dp_not-a-token")
        expect(status_of(bad.whoami) == 401, "an invalid token is 401")

    def create():
        # No namespace: the client asks whoami for it first.
        c = api.create_collection("Papers to read <b>&</b>", description="For the reading group")
        expect(c.slug.startswith(f"{args.user}/papers-to-read-b-b-"), c.slug)
        expect(c.title == "Papers to read <b>&</b>", c.title)
        expect(c.description == "For the reading group", str(c.description))
        expect(c.private is False and c.items == [], "public, empty")
        expect(c.url == f"{args.url}/collections/{c.slug}", c.url)
        state["slug"] = c.slug
        again = api.create_collection("Papers to read <b>&</b>", exists_ok=True)
        expect(again.slug == c.slug, f"exists_ok gives the same one: {again.slug}")
        code = status_of(lambda: api.create_collection("Papers to read <b>&</b>"))
        expect(code == 409, f"the same title twice is 409, not {code}")
        code = status_of(lambda: api.create_collection("Elsewhere", namespace="someone-else"))
        expect(code == 403, f"another namespace is 403, not {code}")
        code = status_of(lambda: reader.create_collection("Read only"))
        expect(code == 403, f"a read token cannot create: {code}")
        try:
            api.create_collection("x" * 61)
            raise AssertionError("a 61-character title was accepted")
        except BadRequestError:
            pass

    def add_items():
        slug = state["slug"]
        c = api.add_collection_item(slug, p1, "paper", note="Read first")
        expect([i.item_id for i in c.items] == [p1], str(c.items))
        item = c.items[0]
        expect(item.item_type == "paper" and item.note == "Read first" and item.position == 0, str(item))
        api.add_collection_item(slug, p2, "paper")
        c = api.add_collection_item(slug, p3, "paper")
        expect([i.item_id for i in c.items] == [p1, p2, p3], str([i.item_id for i in c.items]))
        expect([i.position for i in c.items] == [0, 1, 2], "positions")
        c = api.add_collection_item(slug, p1, "paper", exists_ok=True)
        expect(len(c.items) == 3, "exists_ok adds nothing")
        code = status_of(lambda: api.add_collection_item(slug, p1, "paper"))
        expect(code == 409, f"a paper twice is 409, not {code}")
        code = status_of(lambda: api.add_collection_item(slug, "2501.99999", "paper"))
        expect(code == 404, f"an unknown paper is 404, not {code}")
        code = status_of(lambda: api.add_collection_item(slug, "meta-llama/Llama-2-7b", "model"))
        expect(code == 400, f"a model is 400 here, not {code}")
        code = status_of(lambda: reader.add_collection_item(slug, p2, "paper", exists_ok=False))
        expect(code == 403, f"a read token cannot add: {code}")

    def get_and_reorder():
        slug = state["slug"]
        c = anon.get_collection(slug)
        items = {i.item_id: i for i in c.items}
        api.update_collection_item(slug, items[p3].item_object_id, position=0)
        api.update_collection_item(slug, items[p2].item_object_id, note="Skim the proofs")
        c = api.get_collection(slug)
        expect([i.item_id for i in c.items] == [p3, p1, p2], str([i.item_id for i in c.items]))
        expect(c.items[2].note == "Skim the proofs", str(c.items[2].note))
        expect(c.items[1].note == "Read first", str(c.items[1].note))
        expect(c.last_updated is not None and c.upvotes == 0 and c.theme, "fields")
        api.delete_collection_item(slug, items[p1].item_object_id)
        c = api.get_collection(slug)
        expect([i.item_id for i in c.items] == [p3, p2], str([i.item_id for i in c.items]))
        api.delete_collection_item(slug, items[p1].item_object_id, missing_ok=True)
        code = status_of(lambda: api.delete_collection_item(slug, items[p1].item_object_id))
        expect(code == 404, f"a removed item is 404, not {code}")

    def listing():
        slug = state["slug"]
        mine = list(anon.list_collections(owner=args.user))
        expect([c.slug for c in mine] == [slug], str([c.slug for c in mine]))
        holding = list(anon.list_collections(item=f"papers/{p2}", limit=5))
        expect(slug in [c.slug for c in holding], "listed by the paper it holds")
        expect(list(anon.list_collections(item=f"papers/{p1}")) == [], "p1 was removed")
        expect(list(anon.list_collections(item="models/gpt2")) == [], "no models here")
        expect(list(anon.list_collections(owner="nobody-here")) == [], "an unknown owner")

    def privacy():
        slug = state["slug"]
        c = api.update_collection_metadata(slug, title="Renamed", private=True, description="Private now")
        expect(c.title == "Renamed" and c.private and c.slug == slug, f"{c.title} {c.private} {c.slug}")
        expect(status_of(lambda: anon.get_collection(slug)) == 404, "private: 404 without a token")
        expect(http_status(f"{args.url}/collections/{slug}") == 404, "private page: 404")
        expect(reader.get_collection(slug).title == "Renamed", "its owner's read token reads it")
        expect(list(anon.list_collections(owner=args.user)) == [], "not listed for others")
        expect(len(list(reader.list_collections(owner=args.user))) == 1, "listed for its owner")
        api.update_collection_metadata(slug, private=False)
        expect(http_status(f"{args.url}/collections/{slug}") == 200, "public page: 200")

    def delete():
        slug = state["slug"]
        code = status_of(lambda: reader.delete_collection(slug))
        expect(code == 403, f"a read token cannot delete: {code}")
        api.delete_collection(slug)
        expect(status_of(lambda: anon.get_collection(slug)) == 404, "gone")
        api.delete_collection(slug, missing_ok=True)
        expect(status_of(lambda: api.delete_collection(slug)) == 404, "twice is 404")

    check("whoami", whoami)
    check("create_collection", create)
    if "slug" in state:
        check("add_collection_item", add_items)
        check("get_collection+update_collection_item+delete_collection_item", get_and_reorder)
        check("list_collections", listing)
        check("update_collection_metadata+private", privacy)
        check("delete_collection", delete)
    failed = [n for n, why in RESULTS if why]
    print(f"{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
