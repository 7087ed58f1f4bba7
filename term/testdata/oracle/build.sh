#!/bin/sh
# Builds the differential oracle from a mosh 1.4.0 source tree:
#   build.sh /path/to/mosh-checkout /path/to/output-binary
# then run: MOSH_TERM_ORACLE=/path/to/output-binary go test -run Oracle ./term/
set -eu
src=$1/src
out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#define HAVE_MEMORY 1\n#define HAVE_STD_SHARED_PTR 1\n' > "$tmp/config.h"
here=$(cd "$(dirname "$0")" && pwd)
g++ -O1 -std=c++17 -w -I"$tmp" -I"$src/terminal" -I"$src/util" -o "$out" "$here/driver.cc" \
  "$src/terminal/parser.cc" "$src/terminal/parseraction.cc" "$src/terminal/parserstate.cc" \
  "$src/terminal/terminal.cc" "$src/terminal/terminaldispatcher.cc" \
  "$src/terminal/terminalframebuffer.cc" "$src/terminal/terminalfunctions.cc" \
  "$src/terminal/terminaluserinput.cc"
