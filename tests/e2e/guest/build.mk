# The real test guest (tests/e2e/guest/README.md) and `make demo`.
# Included by the top-level Makefile before its rules.

# The guest's scripts are linted with the rest (init and udhcpc.script run
# under busybox sh and say so to shellcheck).
EXTRA_SHELL += tests/e2e/guest/build.sh tests/e2e/guest/init tests/e2e/guest/udhcpc.script

.PHONY: demo guest
# A real VM on vgate inside a sandbox namespace (root): installs what is
# missing, builds vgate and the guest, shows the lease, DNS, a download and
# a forward into the guest, then cleans up.
demo: deps
	@$(MAKE) --no-print-directory $(OUT)/vgate
	@bash scripts/demo.sh $(OUT)/vgate

# Only the guest: build/guest/{vmlinux,initramfs.cpio}.
guest:
	@bash tests/e2e/guest/build.sh build/guest
