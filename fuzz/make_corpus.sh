#!/usr/bin/env bash
# Makes the seed corpora for kerasio-fuzz from the fixtures:
#
#     fuzz/make_corpus.sh OUTDIR
#
# writes OUTDIR/model (the .h5, .keras and .weights.h5 models of
# fixtures/keras3, fixtures/keras2, fixtures/training, the LSTM and GRU ones
# of fixtures/recurrent and fixtures/recurrent_training, the sequence-layer
# models of fixtures/sequence_layers and sequence_training, the Functional
# graphs of fixtures/functional, the conv, shape and norm layer models, and everything in
# fixtures/bad), OUTDIR/npy (every .npy of the fixtures) and OUTDIR/csv
# (a few small tables written here, plus data/monthly-sunspots.csv).
# Files over 200 KB are skipped: libFuzzer mutates small inputs faster, and
# scripts/fuzz caps inputs near that size anyway. OUTDIR is emptied first;
# it is generated at run time and never committed.
set -euo pipefail

out=${1:?usage: fuzz/make_corpus.sh OUTDIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
max_bytes=$((200 * 1024))

rm -rf "$out/model" "$out/npy" "$out/csv"
mkdir -p "$out/model" "$out/npy" "$out/csv"

# copy TARGET FILE...: copies the files under 200 KB, named after their path
# in the repository so that fixtures of the same name do not collide.
copy() {
    local target=$1; shift
    local file name
    for file in "$@"; do
        [ -f "$file" ] || continue
        [ "$(stat -c %s "$file")" -le "$max_bytes" ] || continue
        name=${file#"$root"/}
        cp "$file" "$out/$target/${name//\//_}"
    done
}

shopt -s nullglob
copy model "$root"/fixtures/keras3/*.h5 "$root"/fixtures/keras3/*.keras \
           "$root"/fixtures/keras2/*.h5 "$root"/fixtures/keras2/*.keras \
           "$root"/fixtures/training/*.h5 "$root"/fixtures/bad/* \
           "$root"/fixtures/recurrent/keras3/*.h5 "$root"/fixtures/recurrent/keras3/*.keras \
           "$root"/fixtures/recurrent/keras2/*.h5 "$root"/fixtures/recurrent/keras2/*.keras \
           "$root"/fixtures/recurrent_training/*.initial.h5 \
           "$root"/fixtures/sequence_layers/keras3/*.h5 "$root"/fixtures/sequence_layers/keras3/*.keras \
           "$root"/fixtures/sequence_layers/keras2/*.h5 \
           "$root"/fixtures/sequence_training/keras3/*.initial.h5 \
           "$root"/fixtures/functional/keras3/*.h5 "$root"/fixtures/functional/keras3/*.keras \
           "$root"/fixtures/functional/keras2/*.h5 \
           "$root"/fixtures/conv_layers/keras3/*.h5 "$root"/fixtures/shape_layers/keras3/*.h5 \
           "$root"/fixtures/norm_layers/keras3/*.h5 "$root"/fixtures/norm_layers/keras2/*.h5
copy npy "$root"/fixtures/*/*.npy "$root"/fixtures/recurrent/keras3/lstm_default*.npy \
         "$root"/fixtures/sequence_layers/keras3/embedding_mask_zero_true_lstm*.npy
copy csv "$root"/data/*.csv

# Small CSV tables: the forms CSVArrayFile.read(from:) documents.
csv() { printf '%b' "$2" > "$out/csv/$1.csv"; }
csv plain          '1,2,3\n4,5,6\n'
csv header         'a,b,c\n1.5,-2.25,3e-3\n4,5,6\n'
csv crlf_bom       '\xef\xbb\xbfx,y\r\n0.1,0.2\r\n\r\n0.3,0.4\r\n'
csv quoted         '"a","b"\n"1.5", "2"\n  3 ,\t4\n'
csv specials       'nan,inf,-inf,Infinity\n-0,1e-45,3.4028235e38,-1.17549435e-38\n'
csv one_column     'value\n1\n2\n3\n4\n5\n6\n7\n8\n'
csv single         '42'
csv header_only    'a,b,c\n'
csv ragged         '1,2\n3\n'
csv semicolons     '1;2;3\n4;5;6\n'
csv mixed_header   'a,1,b\n2,3,4\n'
csv too_big        '1e39,2\n3,4\n'
csv blank          '\n\n  \n'

echo "make_corpus: $(ls "$out/model" | wc -l) model, $(ls "$out/npy" | wc -l) npy, $(ls "$out/csv" | wc -l) csv seeds in $out"
