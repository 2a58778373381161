/* sub.c: subscriptions (see sub.h). */
#include "sub.h"
#include "rules.h"

#include <stdlib.h>

const char *const pyaudit_kind_names[PYAUDIT_KIND_LIMIT] = {
    "internal", "count", "record", "sink", "watch", "deny", "filter",
};

pyaudit_sub *
pyaudit_sub_new(pyaudit_kind kind)
{
    pyaudit_sub *sub = calloc(1, sizeof(pyaudit_sub));
    if (sub == NULL) {
        return NULL;
    }
    sub->refcnt = 1;
    sub->kind = kind;
    sub->active = 1;
    return sub;
}

void
pyaudit_sub_release_callable(pyaudit_sub *sub)
{
    Py_CLEAR(sub->callable);
}

void
pyaudit_sub_decref(pyaudit_sub *sub)
{
    if (--sub->refcnt > 0) {
        return;
    }
    pyaudit_sub_release_callable(sub);
    pyaudit_ring_free(sub->ring);
    pyaudit_counts_free(sub->counts);
    pyaudit_rules_free(sub->rules);
    pyaudit_patterns_clear(&sub->patterns);
    free(sub);
}
