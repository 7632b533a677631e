#!/usr/bin/env python3
"""Check that Hugging Face's client sees the Hub repositories citing a paper on our server.

Usage:
    var/venv/bin/python tests/compat/hf_hub_links.py --url http://127.0.0.1:PORT \
        --paper ID --fixtures crates/testkit/fixtures/hub

The server fetched, from a replay of the Hub answering with the recorded lists in --fixtures,
which models, datasets and Spaces cite --paper. Then `HfApi.paper_info` must parse them into
`linked_models` / `linked_datasets` / `linked_spaces` with the Hub's ids and counts,
`GET /api/arxiv/{id}/repos` (what arXiv's abstract pages call) must list the same, and
`hf papers read` / `HfApi.read_paper` must name them. Prints `ok NAME` or `FAIL NAME: why`;
exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.request
from pathlib import Path

RESULTS: list[tuple[str, str | None]] = []


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--paper", required=True)
    ap.add_argument("--fixtures", required=True, type=Path)
    args = ap.parse_args()
    url = args.url.rstrip("/")
    hf_home = tempfile.mkdtemp(prefix="hf-home-")
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        os.environ.pop(var, None)
    os.environ.update(
        {
            "HF_ENDPOINT": url,
            "HF_HOME": hf_home,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_UPDATE_CHECK": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
            "NO_COLOR": "1",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    from huggingface_hub import HfApi

    pid = args.paper
    recorded = {
        kind: [item["id"] for item in json.loads((args.fixtures / f"{kind}.json").read_text(encoding="utf-8"))]
        for kind in ("models", "datasets", "spaces")
    }
    api = HfApi(endpoint=url, token=False)

    def paper_info():
        p = api.paper_info(pid)
        got = {
            "models": [m.id for m in (p.linked_models or [])],
            "datasets": [d.id for d in (p.linked_datasets or [])],
            "spaces": [s.id for s in (p.linked_spaces or [])],
        }
        expect(got == recorded, f"linked repos {got} != the Hub's {recorded}")
        expect(p.num_total_models == len(recorded["models"]), f"num_total_models {p.num_total_models}")
        expect(p.num_total_datasets == len(recorded["datasets"]), f"num_total_datasets {p.num_total_datasets}")
        m = p.linked_models[0]
        expect(m.downloads and m.likes is not None, f"first model without downloads/likes: {m}")
        expect(m.pipeline_tag == "text-generation", f"pipeline_tag {m.pipeline_tag!r}")
        expect(p.linked_spaces[0].sdk == "gradio", f"space sdk {p.linked_spaces[0].sdk!r}")

    def arxiv_repos():
        with urllib.request.urlopen(f"{url}/api/arxiv/{pid}/repos", timeout=30) as r:
            body = json.loads(r.read().decode("utf-8"))
        got = {k: [i["id"] for i in body[k]] for k in ("models", "datasets", "spaces")}
        expect(got == recorded, f"/api/arxiv/{pid}/repos {got} != {recorded}")

    def read_paper():
        text = api.read_paper(pid)
        for kind, ids in recorded.items():
            for rid in ids:
                expect(rid in text, f"read_paper: {kind} {rid} missing")

    def cli_read():
        hf = str(Path(sys.executable).parent / "hf")
        if not os.access(hf, os.X_OK):
            hf = shutil.which("hf") or "hf"
        r = subprocess.run([hf, "papers", "read", pid], capture_output=True, text=True, timeout=120, check=False)
        expect(r.returncode == 0, f"exit {r.returncode}: {r.stderr[-400:]}")
        expect(recorded["models"][0] in r.stdout, f"hf papers read: no {recorded['models'][0]}: {r.stdout[:400]!r}")

    check("paper_info linked repos", paper_info)
    check("arxiv repos endpoint", arxiv_repos)
    check("read_paper names them", read_paper)
    check("hf papers read names them", cli_read)
    shutil.rmtree(hf_home, ignore_errors=True)
    failed = [n for n, why in RESULTS if why]
    print(f"{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
