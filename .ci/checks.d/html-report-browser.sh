#!/usr/bin/env bash
# The HTML report written by HtmlReportTests (the cat photo on the blog model) renders in real headless Chromium:
# every image decodes, no console errors, a screenshot is produced.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ART="${1:-artifacts/ci}"
report="artifacts/test-output/HtmlReport/chelsea.html"
[ -f "$report" ] || { echo "html-report: $report was not written by the tests"; exit 1; }
eng/check-report-in-browser.sh "$report" "$ART/report-screenshot.png"
