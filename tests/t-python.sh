#!/bin/sh
# t-python.sh -- the Python module (python/sekit) against sekit record: tests/t_python.py, run
# by Debian's /usr/bin/python3 with the build's libsekit (SEKIT_LIBRARY) and sekit (SEKIT_BIN).
# Skipped, with the reason, when python3 or a module it needs is absent. TAP.
set -u
src=${SEKIT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -n "${SEKIT_SANITIZE:-}" ] && [ "$SEKIT_SANITIZE" != none ]; then
    echo "1..0 # SKIP libsekit is built with -fsanitize=$SEKIT_SANITIZE, which python3 cannot load"
    exit 0
fi
py=/usr/bin/python3
if [ ! -x "$py" ]; then
    echo "1..0 # SKIP $py absent"
    exit 0
fi
for mod in numpy h5py xarray; do
    if ! "$py" -c "import $mod" 2>/dev/null; then
        echo "1..0 # SKIP python3 module $mod absent (Debian: python3-$mod)"
        exit 0
    fi
done
# under prove: the build/ tree's sekit (the module finds build/'s library itself)
SEKIT_BIN=${SEKIT_BIN:-$src/build/sekit} SEKIT_SRCDIR=$src exec "$py" "$src/tests/t_python.py"
