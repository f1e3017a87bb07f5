# tap.sh -- what the POSIX sh TAP tests share, sourced after they set $src: a temporary
# directory $tmp removed at exit, and ok STATUS DESCRIPTION counting checks in $n and failures in
# $fails (the test ends with: echo "1..$n"; [ "$fails" -eq 0 ]).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { # ok COND-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
