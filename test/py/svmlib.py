# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the Python test suites (integration.py, guard_attacks.py)."""


class TestFailure(Exception):
    pass


class TestTimeout(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def mac(n):
    """A locally administered unicast MAC 02:00:00:00:xx:yy."""
    return bytes([0x02, 0x00, 0x00, 0x00, (n >> 8) & 0xFF, n & 0xFF])


def fmt_mac(m):
    return ":".join("%02x" % b for b in m)
