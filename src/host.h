/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HOST_H
#define HOST_H

#include <stddef.h>

#include "uplink.h"

int host_open(const struct uplink_conf *c, struct uplink_info *info, char *err,
	      size_t errlen);

#endif /* HOST_H */
