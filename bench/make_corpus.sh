#!/usr/bin/env bash
# make_corpus.sh — build the benchmark corpus (syslog.log, access.log,
# apache_error.log) from the real Loghub templates, deterministically.
#
# usage: bench/make_corpus.sh [SIZE_MB [OUTDIR [SEED]]]
#   SIZE_MB  total size in MiB (default 1024)
#   OUTDIR   where the three logs go (default bench/data; git-ignored)
#   SEED     generator seed (default 20240301); same seed, same bytes
# Environment: VG_CORPUS (default ../shared/corpus beside the source tree),
# CC (default cc). Writes OUTDIR/corpus.stamp last: a corpus without it is
# incomplete and bench/run.sh rebuilds it.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SIZE_MB=${1:-1024}
OUTDIR=${2:-$BENCH/data}
SEED=${3:-20240301}
VG_CORPUS=${VG_CORPUS:-$ROOT/../shared/corpus}
LOGHUB=$VG_CORPUS/loghub
CC=${CC:-cc}

[[ $SIZE_MB =~ ^[0-9]+$ && $SIZE_MB -ge 1 ]] || { echo "make_corpus: SIZE_MB must be a positive integer" >&2; exit 2; }
for f in OpenSSH_2k.log Linux_2k.log Apache_2k.log; do
	[[ -r $LOGHUB/$f ]] || { echo "make_corpus: $LOGHUB/$f not found (set VG_CORPUS)" >&2; exit 2; }
done
mkdir -p "$BENCH/data" "$OUTDIR"
rm -f "$OUTDIR/corpus.stamp"

GEN=$BENCH/data/gen_corpus
if [[ ! -x $GEN || $BENCH/gen_corpus.c -nt $GEN ]]; then
	"$CC" -O2 -std=c17 -Wall -Wextra -Werror -o "$GEN" "$BENCH/gen_corpus.c"
fi

echo "make_corpus: $SIZE_MB MiB into $OUTDIR (seed $SEED, templates from $LOGHUB)"
t0=$EPOCHREALTIME
"$GEN" "$LOGHUB" "$OUTDIR" "$SIZE_MB" "$SEED"
t1=$EPOCHREALTIME
sum=$(cat "$OUTDIR/syslog.log" "$OUTDIR/access.log" "$OUTDIR/apache_error.log" | sha256sum | cut -c1-16)
awk -v a="$t0" -v b="$t1" -v s="$sum" 'BEGIN { printf "generated in %.1f s; sha256 of the three files concatenated: %s...\n", b - a, s }'

gen_sum=$(sha256sum "$BENCH/gen_corpus.c" | cut -c1-16)
tmpl_sum=$(cat "$LOGHUB/OpenSSH_2k.log" "$LOGHUB/Linux_2k.log" "$LOGHUB/Apache_2k.log" | sha256sum | cut -c1-16)
printf 'size_mb=%s seed=%s gen=%s templates=%s sha256=%s\n' "$SIZE_MB" "$SEED" "$gen_sum" "$tmpl_sum" "$sum" \
	>"$OUTDIR/corpus.stamp"
