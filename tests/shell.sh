#!/usr/bin/env bash
# Shell helpers shared by the end-to-end tests (tests/e2e/lib.sh) and the
# benchmark (tests/bench/run.sh). The caller declares PIDS=() for bg.

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# bg CMD...: start CMD in the background, remember it for cleanup; sets
# BG_PID. With a shell function (sx, gx) BG_PID is a subshell's: use
# `bg ip netns exec NS PROG` when the program itself must be signalled.
bg() {
	"$@" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}
