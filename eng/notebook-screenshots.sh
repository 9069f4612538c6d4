#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Screenshots of a notebook's HTML outputs in headless Chromium, as a notebook shows them (one cell's outputs per
# picture, in an 860-pixel column, offline):
#   eng/notebook-screenshots.sh <notebook.ipynb> <output-folder> [cell-number ...]
# Writes <output-folder>/cell-<n>.png for each code cell with an HTML output (or only the cells named; numbers count
# every cell, markdown included, from 1) and cell-<n>.html beside it.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: eng/notebook-screenshots.sh <notebook.ipynb> <output-folder> [cell-number ...]" >&2; exit 2; }
NOTEBOOK="$1"; OUT="$2"; shift 2
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd -P)"
BROWSER="${CONVVIZ_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
[ -n "$BROWSER" ] || { echo "notebook-screenshots: chromium is not installed (apt-get install -y chromium)" >&2; exit 2; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/convviz-nbshots.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

python3 - "$NOTEBOOK" "$OUT" "$@" <<'PY'
import json, sys, html
notebook, out, wanted = sys.argv[1], sys.argv[2], {int(a) for a in sys.argv[3:]}
cells = json.load(open(notebook, encoding="utf-8"))["cells"]
for number, cell in enumerate(cells, 1):
    if cell["cell_type"] != "code" or (wanted and number not in wanted):
        continue
    parts = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        value = data.get("text/html") or data.get("text/markdown") or data.get("text/plain")
        if value is None:
            continue
        value = "".join(value) if isinstance(value, list) else value
        parts.append(value if "text/html" in data else "<pre>" + html.escape(value) + "</pre>")
    if not any("text/html" in o.get("data", {}) for o in cell.get("outputs", [])):
        continue
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{margin:0;background:#fff;}"
            ".cell{padding:12px 16px;width:820px;}</style></head><body><div class='cell'>" + "\n".join(parts) +
            "</div><script>window.addEventListener('load',()=>{document.body.setAttribute('data-height',"
            "Math.ceil(document.querySelector('.cell').getBoundingClientRect().height)+4);});</script></body></html>")
    open(f"{out}/cell-{number}.html", "w", encoding="utf-8").write(page)
    print(number)
PY
shopt -s nullglob
for page in "$OUT"/cell-*.html; do
  name="$(basename "$page" .html)"
  [ $# -eq 0 ] || [[ " $* " == *" ${name#cell-} "* ]] || continue
  flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --hide-scrollbars
         --disable-dev-shm-usage --proxy-server='127.0.0.1:9' --user-data-dir="$WORK/profile" --virtual-time-budget=10000)
  height="$(timeout 120 "$BROWSER" "${flags[@]}" --window-size=860,4000 --dump-dom "file://$page" 2>/dev/null \
            | grep -o 'data-height="[0-9]*"' | grep -o '[0-9]*' | head -n 1 || true)"
  [ -n "$height" ] || height=1200
  [ "$height" -le 8000 ] || height=8000
  timeout 120 "$BROWSER" "${flags[@]}" --window-size="860,$height" --screenshot="$OUT/$name.png" "file://$page" >/dev/null 2>&1
  [ -s "$OUT/$name.png" ] || { echo "notebook-screenshots: no screenshot for $name" >&2; exit 1; }
  echo "notebook-screenshots: $OUT/$name.png (860×$height)"
done
