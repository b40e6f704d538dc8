#!/usr/bin/env bash
# Measures how fast kerasio reads .csv and .npy files (issue 10: reading must
# run at disk speed, with memory bounded by about twice the file's size).
#
#   bench/array_read_speed.sh [SOURCE_ROOT]
#
# Generates, in a temporary directory, a ~50 MB CSV (float32 values written
# with %.9g as kerasio writes them), a ~50 MB CSV as numpy.savetxt writes it
# (%.18e), a ~100 MB float32 .npy, a ~100 MB float64 .npy and a Fortran-order
# float32 .npy; compiles bench/ArrayReadSpeed/main.swift together with
# SOURCE_ROOT's Sources/KerasIO/ArrayFiles/*.swift (default: this checkout)
# into one module with -O -wmo, as `swift build -c release` compiles them,
# and prints each file's best read time (of REPETITIONS, default 3), as wall
# and CPU (user + system) time and MB/s, and the peak memory. "raw" is
# reading the bytes alone: the disk (page cache) speed to compare with. On a
# machine shared with other work the CPU figures are the steadier ones.
#
# To measure an older version: git archive <commit> Sources | tar -x -C /tmp/old
# then bench/array_read_speed.sh /tmp/old
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "${1:-$here}" && pwd)"
command -v swiftc >/dev/null 2>&1 || source "$here/scripts/setup"

work="$(mktemp -d "${TMPDIR:-/tmp}/kerasio-array-speed.XXXXXX")"
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(0)
# ~50 MB: 16 bytes per value on average with %.9g.
values = rng.standard_normal((65_000, 64)).astype(np.float32)
np.savetxt(f"{work}/kerasio_style.csv", values, fmt="%.9g", delimiter=",",
           header=",".join(f"x{i}" for i in range(64)), comments="")
np.savetxt(f"{work}/savetxt_style.csv", values[:30_000].astype(np.float64), fmt="%.18e", delimiter=",")
np.save(f"{work}/float32.npy", rng.standard_normal((25_000_000,)).astype(np.float32).reshape(250_000, 100))
np.save(f"{work}/float64.npy", rng.standard_normal((12_500_000,)).reshape(125_000, 100))
np.save(f"{work}/fortran.npy", np.asfortranarray(rng.standard_normal((5_000, 5_000)).astype(np.float32)))
PY

sources=("$root"/Sources/KerasIO/ArrayFiles/*.swift "$root"/Sources/KerasIO/HDF5/HDF5OpenError.swift)
# In the temporary directory: swiftc leaves module files in the current one.
(cd "$work" && swiftc -O -wmo -module-name ArrayReadSpeed -o "$work/array-read-speed" \
    "${sources[@]}" "$here/bench/ArrayReadSpeed/main.swift")

for file in kerasio_style.csv savetxt_style.csv float32.npy float64.npy fortran.npy; do
    "$work/array-read-speed" raw "$work/$file"
    "$work/array-read-speed" "${file##*.}" "$work/$file" "${REPETITIONS:-3}" | sed "s|^|$file: |"
done
