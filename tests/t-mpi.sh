#!/bin/sh
# t-mpi.sh -- sekit across MPI ranks, run by mpirun -n 2: eval prints the one-process JSON,
# record writes the one-process file (every dataset equal, compared by h5diff), a killed
# recording resumes with as many ranks and is refused with another count, and a failure on any
# rank ends every rank with one line from rank 0 naming the rank. TAP. Registered only in an MPI
# build (meson -Dmpi=enabled), in the suite "mpi"; SEKIT_BIN is that build's sekit.
set -u
bin=${SEKIT_BIN:?SEKIT_BIN: the sekit of the MPI build}
mpirun=${MPIRUN:-mpirun}
if ! command -v "$mpirun" >/dev/null 2>&1; then
    echo "1..0 # SKIP $mpirun absent (Debian: openmpi-bin)"
    exit 0
fi
if ! command -v h5diff >/dev/null 2>&1; then
    echo "1..0 # SKIP h5diff absent (Debian: hdf5-tools)"
    exit 0
fi
# OpenMPI refuses root (a CI container) without these
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

n=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do echo "# $line"; done
}
# mpi K ARGS...: sekit ARGS as K ranks, each with one thread; a hung collective ends at 300 s
mpi() {
    k=$1
    shift
    timeout 300 "$mpirun" -n "$k" --oversubscribe "$bin" "$@"
}
# same A B: every dataset of recordings A and B equal (the root attributes, "created" among
# them, are the run's)
same() {
    h5diff -q --exclude-attribute=/ "$1" "$2" >/dev/null 2>&1
}
# sekit_lines FILE: the lines sekit printed (mpirun adds its own, which do not start so), less
# the periodic progress lines, whose number depends on how long the run took
sekit_lines() {
    grep '^sekit ' "$1" | grep -vc ' img/s, elapsed '
}

case $("$bin" --version) in
*"MPI: runs as mpirun's ranks"*) ok "sekit --version says the build has MPI" ;;
*) not_ok "sekit --version says the build has MPI" "got: $("$bin" --version)" ;;
esac

# ---- eval: the ranks' counts summed give the one-process tables ----
sel="--classes Trouser,Bag --per-class 50"
# shellcheck disable=SC2086
"$bin" eval $sel --json --quiet >one.json
# shellcheck disable=SC2086
SEKIT_PROGRESS_INTERVAL=0 mpi 2 eval $sel --threads 1 --json >two.json 2>two.err
st=$?
if [ $st -eq 0 ] && [ -s one.json ] && cmp -s one.json two.json; then
    ok "mpirun -n 2 sekit eval --json prints the one-process JSON byte for byte"
else
    not_ok "mpirun -n 2 sekit eval --json prints the one-process JSON byte for byte" \
        "exit $st" "$(diff one.json two.json | head -5)"
fi
# progress from rank 0 alone, counting the whole job's 100 images
done_lines=$(grep -c '^sekit eval: 100/100 images in' two.err)
other=$(grep '^sekit eval: [0-9]*/[0-9]* images' two.err | grep -vc '/100 images')
if [ "$done_lines" -eq 1 ] && [ "$other" -eq 0 ]; then
    ok "one rank prints the progress, of all 100 images"
else
    not_ok "one rank prints the progress, of all 100 images" "$(cat two.err)"
fi

# ---- record: the ranks' journals joined into the one-process file ----
# The one process runs one thread, as each rank does: oneDNN's AVX-512 kernels may sum in an order
# that depends on the thread count, so other counts can differ in the last bit of a gate.
# shellcheck disable=SC2086
"$bin" record --out one.h5 $sel --squeeze --threads 1 --quiet
# shellcheck disable=SC2086
mpi 2 record --out two.h5 $sel --squeeze --threads 1 2>rec.err
st=$?
if [ $st -eq 0 ] && same one.h5 two.h5; then
    ok "mpirun -n 2 sekit record --squeeze writes the one-process recording, every dataset"
else
    not_ok "mpirun -n 2 sekit record --squeeze writes the one-process recording, every dataset" \
        "exit $st" "$(cat rec.err)"
fi
if [ "$(echo two.h5.journal*)" = "two.h5.journal*" ] && [ "$(echo two.h5.*.tmp)" = "two.h5.*.tmp" ]; then
    ok "no journal or temporary file is left"
else
    not_ok "no journal or temporary file is left" "$(ls)"
fi
if [ "$(sekit_lines rec.err)" -eq 3 ] && grep -q '^sekit record: 100/100 images in' rec.err &&
    grep -q "^sekit record: two.h5 written from the 2 ranks' journals in [0-9.]* s$" rec.err &&
    grep -q '^sekit record: 100 images, 16 SE blocks -> two.h5$' rec.err; then
    ok "rank 0 alone prints the progress, the conversion's time and the result"
else
    not_ok "rank 0 alone prints the progress, the conversion's time and the result" "$(cat rec.err)"
fi
# the comparison sees a difference where there is one: another batch size sums the logits in
# another order
# shellcheck disable=SC2086
"$bin" record --out batch10.h5 $sel --squeeze --batch 10 --quiet
if ! same one.h5 batch10.h5; then
    ok "h5diff tells recordings of other logits apart"
else
    not_ok "h5diff tells recordings of other logits apart"
fi

# ---- a killed recording resumes with as many ranks ----
big="--per-class 1000"
# shellcheck disable=SC2086
"$mpirun" -n 2 --oversubscribe "$bin" record --out k.h5 $big --threads 1 --quiet 2>kill.err &
pid=$!
# until both journals hold rows (however long mpirun takes to start them), or mpirun has ended
while kill -0 $pid 2>/dev/null; do
    s0=$(stat -c %s k.h5.journal.rank-0-of-2 2>/dev/null || echo 0)
    s1=$(stat -c %s k.h5.journal.rank-1-of-2 2>/dev/null || echo 0)
    [ "$s0" -gt 100000 ] && [ "$s1" -gt 100000 ] && break
    sleep 0.05
done
# mpirun and the ranks it started, all at once: nothing finishes the file
ranks=$(pgrep -P $pid)
# shellcheck disable=SC2086
kill -KILL $pid $ranks 2>/dev/null
wait $pid 2>/dev/null
for r in $ranks; do
    while kill -0 "$r" 2>/dev/null; do sleep 0.05; done
done
if [ ! -e k.h5 ] && [ -e k.h5.journal.rank-0-of-2 ] && [ -e k.h5.journal.rank-1-of-2 ]; then
    ok "SIGKILL of mpirun and its ranks mid-run leaves the two journals and no k.h5"
else
    not_ok "SIGKILL of mpirun and its ranks mid-run leaves the two journals and no k.h5" "$(ls -l)"
fi
# shellcheck disable=SC2086
mpi 3 record --out k.h5 $big --resume 2>three.err
st=$?
if [ $st -ne 0 ] && [ "$(sekit_lines three.err)" -eq 1 ] &&
    grep -q '^sekit record: rank 0 of 3: k.h5.journal.rank-[01]-of-2: --resume refused: the interrupted run had 2 ranks, this one has 3 (resume with mpirun -n 2' three.err; then
    ok "--resume with 3 ranks is refused, naming both counts"
else
    not_ok "--resume with 3 ranks is refused, naming both counts" "exit $st" "$(cat three.err)"
fi
# shellcheck disable=SC2086
"$bin" record --out k.h5 $big --resume 2>one.err
st=$?
if [ $st -ne 0 ] && grep -q 'the interrupted run had 2 ranks, this one has 1 (resume with mpirun -n 2' one.err; then
    ok "--resume without mpirun is refused, naming both counts"
else
    not_ok "--resume without mpirun is refused, naming both counts" "exit $st" "$(cat one.err)"
fi
# shellcheck disable=SC2086
mpi 2 record --out k.h5 $big --batch 8 --resume 2>batch.err
st=$?
if [ $st -ne 0 ] && grep -q -- '--resume refused: the interrupted run had batch=16, this one has batch=8' batch.err; then
    ok "--resume with another --batch is refused (it moves the ranks' rows)"
else
    not_ok "--resume with another --batch is refused (it moves the ranks' rows)" "exit $st" \
        "$(cat batch.err)"
fi
# shellcheck disable=SC2086
mpi 2 record --out k.h5 $big --threads 1 --resume 2>resume.err
st=$?
# shellcheck disable=SC2086
"$bin" record --out k1.h5 $big --threads 1 --quiet
if [ $st -eq 0 ] && grep -q '^sekit record: resuming: [0-9]* of 10000 images are in the ranks' resume.err &&
    same k1.h5 k.h5; then
    ok "mpirun -n 2 ... --resume finishes the one-process recording"
else
    not_ok "mpirun -n 2 ... --resume finishes the one-process recording" "exit $st" \
        "$(cat resume.err)"
fi
if [ "$(echo k.h5.journal*)" = "k.h5.journal*" ]; then
    ok "the resumed run removes the journals"
else
    not_ok "the resumed run removes the journals" "$(ls)"
fi

# ---- failures end every rank, with one line from rank 0 naming the rank ----
# fail NAME PATTERN ARGS...: mpirun -n 2 sekit ARGS fails, prints one line matching PATTERN and
# leaves no out.h5
fail() {
    name=$1 pattern=$2
    shift 2
    mpi 2 "$@" 2>fail.err >/dev/null
    st=$?
    if [ $st -ne 0 ] && [ "$(sekit_lines fail.err)" -eq 1 ] && grep -q "$pattern" fail.err &&
        [ ! -e out.h5 ] && [ "$(echo out.h5.*.tmp)" = "out.h5.*.tmp" ]; then
        ok "$name"
    else
        not_ok "$name" "exit $st" "$(cat fail.err)"
    fi
}
fail "a missing --data: one line naming rank 0, no file" \
    '^sekit record: rank 0 of 2: /nonexistent: ' record --out out.h5 --data /nonexistent
fail "an unreadable --model: one line naming rank 0, no file" \
    '^sekit record: rank 0 of 2: /nonexistent.safetensors: cannot open' \
    record --out out.h5 --model /nonexistent.safetensors
fail "a bad option: one line, from rank 0" '^sekit record: --bogus: unknown option' \
    record --out out.h5 --bogus
if [ -z "$(echo out.h5.journal*)" ] || [ "$(echo out.h5.journal*)" = "out.h5.journal*" ]; then
    ok "a run that failed before its pass leaves no journal"
else
    not_ok "a run that failed before its pass leaves no journal" "$(ls)"
fi
# an image folder whose last image is not a PNG: only rank 1, which holds it, fails
mkdir -p folder/Bag
png=iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAAAAABXZoBIAAABaElEQVR42mNgYOcTlVHWMrSwd/MNiU7KLCiva+2ZPGvhivXb9jIwcwlKyKvpmlg7eQaEx6XmFFc1dvRPm7tk9aadBxjYeEWklTQNzO1cfYKjEjPyy2pbuifNXLB83dY9hxk4BcTlVHWMrRw9/MNiU7KLKhva+6bOWbxq4479xxh4hKUUNfTNbF28gyIT0vNKa5q7Js6Yv2ztlt2HTjLwi8mqaBtZOrj7hcYkZxVW1Lf1Tpm9aOWG7fuOnmEQklRQ1zO1cfYKjIhPyy2pbuqcMH3e0jWbdx08cZ4Bpz+OnL7EgNMfx89dZcDpj1MXbzDg9MfZK7cZcPrjwvV7DDj9cfnWQwac/rh29wkDTn/cfPCcAac/7jx+xYDTH/efvWXA6Y9HLz8w4PTH0zefGXD648X7bww4/fH6008GnP549/UPA05/fPzxnwGnP778ZmLA6Y/v/1gZcPrjFyMHA05//GXhZsDtD3Y+AO3wlIBkC+FaAAAAAElFTkSuQmCC
for i in 00 01 02 03 04 05 06 07 08 09 10; do
    echo "$png" | base64 -d >"folder/Bag/$i.png"
done
echo "not an image" >folder/Bag/11.png
echo "Bag 8" >folder.map
fail "an image only rank 1 reads is corrupt: one line from rank 0 naming rank 1 and the image" \
    "^sekit record: rank 1 of 2: .*folder/Bag/11.png" \
    record --out out.h5 --data folder --class-map folder.map --preset none --crop 28 --batch 2 \
    --threads 1 --quiet
# the one journal of a one-process run that failed in its pass: an MPI --resume is refused
folder="--data folder --class-map folder.map --preset none --crop 28 --batch 2 --quiet"
# shellcheck disable=SC2086
"$bin" record --out single.h5 $folder 2>/dev/null
# shellcheck disable=SC2086
mpi 2 record --out single.h5 $folder --threads 1 --resume 2>single.err
st=$?
if [ $st -ne 0 ] && [ -e single.h5.journal ] &&
    grep -q '^sekit record: rank 0 of 2: single.h5.journal: --resume refused: the interrupted run had 1 rank, this one has 2 (resume with one process, without mpirun' single.err; then
    ok "--resume of a one-process journal under mpirun is refused, naming both counts"
else
    not_ok "--resume of a one-process journal under mpirun is refused, naming both counts" \
        "exit $st" "$(cat single.err)"
fi
echo "1..$n"
