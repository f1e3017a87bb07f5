#!/bin/sh
# t-mpi-ablate.sh -- sekit ablate, stats and reproduce split across MPI ranks write what one
# process writes: the MPI build's sekit (SEKIT_BIN_MPI) under `mpirun -n 2` (and -n 3, ranks
# past the second, a batch count the ranks do not divide) against the same binary run without a
# launcher, which is one rank without MPI (or against SEKIT_BIN, a serial build's sekit, when
# set). Files are compared, not output: the CSVs and Markdown byte for byte, the HDF5 files
# dataset by dataset and attribute by attribute (h5diff). Each mpirun is bounded by `timeout 300`.
# Skipped when mpirun, h5diff or an MPI build is absent. TAP.
set -u
bin=${SEKIT_BIN_MPI:-}
ref=${SEKIT_BIN:-$bin}
data=${SEKIT_TEST_DATA:-/usr/share/datasets/fashion-mnist}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "1..0 # SKIP SEKIT_BIN_MPI (the MPI build's sekit) not given"
    exit 0
fi
for tool in mpirun h5diff timeout gzip; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "1..0 # SKIP $tool absent"
        exit 0
    fi
done
# a sekit built without MPI would run as two whole jobs writing the same files
if command -v ldd >/dev/null 2>&1 && ! ldd "$bin" | grep -q 'libmpi'; then
    echo "1..0 # SKIP $bin is not linked with MPI (meson -Dmpi=enabled)"
    exit 0
fi
if [ ! -f "$data/t10k-images-idx3-ubyte.gz" ]; then
    echo "1..0 # SKIP no Fashion-MNIST test split under $data"
    exit 0
fi
# OpenMPI refuses to run as root without these (containers, CI)
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sekit-mpi-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { # ok STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        fails=$((fails + 1))
    fi
}
mpi() { # mpi RANKS ARGS...: the MPI build under mpirun; its output shown when it fails
    k=$1
    shift
    timeout 300 mpirun -n "$k" --oversubscribe "$bin" "$@" >"$tmp/mpi.log" 2>&1
    st=$?
    [ $st -eq 0 ]
    return $st
}
serial() { # serial ARGS...: the reference; its output shown when it fails
    "$ref" "$@" >"$tmp/serial.log" 2>&1
    st=$?
    [ $st -eq 0 ]
    return $st
}
same() { # same A B DESCRIPTION: byte for byte
    cmp -s "$1" "$2"
    st=$?
    ok $st "$3"
    [ $st -eq 0 ] || diff "$1" "$2" 2>&1 | head -n 10 | sed 's/^/# /'
}
same_h5() { # same_h5 A B DESCRIPTION: every dataset and attribute
    h5diff -r "$1" "$2" >"$tmp/h5diff.log" 2>&1
    st=$?
    ok $st "$3"
    [ $st -eq 0 ] || grep -v '^0 differences found' "$tmp/h5diff.log" | head -n 10 | sed 's/^/# /'
}
show() { # the log of a run that failed
    sed 's/^/# /' "$1" | head -n 20
}
mkdir "$tmp/s" "$tmp/m" "$tmp/m3"

# 1. ablate, both modes: 400 images on two ranks, one thread each
a="ablate --mode both --per-class 40 --threads 1"
serial $a --data "$data" --out "$tmp/s/abl"
ok $? "sekit ablate --mode both, one process"
mpi 2 $a --data "$data" --out "$tmp/m/abl"
ok $? "mpirun -n 2 sekit ablate --mode both"
same "$tmp/s/abl.csv" "$tmp/m/abl.csv" "ablate on 2 ranks: the CSV of one process, byte for byte"
same "$tmp/s/abl.md" "$tmp/m/abl.md" "ablate on 2 ranks: the Markdown table of one process"
same_h5 "$tmp/s/abl.h5" "$tmp/m/abl.h5" "ablate on 2 ranks: PREFIX.h5 equal in every dataset"
same "$tmp/s/abl.png" "$tmp/m/abl.png" "ablate on 2 ranks: the chart of one process"
left=$(ls -A "$tmp/m" | grep -v '^abl\.\(csv\|md\|h5\|png\)$')
[ -z "$left" ]
ok $? "ablate on 2 ranks: nothing else in the output directory${left:+: $left}"

# 2. mean mode on 3 ranks: 26 batches of 5 split 9, 9, 8 (the third rank's rows gathered after
# the second's)
a="ablate --mode mean --variants single,all --per-class 13 --batch 5 --threads 1"
serial $a --data "$data" --out "$tmp/s/mean"
ok $? "sekit ablate --mode mean --batch 5, one process"
mpi 3 $a --data "$data" --out "$tmp/m3/mean"
ok $? "mpirun -n 3 sekit ablate --mode mean --batch 5"
same "$tmp/s/mean.csv" "$tmp/m3/mean.csv" "mean mode on 3 ranks: the CSV of one process"
same_h5 "$tmp/s/mean.h5" "$tmp/m3/mean.h5" "mean mode on 3 ranks: PREFIX.h5 equal in every dataset"

# ranks without a row: 10 images are one batch, the second and third ranks get none
a="ablate --mode both --variants all --per-class 1 --threads 1"
serial $a --data "$data" --out "$tmp/s/tiny"
ok $? "sekit ablate of 10 images, one process"
mpi 3 $a --data "$data" --out "$tmp/m3/tiny"
ok $? "mpirun -n 3 sekit ablate of 10 images (one batch)"
same "$tmp/s/tiny.csv" "$tmp/m3/tiny.csv" "ranks without a row: the CSV of one process"

# 3. stats of a recording, its blocks split across 2 and 3 ranks
serial record --classes all --per-class 30 --threads 1 --data "$data" --out "$tmp/run.h5" \
    --quiet
ok $? "sekit record, 300 images"
serial stats "$tmp/run.h5" --out "$tmp/s/run.stats.h5" --quiet
ok $? "sekit stats, one process"
for k in 2 3; do
    mkdir -p "$tmp/m$k"
    mpi $k stats "$tmp/run.h5" --out "$tmp/m$k/run.stats.h5" --quiet
    ok $? "mpirun -n $k sekit stats"
    same "$tmp/s/run.stats.csv" "$tmp/m$k/run.stats.csv" "stats on $k ranks: RUN.stats.csv"
    same "$tmp/s/run.means.csv" "$tmp/m$k/run.means.csv" "stats on $k ranks: RUN.means.csv"
    same_h5 "$tmp/s/run.stats.h5" "$tmp/m$k/run.stats.h5" \
        "stats on $k ranks: RUN.stats.h5 equal in every dataset"
done

# 4. failures end every rank, with a non-zero status and without a hang
mpi 2 stats "$tmp/absent.h5" --out "$tmp/m/x.stats.h5" --quiet
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] && [ ! -e "$tmp/m/x.stats.h5" ]
ok $? "mpirun -n 2 sekit stats of a missing recording fails at once (status $st), no file"
mpi 2 ablate --per-class 2 --threads 1 --data "$data" --out "$tmp/absent/abl"
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ]
ok $? "mpirun -n 2 sekit ablate into a missing directory fails at once (status $st)"

# 5. reproduce on 400 images (40 of each class; every preset frozen at the mean gates, as by
# default): every table of the report is the one process's;
# only the provenance (command line, ranks) and the times differ
sub="$tmp/fashion-mnist" # the name that gives the classes their names
mkdir "$sub"
# the first 400 images and labels of the test split, as IDX files that say 400 (0x190)
{
    printf '\000\000\010\003\000\000\001\220\000\000\000\034\000\000\000\034'
    gzip -dc "$data/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 313600
} | gzip >"$sub/t10k-images-idx3-ubyte.gz"
{
    printf '\000\000\010\001\000\000\001\220'
    gzip -dc "$data/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c 400
} | gzip >"$sub/t10k-labels-idx1-ubyte.gz"
r="reproduce --per-class 20 --threads 1 --quiet"
serial $r --data "$sub" --out "$tmp/s/rep"
ok $? "sekit reproduce, one process"
mpi 2 $r --data "$sub" --out "$tmp/m/rep"
ok $? "mpirun -n 2 sekit reproduce"
for f in ablation.csv ablation.md classes.stats.csv classes.means.csv all.stats.csv all.means.csv; do
    same "$tmp/s/rep/$f" "$tmp/m/rep/$f" "reproduce on 2 ranks: $f"
done
for f in classes.h5 all.h5 ablation.h5 classes.stats.h5 all.stats.h5; do
    # the recordings name their file and time of creation; the statistics name the recording
    h5diff -r --exclude-attribute / "$tmp/s/rep/$f" "$tmp/m/rep/$f" >"$tmp/h5diff.log" 2>&1
    st=$?
    ok $st "reproduce on 2 ranks: $f equal in every dataset"
    [ $st -eq 0 ] || grep -v '^0 differences found' "$tmp/h5diff.log" | head -n 10 | sed 's/^/# /'
done
# report.md up to its provenance, but for the numbers only timing makes: none come before it
for d in s m; do
    sed '/^## Provenance/,$d' "$tmp/$d/rep/report.md" >"$tmp/$d/report.head" 2>/dev/null ||
        echo "no report.md" >"$tmp/$d/report.head.missing"
done
[ ! -e "$tmp/s/report.head.missing" ] && [ ! -e "$tmp/m/report.head.missing" ]
ok $? "reproduce: both runs wrote report.md"
same "$tmp/s/report.head" "$tmp/m/report.head" \
    "reproduce on 2 ranks: report.md equal up to its provenance (figures, statistics, findings, ablations)"
grep -q '^- backend: .*, 2 MPI ranks, each with 1 thread$' "$tmp/m/rep/report.md"
ok $? "reproduce on 2 ranks: the provenance says 2 MPI ranks of 1 thread each"

echo "1..$n"
[ $fails -eq 0 ]
