#!/usr/bin/env bash
# Screenshots one section of a cnnlab report page (headless Chromium) as a PNG, for the docs:
#   tools/report_section_png.sh REPORT.html SECTION_ID OUT.png [WIDTH HEIGHT]
# e.g. tools/report_section_png.sh runs/nc/report.html collapse docs/images/collapse/nc.png
# The page is copied with a style that hides the header and every other section.
set -euo pipefail
html=$1 section=$2 out=$3 width=${4:-1280} height=${5:-1400}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
style="<style>header, footer, section:not(#$section) { display: none !important; }</style>"
sed "s|</head>|$style</head>|" "$html" >"$work/page.html"
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --hide-scrollbars --window-size="$width,$height" --screenshot="$work/shot.png" \
  "file://$work/page.html" >/dev/null 2>&1
mkdir -p "$(dirname "$out")"
mv "$work/shot.png" "$out"
echo "wrote $out"
