#!/usr/bin/env bash
# Run every end-to-end test (tests/e2e/t_*.sh), each with a time limit.
# Exit status 77 from a test means skipped. Prints a "N passed, N failed,
# N skipped" summary line and fails if any test failed.
set -uo pipefail

dir=$(cd "$(dirname "$0")" && pwd)
limit=${E2E_TIMEOUT:-600}
passed=0 failed=0 skipped=0
failures=()
for t in "$dir"/t_*.sh; do
	name=$(basename "$t" .sh)
	if [ -n "${E2E_ONLY:-}" ] && [[ $name != *"$E2E_ONLY"* ]]; then
		continue
	fi
	start=$SECONDS
	timeout --kill-after=10 "$limit" bash "$t"
	rc=$?
	took=$((SECONDS - start))
	case $rc in
	0)
		echo "PASS $name (${took}s)"
		passed=$((passed + 1))
		;;
	77)
		echo "SKIP $name"
		skipped=$((skipped + 1))
		;;
	*)
		echo "FAIL $name (exit $rc, ${took}s)"
		failed=$((failed + 1))
		failures+=("$name")
		;;
	esac
done
echo "e2e: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || {
	echo "failed: ${failures[*]}"
	exit 1
}
