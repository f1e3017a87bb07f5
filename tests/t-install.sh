#!/bin/sh
# t-install.sh -- the installed sekit stands on its own: the build is installed into a staging
# directory (meson install --destdir), and from there the binary finds its default model under
# <prefix>/share/sekit/models (never the source tree, even when that copy is missing), a C
# program builds with pkg-config (shared, and static from libsekit.a) and loads the installed
# model, the library exports only sekit_* symbols, and the installed Python module loads the
# installed library. TAP; run by meson (tests/meson.build), which sets MESON, SEKIT_BUILD, CC,
# SEKIT_PREFIX, SEKIT_LIBDIR, SEKIT_BINDIR and SEKIT_DATADIR.
set -u
src=${SEKIT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -n "${SEKIT_SANITIZE:-}" ] && [ "$SEKIT_SANITIZE" != none ]; then
    echo "1..0 # SKIP libsekit is built with -fsanitize=$SEKIT_SANITIZE, which a program linked through pkg-config cannot load"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { # ok STATUS DESCRIPTION [DETAIL]
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        fails=$((fails + 1))
        [ $# -gt 2 ] && printf '%s\n' "$3" | sed 's/^/# /'
    fi
}
under() { case $1 in /*) echo "$1" ;; *) echo "$SEKIT_PREFIX/$1" ;; esac; }
dest=$tmp/stage
prefix=$dest$SEKIT_PREFIX
bin=$dest$(under "$SEKIT_BINDIR")
lib=$dest$(under "$SEKIT_LIBDIR")
model=$dest$(under "$SEKIT_DATADIR")/sekit/models/fashion_mnist_seresnet50.safetensors

$MESON install -C "$SEKIT_BUILD" --no-rebuild --quiet --destdir "$dest" >"$tmp/log" 2>&1
ok $? "meson install into a staging directory" "$(cat "$tmp/log")"
[ -f "$model" ] && [ -f "$lib/libsekit.a" ] && [ -f "$lib/pkgconfig/sekit.pc" ] &&
    [ -f "$prefix/include/sekit.h" ] && [ -f "$(dirname "$(dirname "$model")")/../man/man1/sekit.1" ]
ok $? "installed: the model, libsekit.a, sekit.pc, sekit.h, the man page"

# from another directory, so a path relative to the checkout could not work either
cd "$tmp" || exit 1
"$bin/sekit" eval --per-class 2 --quiet >"$tmp/eval" 2>&1
st=$?
grep -q "^model  *$model\$" "$tmp/eval"
ok $((st + $?)) "the installed sekit eval uses the installed default model" "$(cat "$tmp/eval")"
"$bin/sekit" info "$model" >"$tmp/info" 2>&1
st=$?
grep -q "SE_5_3" "$tmp/info"
ok $((st + $?)) "the installed sekit info reads the installed model" "$(head -5 "$tmp/info")"

pc="--define-variable=prefix=$prefix"
export PKG_CONFIG_PATH="$lib/pkgconfig"
# shellcheck disable=SC2046
$CC "$src/docs/examples/gates.c" $(pkg-config "$pc" --cflags --libs sekit) -o "$tmp/gates" \
    >"$tmp/cc" 2>&1
ok $? "a C program builds with pkg-config --cflags --libs sekit" "$(cat "$tmp/cc")"
LD_LIBRARY_PATH=$lib "$tmp/gates" >"$tmp/dyn" 2>&1
st=$?
grep -q "^model $model\$" "$tmp/dyn"
ok $((st + $?)) "linked to libsekit.so, it loads the installed default model" "$(cat "$tmp/dyn")"
LD_LIBRARY_PATH=$lib ldd "$tmp/gates" 2>/dev/null | grep -q "libsekit.so.0 => $lib/"
ok $? "the program uses the installed libsekit.so.0"
# shellcheck disable=SC2046
$CC "$src/docs/examples/gates.c" -I"$prefix/include" "$lib/libsekit.a" \
    $(pkg-config "$pc" --static --libs sekit | sed 's/-lsekit//') -o "$tmp/gates-static" \
    >"$tmp/cc" 2>&1
ok $? "the same program links libsekit.a with pkg-config --static" "$(cat "$tmp/cc")"
"$tmp/gates-static" "$model" >"$tmp/static" 2>&1
st=$?
shared=$(LD_LIBRARY_PATH=$lib ldd "$tmp/gates-static" 2>/dev/null | grep -c libsekit)
[ $st -eq 0 ] && [ "$shared" -eq 0 ] && cmp -s "$tmp/dyn" "$tmp/static"
ok $? "statically linked, it prints what the shared build prints" "$(cat "$tmp/static")"

other=$(nm -D --defined-only "$lib/libsekit.so" | awk '$3 !~ /^sekit_/ {print $3}' | head -5)
count=$(nm -D --defined-only "$lib/libsekit.so" | grep -c " sekit_model_forward$")
[ -z "$other" ] && [ "$count" -eq 1 ]
ok $? "libsekit.so exports the sekit_* API and nothing else" "other symbols: $other"

site=$(find "$prefix" -path '*/sekit/_installed.py' 2>/dev/null | head -1)
if [ -x /usr/bin/python3 ] && [ -n "$site" ] && /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    out=$(env -u SEKIT_LIBRARY PYTHONPATH="$(dirname "$(dirname "$site")")" /usr/bin/python3 -c \
        'import sekit; print(sekit.library()._name); print(sekit.Model().path)' 2>&1)
    [ "$out" = "$lib/libsekit.so.0
$model" ]
    ok $? "the installed Python module loads the installed library and model" "$out"
else
    n=$((n + 1))
    echo "ok $n # SKIP the Python module is not installed or /usr/bin/python3 with numpy is absent"
fi

# without the installed model, sekit names where it should be instead of using the checkout's
mv "$model" "$model.away"
"$bin/sekit" eval --per-class 2 --quiet >"$tmp/eval" 2>&1
st=$?
grep -q "fashion_mnist_seresnet50.safetensors: cannot open" "$tmp/eval" &&
    ! grep -q "$src/models" "$tmp/eval"
ok $(($? + (st == 0))) "a missing installed model is an error, not the source tree's model" \
    "$(cat "$tmp/eval")"
echo "1..$n"
[ $fails -eq 0 ]
