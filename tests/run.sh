#!/bin/sh
# run.sh: runs the test suite optimised and under ASan + UBSan, and ends with the total
# "N passed, N failed" over both runs. Exits non-zero on any failure.
cd "$(dirname "$0")/.." || exit 2
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
total_pass=0 total_fail=0 status=0
for variant in test test-san; do
    bin=build/attnlab
    [ "$variant" = test-san ] && bin=build/attnlab-san
    echo "== build/$variant"
    log=$(mktemp)
    ATTNLAB_BIN=$bin ./build/$variant "$@" 2>&1 | tee "$log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    rm -f "$log"
    if [ -z "$line" ]; then
        echo "build/$variant stopped before its summary"
        status=1
        total_fail=$((total_fail + 1))
        continue
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed*}
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
done
[ "$total_fail" -eq 0 ] || status=1
echo "$total_pass passed, $total_fail failed"
exit $status
