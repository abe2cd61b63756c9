/* SPDX-License-Identifier: MIT */
/*
 * gateway.h - the switch's port 0: the virtual network's router
 */
#ifndef VGATE_GATEWAY_H
#define VGATE_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

/* A frame the switch delivered to the gateway. Return: 0 (taken) */
int gateway_input(const uint8_t *frame, size_t len);

#endif
