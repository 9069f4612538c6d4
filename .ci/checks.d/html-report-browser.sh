#!/usr/bin/env bash
# The interactive HTML report written by HtmlReportTests (two cat images on the blog model) driven in real headless
# Chromium by eng/browser-test (playwright-core on Debian's /usr/bin/chromium, network blocked): clicks a layer, a
# channel, every attribution method, a class and the second image; checks the value under the mouse against the
# tensor; fails on console errors or network requests. Then the report of a residual graph model (HtmlReportTests builds
# it with FunctionalBuilder): one graph box per layer, the skip edge conv2d → add drawn beside the boxes, clicking a box
# opens its channels (eng/browser-test/graph-test.mjs). Screenshots go to $ART/report-*.png.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ART="$(mkdir -p "${1:-artifacts/ci}" && cd "${1:-artifacts/ci}" && pwd)"
report="artifacts/test-output/HtmlReport/chelsea.html"
expected="artifacts/test-output/HtmlReport/chelsea.expected.json"
residual="artifacts/test-output/HtmlReport/residual.html"
[ -f "$report" ] || { echo "html-report: $report was not written by the tests"; exit 1; }
[ -f "$expected" ] || { echo "html-report: $expected was not written by the tests"; exit 1; }
[ -f "$residual" ] || { echo "html-report: $residual was not written by the tests"; exit 1; }
if [ ! -x /usr/bin/chromium ] && [ -z "${CONVVIZ_CHROMIUM:-}" ]; then
  [ "$(id -u)" = "0" ] || { echo "html-report: chromium is missing; install it: sudo apt-get install -y chromium chromium-driver"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null
fi
(cd eng/browser-test && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
timeout 300 node eng/browser-test/report-test.mjs "$report" "$ART" "$expected"
timeout 300 node eng/browser-test/graph-test.mjs "$residual" "$ART" conv2d add
# The old screenshot-and-DOM check still passes on the interactive page (every image decodes, no console output).
eng/check-report-in-browser.sh "$report" "$ART/report-screenshot.png"
# A report of the model alone (no images) opens without script errors.
eng/check-report-in-browser.sh artifacts/test-output/HtmlReport/model-only.html "$ART/report-model-only.png"
# The graph model's page passes the same screenshot-and-DOM check.
eng/check-report-in-browser.sh "$residual" "$ART/report-residual-screenshot.png"
