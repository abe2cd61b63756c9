#!/usr/bin/env bash
# Run every unit test binary given on the command line; cmocka prints each
# test's result. Prints a "N passed, N failed" summary of the binaries.
set -uo pipefail

passed=0 failed=0
for t in "$@"; do
	if "$t"; then
		passed=$((passed + 1))
	else
		echo "FAIL $(basename "$t")"
		failed=$((failed + 1))
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
