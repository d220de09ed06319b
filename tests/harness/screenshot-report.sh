#!/usr/bin/env bash
# Take a headless-browser screenshot of a fleet report page, to check that it renders:
#   screenshot-report.sh REPORT.html OUT.png
# SCREENSHOT_SIZE=WIDTH,HEIGHT sets the window (default 1280,900; 390,844 is a phone), CHROMIUM the browser.
# The browser runs with a throw-away profile and with background networking off: the page must need nothing from
# outside, and a screenshot that shows all of it proves that too.
source "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: $0 REPORT.html OUT.png"
report=$1
out=$2
[ -f "$report" ] || die "$report does not exist"
browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null; then browser=$(command -v "$candidate"); break; fi
  done
fi
[ -n "$browser" ] || die "no chromium found (install the chromium package, or set CHROMIUM)"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
  --screenshot="$(realpath -m "$out")" --window-size="${SCREENSHOT_SIZE:-1280,900}" \
  "file://$(realpath "$report")" >/dev/null 2>&1 || true
[ -s "$out" ] || die "$browser wrote no screenshot of $report"
log "screenshot of $report in $out"
