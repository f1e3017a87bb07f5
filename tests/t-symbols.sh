#!/bin/sh
# t-symbols.sh -- the public library exports exactly what its header declares: every sekit_*
# function or object sekit.h declares is a defined dynamic symbol of libsekit.so, and the library
# exports nothing else (tools/export-list reads the header; the build uses the same list as its
# version script, so this checks the list's reading and the link). The header names no foreign
# type (it includes standard headers only) and the library links no HDF5, which nothing it
# publishes uses. TAP; run by meson (SEKIT_LIBRARY, CC and SEKIT_SRCDIR set) or prove.
set -u
src=${SEKIT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
lib=${SEKIT_LIBRARY:-$src/build/libsekit.so}
cc=${CC:-cc}
# shellcheck source=tests/tap.sh
. "$src/tests/tap.sh"
if ! command -v nm >/dev/null || ! command -v readelf >/dev/null; then
    echo "1..0 # SKIP nm or readelf absent (binutils)"
    exit 0
fi

# shellcheck disable=SC2086
sh "$src/tools/export-list" $cc -- "$src/src/sekit.h" "$tmp/map"
sed -n 's/^    \(sekit_[A-Za-z0-9_]*\);$/\1/p' "$tmp/map" | sort >"$tmp/declared"
nm -D --defined-only "$lib" | awk '{print $3}' | sort >"$tmp/exported"
declared=$(wc -l <"$tmp/declared" | tr -d ' ')
[ "$declared" -ge 50 ]
ok $? "sekit.h declares $declared functions (the reading of the header found them)"

comm -13 "$tmp/declared" "$tmp/exported" >"$tmp/extra"
[ ! -s "$tmp/extra" ]
ok $? "libsekit.so exports nothing sekit.h does not declare"
sed 's/^/# exported, not declared: /' "$tmp/extra" | head -20

comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/missing"
[ ! -s "$tmp/missing" ]
ok $? "libsekit.so exports every function sekit.h declares"
sed 's/^/# declared, not exported: /' "$tmp/missing" | head -20

foreign=$(grep '^#include' "$src/src/sekit.h" | grep -v '^#include <std\(def\|int\|bool\|io\)\.h>')
[ -z "$foreign" ]
ok $? "sekit.h includes standard headers only"
[ -z "$foreign" ] || echo "# $foreign"

# a program that includes sekit.h alone compiles with no include path but the header's
printf '#include "sekit.h"\nint main(void) { struct sekit_err e = {0}; return e.code; }\n' >"$tmp/p.c"
# shellcheck disable=SC2086
$cc -std=c11 -fsyntax-only -I"$src/src" "$tmp/p.c" 2>"$tmp/cc.err"
ok $? "sekit.h compiles on its own"
sed 's/^/# /' "$tmp/cc.err" | head -5

needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case $needed in *hdf5*) r=1 ;; *) r=0 ;; esac
ok $r "libsekit.so links no HDF5 (needs: $needed)"

echo "1..$n"
[ "$fails" -eq 0 ]
