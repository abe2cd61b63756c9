/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - what the hook does to the system for a domain: start its
 * vgate processes, join shared networks, expose forwards, and undo all of
 * it
 *
 * Every function that starts something undoes what it did when a later
 * step fails, so a failed start leaves no vgate and no state behind.
 * Errors are returned as -errno with one line in @err; nothing is printed.
 */
#ifndef VGATE_HOOK_RUNTIME_H
#define VGATE_HOOK_RUNTIME_H

#include "plan.h"

#include <sys/types.h>

/*
 * runtime_start() - start every vgate of @pl (the plan of @d), expose the
 * domain's forwards, join its shared networks. Leftover state of an
 * earlier run of the domain is cleaned first.
 * Return: 0, or -errno with @err set (everything started was stopped).
 */
int runtime_start(const struct meta_domain *d, const struct plan *pl, const struct plan_paths *p,
		  char *err, size_t errlen);

/*
 * runtime_stop() - stop the vgate processes of domain @name, leave its
 * shared networks (the last member stops the network's vgate) and remove
 * its state. Driven by the state on disk, not by the domain XML.
 * Return: 0, or -errno with @err set (what could be removed was removed).
 */
int runtime_stop(const char *name, const struct plan_paths *p, char *err, size_t errlen);

/*
 * runtime_check() - is every vgate of @pl running and answering?
 * Return: 0, or -ESRCH with @err naming the first that is not.
 */
int runtime_check(const struct plan *pl, char *err, size_t errlen);

/*
 * runtime_reconnect() - after libvirtd restarted: start again every vgate
 * of @pl that is no longer running, with its forwards.
 * Return: 0, or -errno with @err set.
 */
int runtime_reconnect(const struct meta_domain *d, const struct plan *pl,
		      const struct plan_paths *p, char *err, size_t errlen);

/*
 * runtime_forward_add() - expose @f on the running vgate of @pn for domain
 * @name (and record it as the domain's on a shared network)
 * Return: 0, -ENOENT (no guest address for it), -ECONNREFUSED (vgate not
 * reachable) or -EIO (vgate refused it; @err has its answer).
 */
int runtime_forward_add(const struct plan_net *pn, const char *name, const struct meta_forward *f,
			char *err, size_t errlen);

/* runtime_forward_remove() - unexpose @f (and drop its record). Return: as above. */
int runtime_forward_remove(const struct plan_net *pn, const char *name,
			   const struct meta_forward *f, char *err, size_t errlen);

/*
 * runtime_socket_owner() - who QEMU runs as: the domain's DAC label
 * ("+64055:+108" or "user:group"), else user/group in @qemu_conf, else
 * libvirt-qemu, else root.
 */
void runtime_socket_owner(const char *dac_label, const char *qemu_conf, uid_t *uid, gid_t *gid);

#endif
