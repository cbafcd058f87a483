#!/bin/sh
# Slides/render.sh [OUT] [GENERATED]: every deck (Slides/0*.md) to one HTML file each, with Marp
# CLI, into OUT (default build/slides), beside a copy of the generated folder the decks show
# (default Slides/generated, what `day3 report runs/` writes). Run from the course folder;
# `make slides` runs it. Marp comes from npm (`npx`, cached after the first use, then offline);
# HTML needs no browser.
set -eu
out=${1:-build/slides}
generated=${2:-Slides/generated}
marp=${MARP:-npx -y @marp-team/marp-cli@4}
command -v npx >/dev/null 2>&1 || {
  echo "error: rendering the slides needs npx (Node.js); install it, e.g. apt install npm" >&2
  exit 2
}
[ -d "$generated" ] || {
  echo "error: no $generated; run day3 report runs/ (or day3 report --smoke --output $generated)" >&2
  exit 2
}
mkdir -p "$out"
rm -rf "$out/generated"
cp -R "$generated" "$out/generated"
export npm_config_update_notifier=false
cp Slides/0*.md "$out/"  # rendered beside the generated folder, as in Slides/
status=0
$marp --html "$out"/0*.md || status=$?
rm -f "$out"/0*.md
if [ "$status" -ne 0 ]; then
  echo "error: Marp CLI failed (exit $status); see its message above" >&2
  exit "$status"
fi
echo "slides: $(ls "$out"/0*.html | wc -l) decks in $out/ (open $out/01_Morning_Recap.html)"
