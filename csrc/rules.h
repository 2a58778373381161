/* rules.h: conditions on an event's arguments ("where"), decided in C.
 *
 * A subscription may carry rules: a list of alternatives, any of which may
 * match; an alternative is a set of conditions, all of which must hold
 * (paths_under, paths_outside, writing, hosts, hosts_outside, ports,
 * programs, programs_outside, modules, modules_outside, args).  The one
 * written form is the rule text: a TOML inline table, or a TOML array of
 * inline tables for alternatives, e.g.
 *     {writing = true, paths_outside = ["/srv/app", "/tmp"]}
 * pyaudit.Where renders the same text; pyaudit/_rules.py is the Python
 * reference the tests hold this file to.
 *
 * Compiling checks everything against the subscription's patterns: an
 * unknown condition, a value of the wrong type, a relative directory, a
 * malformed address or CIDR range, or a condition that no event matched
 * by the patterns can satisfy is an error (-1 / NULL with a message in
 * pyaudit_error_get(), kind VALUE or TYPE).  Matching never fails: an
 * argument whose type no condition understands makes that condition false.
 */
#ifndef PYAUDIT_RULES_H
#define PYAUDIT_RULES_H

#include "compat.h"
#include "pattern.h"
#include "roles.h"

typedef struct pyaudit_rules pyaudit_rules;

/* Compile text for a subscription with these patterns.  NULL on error.
 * Pure C: callable before Python starts. */
pyaudit_rules *pyaudit_rules_compile(const char *text,
                                     const pyaudit_patterns *patterns);

/* Whether the event (name of len bytes, args borrowed) satisfies the
 * rules.  Needs the GIL of the event's interpreter; never leaves an
 * exception set.  May call os.fspath()'s protocol (__fspath__) for path
 * arguments that are neither str nor bytes: Python code can run. */
int pyaudit_rules_match(const pyaudit_rules *rules, const char *name,
                        size_t len, PyObject *args);

/* pyaudit_rules_match with the event's catalog roles already found
 * (pyaudit_roles_find of its name; NULL for an event the catalog does not
 * know). */
int pyaudit_rules_match_roles(const pyaudit_rules *rules,
                              const pyaudit_event_roles *roles,
                              PyObject *args);

/* pyaudit_rules_match_roles without running Python code: -1 when a path
 * argument would have to be asked for its path (__fspath__). */
int pyaudit_rules_decide_in_c(const pyaudit_rules *rules,
                              const pyaudit_event_roles *roles,
                              PyObject *args);

/* Whether the rules hold only for events that write (every alternative
 * asks writing = true): pyaudit_quick_writing's 0 then decides that they
 * hold for none. */
int pyaudit_rules_want_writes_only(const pyaudit_rules *rules);

/* pyaudit_rules_decide_in_c for an event that pyaudit_quick_writing
 * found to write (writes: 1) or could not decide (-2). */
int pyaudit_rules_decide_writes_in_c(const pyaudit_rules *rules,
                                     const pyaudit_event_roles *roles,
                                     PyObject *args, int writes);

/* The text the rules were compiled from (owned by rules), as listed by
 * pyaudit.subscriptions().  pyaudit's Python layer always passes the
 * canonical text (pyaudit.Where's rendering); a C host gets back what it
 * gave. */
const char *pyaudit_rules_text(const pyaudit_rules *rules);

void pyaudit_rules_free(pyaudit_rules *rules);

#endif /* PYAUDIT_RULES_H */
