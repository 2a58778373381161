/* sync.h: how the hook reads shared state while other threads change it.
 *
 * The hook never takes a lock.  It reads the current table through one
 * pointer; configuration (subscribe, close) builds a new table, publishes
 * it with a release store and frees the old one once no hook call can
 * still be reading it.  When can that be?
 *
 *   - Before 3.12 every interpreter shares the one GIL: a hook call that
 *     reads the table holds it, and so does every writer (the C API takes
 *     it), so hook calls never overlap a writer and the old table can go
 *     at once.
 *   - From 3.12 an interpreter can have a GIL of its own, and CPython does
 *     not always announce a new one (3.13 makes interpreters without
 *     raising cpython.PyInterpreterState_New).  So each thread that runs
 *     the hook has a reader slot whose sequence number is odd while it is
 *     inside the lock-free part of the hook.  A writer publishes and, if
 *     another interpreter exists, makes every running thread execute a
 *     memory barrier (Linux membarrier, an asymmetric barrier: readers pay
 *     for no fence) and waits until each slot that was odd has moved on.
 *     Where membarrier is not available, readers fence instead.
 *
 * Readers write only their own slot (two plain stores per hook call, no
 * atomic read-modify-write, no fence).  The lock-free part of the hook is
 * short and never blocks: anything that may run Python code or wait takes
 * a reference on the table and leaves the section first.
 */
#ifndef PYAUDIT_SYNC_H
#define PYAUDIT_SYNC_H

#include "compat.h"

#include <stdint.h>

/* ---- reader sections ---------------------------------------------------- */

typedef struct pyaudit_reader {
    unsigned long seq;              /* odd while inside; written only by
                                       its thread */
    int in_use;                     /* owned by a live thread */
    struct pyaudit_reader *next;    /* the registry (never unlinked) */
} pyaudit_reader;

/* Whether readers mark their slots: hook calls may overlap (a constant). */
#define PYAUDIT_READERS_MARK PYAUDIT_INTERPRETERS_MAY_RUN_IN_PARALLEL

/* 1 when writers use membarrier, so readers need no fence. */
extern int pyaudit_have_membarrier;
extern PYAUDIT_FAST_THREAD_LOCAL pyaudit_reader *pyaudit_my_reader;

/* Leave for a thread counted as unregistered (pyaudit_read_begin_slow). */
void pyaudit_reader_leave_unregistered(void);

/* Enter the lock-free part of the hook (when PYAUDIT_READERS_MARK) with
 * this thread's slot, which pyaudit_my_reader holds once
 * pyaudit_read_begin_slow has made it. */
static inline void
pyaudit_read_enter(pyaudit_reader *reader)
{
    PYAUDIT_STORE_RELAXED(reader->seq, reader->seq + 1);
    if (PYAUDIT_LIKELY(PYAUDIT_LOAD_RELAXED(pyaudit_have_membarrier))) {
        PYAUDIT_COMPILER_BARRIER();
    }
    else {
        PYAUDIT_FENCE();
    }
}

/* Enter for a thread without a slot (its first hook call): make the slot
 * and enter with it, or count the thread as unregistered if there is no
 * memory for one.  Out of line. */
void pyaudit_read_begin_slow(void);

static inline void
pyaudit_read_end(pyaudit_reader *reader)
{
    if (PYAUDIT_LIKELY(reader != NULL)) {
        PYAUDIT_STORE_RELEASE(reader->seq, reader->seq + 1);
    }
    else {
        pyaudit_reader_leave_unregistered();
    }
}

/* Wait until no hook call can still use what was reachable before the
 * caller's last publish.  others_may_read(): whether a thread that does
 * not share the caller's GIL may run the hook, asked after a full fence
 * (an interpreter made after the fence reads the new table).  Returns at
 * once when readers do not mark.  Must not be called inside a reader
 * section. */
void pyaudit_synchronize(int (*others_may_read)(void));

/* ---- spinlocks ------------------------------------------------------------ */

/* A lock for the few stores a hit makes into a subscription's buffer or
 * counts, held for tens of instructions and never across a call into
 * Python.  A lock held by a thread that no longer exists after fork() is
 * taken over: the word records the fork generation of its holder. */
typedef struct {
    unsigned long word;             /* 0, or (generation << 1) | 1 */
} pyaudit_spinlock;

extern unsigned long pyaudit_fork_generation;

void pyaudit_spin_lock_slow(pyaudit_spinlock *lock);

static inline void
pyaudit_spin_lock(pyaudit_spinlock *lock)
{
    unsigned long expected = 0;
    unsigned long held = (PYAUDIT_LOAD_RELAXED(pyaudit_fork_generation) << 1)
                         | 1;
    if (PYAUDIT_UNLIKELY(!PYAUDIT_CAS(lock->word, expected, held))) {
        pyaudit_spin_lock_slow(lock);
    }
}

static inline void
pyaudit_spin_unlock(pyaudit_spinlock *lock)
{
    PYAUDIT_STORE_RELEASE(lock->word, 0);
}

/* ---- the configuration lock ----------------------------------------------- */

/* Serialises configuration (subscribe, close, install, interpreter
 * homes) across every interpreter and thread.  Never held while Python
 * code runs or while waiting for a GIL. */
void pyaudit_config_lock(void);
void pyaudit_config_unlock(void);

/* ---- process-wide set-up -------------------------------------------------- */

/* The per-process seed of the event-name hash (see bytes.h). */
extern uint64_t pyaudit_hash_seed;

/* Once per process, before any table exists: seed the hash and register
 * the fork handlers.  Idempotent and thread-safe. */
void pyaudit_sync_init(void);

#endif /* PYAUDIT_SYNC_H */
