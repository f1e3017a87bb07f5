#!/bin/sh
# t-valsort.sh -- tools/imagenet-val-sort on a fake devkit of six validation images: copy, hard
# link and move put each image in its synset's folder; overwriting, bad ground-truth lines,
# missing images, count mismatches and unknown --only synsets are refused before any file is
# touched. TAP; run by meson (tests/meson.build) or prove.
set -u
src=${SEKIT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
tool=$src/tools/imagenet-val-sort
# shellcheck source=tests/tap.sh
. "$src/tests/tap.sh"
# run ARGS...: the tool's status in $st, its stderr in $err
run() {
    "$tool" "$@" >"$tmp/out" 2>"$tmp/err"
    st=$?
    err=$(cat "$tmp/err")
}
# refused NEEDLE DESCRIPTION: the last run failed with one stderr line containing NEEDLE
refused() {
    lines=$(wc -l <"$tmp/err" | tr -d ' ')
    case $err in *"$1"*) m=0 ;; *) m=1 ;; esac
    [ "$st" -ne 0 ] && [ "$lines" -eq 1 ] && [ "$m" -eq 0 ]
    r=$?
    ok $r "$2"
    [ $r -eq 0 ] || echo "# status $st, stderr: $err; want: $1"
}

# devkit IDs: 450 goldfish (n01443537), 143 pug (n02110958), 230 airliner (n02690373),
# 1 kit fox (n02119789)
mkval() {
    rm -rf "$tmp/val"
    mkdir -p "$tmp/val"
    printf '450\n143\n230\n450\n1\n143\n' >"$tmp/gt.txt"
    for i in 1 2 3 4 5 6; do
        printf 'image %d\n' "$i" >"$tmp/val/ILSVRC2012_val_0000000$i.JPEG"
    done
}
mkval

run --copy "$tmp/gt.txt" "$tmp/val" "$tmp/sorted"
ok $st "copy succeeds${err:+: $err}"
[ -f "$tmp/sorted/n01443537/ILSVRC2012_val_00000001.JPEG" ] &&
    [ -f "$tmp/sorted/n01443537/ILSVRC2012_val_00000004.JPEG" ] &&
    [ -f "$tmp/sorted/n02110958/ILSVRC2012_val_00000002.JPEG" ] &&
    [ -f "$tmp/sorted/n02110958/ILSVRC2012_val_00000006.JPEG" ] &&
    [ -f "$tmp/sorted/n02690373/ILSVRC2012_val_00000003.JPEG" ] &&
    [ -f "$tmp/sorted/n02119789/ILSVRC2012_val_00000005.JPEG" ]
ok $? "each image is in its synset's folder"
total=$(find "$tmp/sorted" -type f | wc -l | tr -d ' ')
[ "$total" -eq 6 ] && [ "$(find "$tmp/sorted" -mindepth 1 -type d | wc -l | tr -d ' ')" -eq 4 ]
ok $? "6 files in 4 folders (got $total files)"
cmp -s "$tmp/val/ILSVRC2012_val_00000003.JPEG" "$tmp/sorted/n02690373/ILSVRC2012_val_00000003.JPEG"
ok $? "a copy has the source's bytes"
[ -f "$tmp/val/ILSVRC2012_val_00000001.JPEG" ]
ok $? "copy leaves the sources"
case $(cat "$tmp/out") in *"6 images into 4 class folders"*) r=0 ;; *) r=1 ;; esac
ok $r "it reports what it did: $(cat "$tmp/out")"

run --copy "$tmp/gt.txt" "$tmp/val" "$tmp/sorted"
refused "exists; refusing to overwrite" "a second run refuses to overwrite"

run --link "$tmp/gt.txt" "$tmp/val" "$tmp/linked"
ok $st "link succeeds${err:+: $err}"
[ "$(stat -c %i "$tmp/val/ILSVRC2012_val_00000002.JPEG")" = \
    "$(stat -c %i "$tmp/linked/n02110958/ILSVRC2012_val_00000002.JPEG")" ]
ok $? "--link makes hard links (same inode)"

run --only n01443537,n02690373 "$tmp/gt.txt" "$tmp/val" "$tmp/subset"
total=$(find "$tmp/subset" -type f | wc -l | tr -d ' ')
[ "$st" -eq 0 ] && [ "$total" -eq 3 ] && [ ! -d "$tmp/subset/n02110958" ]
ok $? "--only sorts just goldfish and airliner (3 files, got $total)${err:+: $err}"
run --only n01443537,n99999999 "$tmp/gt.txt" "$tmp/val" "$tmp/subset2"
refused "--only: n99999999 is not one of the 1000 synsets" "an unknown --only synset is refused"

run --move "$tmp/gt.txt" "$tmp/val" "$tmp/moved"
left=$(find "$tmp/val" -type f | wc -l | tr -d ' ')
[ "$st" -eq 0 ] && [ "$left" -eq 0 ] && [ "$(find "$tmp/moved" -type f | wc -l | tr -d ' ')" -eq 6 ]
ok $? "--move moves all 6 (left behind: $left)${err:+: $err}"

mkval
printf '450\n143\n1001\n450\n1\n143\n' >"$tmp/gt.txt"
run "$tmp/gt.txt" "$tmp/val" "$tmp/bad1"
refused "gt.txt: line 3: \"1001\" is not a devkit ID (1..1000)" "a ground-truth ID beyond 1000 is refused"
[ ! -e "$tmp/bad1" ]
ok $? "... and nothing is created"

mkval
rm "$tmp/val/ILSVRC2012_val_00000004.JPEG"
run "$tmp/gt.txt" "$tmp/val" "$tmp/bad2"
refused "5 ILSVRC2012_val_*.JPEG files, but $tmp/gt.txt has 6 lines" "a missing image is refused (count)"
[ ! -e "$tmp/bad2" ]
ok $? "... and nothing is created"

mkval
mv "$tmp/val/ILSVRC2012_val_00000004.JPEG" "$tmp/val/ILSVRC2012_val_00000007.JPEG"
run "$tmp/gt.txt" "$tmp/val" "$tmp/bad3"
refused "ILSVRC2012_val_00000004.JPEG: missing" "an image the ground truth names is missing: refused by name"

mkval
run "$tmp/gt.txt" "$tmp/val" "$tmp/no/such/dir"
refused "no such directory" "an output whose parent is missing is refused"
run --bogus "$tmp/gt.txt" "$tmp/val" "$tmp/x"
[ "$st" -eq 2 ]
ok $? "an unknown option is a usage error (status 2, got $st)"

echo "1..$n"
[ "$fails" -eq 0 ]
