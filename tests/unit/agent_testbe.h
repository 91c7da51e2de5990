/*
 * agent_testbe.h — the MDM agent's test-only backend (agent_testbe.c) and
 * helpers to run the conformance MDM server (tests/mdm, build/mdmserver)
 * from a unit test.
 */
#ifndef MACEXT_TEST_AGENT_TESTBE_H
#define MACEXT_TEST_AGENT_TESTBE_H

#include <stdatomic.h>

struct mx_agent_backend;
const struct mx_agent_backend *agent_test_backend(void);
/* Commands the test backend ran (not answered from the store). */
extern _Atomic long tb_executed;

#endif
