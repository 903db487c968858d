/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal unit test support: CHECK() records a failure and carries on,
 * unit_main() runs every test and prints "N passed, N failed".
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

extern int unit_failed_checks;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			unit_failed_checks++;                                  \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr,                                        \
				"%s:%d: CHECK failed: %s == %s "               \
				"(%lld != %lld)\n",                            \
				__FILE__, __LINE__, #a, #b, _a, _b);           \
			unit_failed_checks++;                                  \
		}                                                              \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                        \
	do {                                                                   \
		const char *_h = (hay), *_n = (needle);                        \
		if (!_h || !strstr(_h, _n)) {                                  \
			fprintf(stderr,                                        \
				"%s:%d: CHECK failed: \"%s\" does not "        \
				"contain \"%s\"\n",                            \
				__FILE__, __LINE__, _h ? _h : "(null)", _n);   \
			unit_failed_checks++;                                  \
		}                                                              \
	} while (0)

int unit_main(const char *suite, const struct unit_test *tests, size_t n);

#define UNIT_MAIN(suite, tests)                                                \
	int main(void)                                                         \
	{                                                                      \
		return unit_main(suite, tests,                                 \
				 sizeof(tests) / sizeof((tests)[0]));          \
	}

#endif /* UNIT_H */
