#!/usr/bin/env bash
# The unix API sockets' permissions: 0600 by default; --api-mode and
# --api-group open them to a group; a mode beyond owner and group
# read/write, or an unknown group, stops the start with the reason and
# leaves no socket behind.
. "$(dirname "$0")/lib.sh"
e2e_init

perms() { stat -c '%a %g' "$1"; }

start_vgate -listen "unix://$T/a.sock" -services "unix://$T/s.sock"
[ "$(perms "$T/a.sock")" = "600 0" ] || fail "-listen socket: $(perms "$T/a.sock"), want 600 0"
[ "$(perms "$T/s.sock")" = "600 0" ] || fail "-services socket: $(perms "$T/s.sock"), want 600 0"
stop_vgate
pass "unix API sockets are 0600, root's group, by default"

start_vgate -listen "unix://$T/a.sock" -services "unix://$T/s.sock" --api-mode 0660 --api-group 4242
[ "$(perms "$T/a.sock")" = "660 4242" ] || fail "-listen socket: $(perms "$T/a.sock"), want 660 4242"
[ "$(perms "$T/s.sock")" = "660 4242" ] || fail "-services socket: $(perms "$T/s.sock"), want 660 4242"
api /v1/health "$T/a.sock" | grep -q '"ok"' || fail "the API does not answer on the group socket"
stop_vgate
gname=$(getent group 0 | cut -d: -f1)
start_vgate -listen "unix://$T/a.sock" --api-mode 640 --api-group "$gname"
[ "$(perms "$T/a.sock")" = "640 0" ] || fail "--api-group $gname: $(perms "$T/a.sock"), want 640 0"
stop_vgate
pass "--api-mode 0660 --api-group 4242 (a number) and --api-group $gname (a name)"

# bad NAME ARGS... PATTERN: vgate exits 1 with PATTERN on stderr, no socket left.
bad() {
	local name=$1 pattern=${*: -1} rc=0
	set -- "${@:2:$#-2}"
	sx timeout 10 "$VGATE" -listen "unix://$T/b.sock" --resolv-conf "$T/resolv.conf" "$@" \
		>"$T/$name.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "$name: exit $rc, want 1: $(cat "$T/$name.out")"
	grep -q -e "$pattern" "$T/$name.out" || fail "$name: no /$pattern/ in: $(cat "$T/$name.out")"
	[ ! -e "$T/b.sock" ] || fail "$name: the socket was left behind"
}
bad world --api-mode 0666 "--api-mode 0666: an octal mode from 0600 to 0660"
bad exec --api-mode 0700 "--api-mode 0700"
bad owner --api-mode 0060 "--api-mode 0060"
bad garbage --api-mode rw-rw---- "--api-mode rw-rw----"
bad group --api-group no-such-group-here "--api-group no-such-group-here: no such group"
pass "--api-mode 0666, 0700, 0060, garbage and an unknown --api-group: exit 1 with the reason"
