/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "unit.h"

int unit_failed_checks;

/**
 * unit_main() - run a suite of unit tests
 * @suite:	name printed with the results
 * @tests:	the tests
 * @n:		how many
 *
 * Return: 0 if every test passed, 1 otherwise
 */
int unit_main(const char *suite, const struct unit_test *tests, size_t n)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		int before = unit_failed_checks;

		tests[i].fn();
		if (unit_failed_checks == before) {
			passed++;
			printf("ok   %s/%s\n", suite, tests[i].name);
		} else {
			failed++;
			printf("FAIL %s/%s\n", suite, tests[i].name);
		}
	}
	printf("%s: %d passed, %d failed\n", suite, passed, failed);
	return failed ? 1 : 0;
}
