#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Opens a ConvViz HTML report in headless Chromium and checks it the way a reader would see it.
#
#   eng/check-report-in-browser.sh <report.html> <screenshot.png>
#
# Checks (exit code 1 if any fails, 2 on usage/setup errors):
#   * the page loads offline (networking is switched off) and a screenshot is written;
#   * every <img> decoded: the report's inline check script writes data-images-total / data-images-broken on <body>
#     after the load event, and the DOM dumped by Chromium must show data-images-broken="0" and at least one image;
#   * no console output at all (uncaught errors, CSP violations, failed loads) in Chromium's log.
# Installs Debian's `chromium` package if it is missing (needs root and apt). Runs on Debian 12 without a chroot.
#
# Environment:
#   CONVVIZ_CHROMIUM   the browser binary (default: chromium, then chromium-browser)
#   CONVVIZ_WINDOW     the window size for the screenshot (default: 1280,4000)
set -euo pipefail

die() { echo "check-report-in-browser: $*" >&2; exit 2; }
fail() { echo "check-report-in-browser: FAIL: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: eng/check-report-in-browser.sh <report.html> <screenshot.png>"
REPORT="$(readlink -f "$1")"
SCREENSHOT="$(readlink -f "$(dirname "$2")")/$(basename "$2")"
[ -f "$REPORT" ] || die "no such report: $1"
[ -d "$(dirname "$SCREENSHOT")" ] || die "the screenshot's folder does not exist: $(dirname "$2")"

BROWSER="${CONVVIZ_CHROMIUM:-}"
if [ -z "$BROWSER" ]; then
  BROWSER="$(command -v chromium || command -v chromium-browser || true)"
fi
if [ -z "$BROWSER" ]; then
  [ "$(id -u)" = "0" ] || die "chromium is not installed and installing it needs root: sudo apt-get install -y chromium"
  command -v apt-get >/dev/null || die "chromium is not installed and apt-get is unavailable; set CONVVIZ_CHROMIUM to a Chromium binary"
  echo "check-report-in-browser: installing Debian's chromium package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; } \
    || die "apt-get install chromium failed"
  BROWSER="$(command -v chromium)" || die "chromium was installed but is not on PATH"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/convviz-browser.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

run_browser() {
  # $1: name of this run (its own profile and log); the rest: extra arguments.
  local name="$1"; shift
  timeout 180 "$BROWSER" \
    --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --disable-default-apps --mute-audio --hide-scrollbars --disable-dev-shm-usage \
    --proxy-server='127.0.0.1:9' --proxy-bypass-list='<-loopback>' \
    --user-data-dir="$WORK/profile-$name" --enable-logging=stderr --v=0 \
    --virtual-time-budget=15000 "$@" "file://$REPORT" \
    2>"$WORK/$name.log"
}

rm -f "$SCREENSHOT"
run_browser screenshot --window-size="${CONVVIZ_WINDOW:-1280,4000}" --screenshot="$SCREENSHOT" >/dev/null \
  || { cat "$WORK/screenshot.log" >&2; fail "chromium failed while taking the screenshot"; }
[ -s "$SCREENSHOT" ] || { cat "$WORK/screenshot.log" >&2; fail "no screenshot was written"; }
[ "$(head -c 8 "$SCREENSHOT" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "the screenshot is not a PNG"

run_browser dom --dump-dom >"$WORK/dom.html" \
  || { cat "$WORK/dom.log" >&2; fail "chromium failed while dumping the DOM"; }

status=0
body="$(grep -o '<body[^>]*>' "$WORK/dom.html" | head -n 1 || true)"
total="$(sed -n 's/.*data-images-total="\([0-9]*\)".*/\1/p' <<<"$body")"
broken="$(sed -n 's/.*data-images-broken="\([0-9]*\)".*/\1/p' <<<"$body")"
if [ -z "$total" ] || [ -z "$broken" ]; then
  echo "check-report-in-browser: FAIL: the report's image check did not run (no data-images-total/-broken on <body>)" >&2
  status=1
elif [ "$total" -lt 1 ]; then
  echo "check-report-in-browser: FAIL: the report has no images" >&2
  status=1
elif [ "$broken" != "0" ]; then
  echo "check-report-in-browser: FAIL: $broken of $total images did not decode:" >&2
  grep -o '<img [^>]*data-broken="true"[^>]*>' "$WORK/dom.html" | sed 's/src="[^"]\{60\}[^"]*"/src="…"/' >&2 || true
  status=1
fi

console="$(cat "$WORK/screenshot.log" "$WORK/dom.log" | grep -E 'CONSOLE|Uncaught|Refused to|net::ERR_' || true)"
if [ -n "$console" ]; then
  echo "check-report-in-browser: FAIL: console messages or load errors:" >&2
  echo "$console" >&2
  status=1
fi

if [ "$status" = "0" ]; then
  echo "check-report-in-browser: OK: $total images decoded, no console errors, screenshot $SCREENSHOT"
fi
exit "$status"
