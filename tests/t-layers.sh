#!/bin/sh
# t-layers.sh -- the floor plan (tools/check-layers): no include of sekit's sources runs back up
# a room; and the check itself fails on a copy of the tree with an include planted that does (the
# engine including a job), and on one naming a header by a path that resolves to nothing. TAP; run
# by meson or prove.
set -u
src=${SEKIT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
check=$src/tools/check-layers
# shellcheck source=tests/tap.sh
. "$src/tests/tap.sh"

sh "$check" "$src" >"$tmp/out" 2>&1
st=$?
ok $st "every include of the tree points to its own room or one below: $(tail -1 "$tmp/out")"
[ $st -eq 0 ] || sed 's/^/# /' "$tmp/out"

rooms="src datasets dist recording analysis ablation plots report jobs cli"
for r in $rooms; do cp -R "$src/$r" "$tmp/$r"; done
printf '#include "../jobs/jobs.h"\n' >>"$tmp/src/status.c"
sh "$check" "$tmp" >"$tmp/out" 2>&1
st=$?
grep -q 'src/status.c:[0-9]*: #include "../jobs/jobs.h": src/ includes jobs/, a room above it' \
    "$tmp/out"
found=$?
[ $st -eq 1 ] && [ $found -eq 0 ]
ok $? "an include from src/ of jobs/ is named and fails the check (exit $st)"
[ $found -eq 0 ] || sed 's/^/# /' "$tmp/out"

cp "$src/src/status.c" "$tmp/src/status.c"
printf '#include "jobs.h"\n' >>"$tmp/cli/main.c"
sh "$check" "$tmp" >"$tmp/out" 2>&1
st=$?
grep -q 'cli/main.c:[0-9]*: #include "jobs.h": no such file beside it' "$tmp/out"
found=$?
[ $st -eq 1 ] && [ $found -eq 0 ]
ok $? "a header of another room named without its room fails the check (exit $st)"
[ $found -eq 0 ] || sed 's/^/# /' "$tmp/out"

echo "1..$n"
[ "$fails" -eq 0 ]
