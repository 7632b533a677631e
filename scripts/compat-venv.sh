#!/usr/bin/env bash
# Create the Python virtual environment used by the client-compatibility suite (tests/compat/).
#
# Usage: bash scripts/compat-venv.sh [VENV_DIR]      (default: var/venv)
#
# Installs pinned versions of the real clients we check the server against:
#   huggingface_hub  the Hugging Face Python client and its `hf` CLI (tests/compat/hf_client.py)
#   feedparser       RSS/Atom parser (tests/compat/feeds.py)
#   schemathesis     OpenAPI property-based tester (tests/compat/schema.sh)
#   aiosmtpd         SMTP server for the mail tests
#   bibtexparser, rispy, citeproc-py   read back our BibTeX, RIS and CSL-JSON exports
#                    (tests/compat/citations.py)
# Running it again when the venv already has all of them importable does nothing.
set -euo pipefail

VENV=${1:-var/venv}
PACKAGES=(
    "huggingface_hub==2.4.0"
    "feedparser==6.0.14"
    "schemathesis==4.32.5"
    "aiosmtpd==1.4.6"
    "bibtexparser==1.4.3"
    "rispy==0.9.0"
    "citeproc-py==0.6.0"
)

venv_ok() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c 'import huggingface_hub, feedparser, aiosmtpd, bibtexparser, rispy, citeproc' >/dev/null 2>&1 &&
        "$VENV/bin/schemathesis" --version >/dev/null 2>&1
}

if venv_ok; then
    echo "compat venv already in $VENV ($("$VENV/bin/python" -c 'import huggingface_hub as h, feedparser as f; print(f"huggingface_hub {h.__version__}, feedparser {f.__version__}")'), schemathesis $("$VENV/bin/schemathesis" --version 2>&1 | awk '{print $NF}'))"
    exit 0
fi

PYTHON=$(command -v python3 || command -v python || true)
if [ -z "$PYTHON" ]; then
    echo "compat-venv: python3 (with the venv module) is needed" >&2
    exit 1
fi

action=created
if [ -d "$VENV" ]; then
    action=repaired
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" >&2

if ! venv_ok; then
    echo "compat-venv: installed into $VENV but the packages do not import; see the pip output above" >&2
    exit 1
fi
echo "compat venv $action in $VENV: ${PACKAGES[*]}"
