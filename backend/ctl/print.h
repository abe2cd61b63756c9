/* SPDX-License-Identifier: MIT */
/*
 * print.h - vgatectl's human tables, one function per API answer
 *
 * Each printer takes the parsed answer (a yajl tree) and a stream, checks
 * the shape it needs and prints aligned columns. Return: 0, or -EPROTO when
 * the answer does not have the expected shape (nothing is printed then).
 */
#ifndef VGATE_PRINT_H
#define VGATE_PRINT_H

#include <stdio.h>
#include <yajl/yajl_tree.h>

/* Widest table printed (columns). */
#define PRINT_COLS_MAX 12

/* A flat object as "KEY  VALUE" lines, in the answer's order (/stats, /v1/health). */
int print_object(FILE *f, yajl_val v);

/* /services/forwarder/all: LOCAL REMOTE PROTOCOL. */
int print_forwards(FILE *f, yajl_val v);

/* /v1/leases: IP MAC HOSTNAME EXPIRES. */
int print_leases(FILE *f, yajl_val v);

/* /services/dhcp/leases (gvproxy's {"ip":"mac"}): IP MAC. */
int print_dhcp_leases(FILE *f, yajl_val v);

/* /services/dns/all: ZONE NAME IP IPV6, a "*" row for a DefaultIP. */
int print_dns_zones(FILE *f, yajl_val v);

/* /v1/version: "vgate VERSION (lwIP FLAVOUR)". */
int print_version(FILE *f, yajl_val v);

/* /v1/ports: one row per VM port with its frame and byte counters. */
int print_ports(FILE *f, yajl_val v);

/* The flow counters of /stats: one row per protocol (tcp, udp, icmp). */
int print_flow_counters(FILE *f, yajl_val stats);

/* An array of flat objects, columns from the first object's keys (/v1/flows). */
int print_rows(FILE *f, yajl_val v);

#endif
