/* sync.c: reader sections, spinlocks and the configuration lock
 * (see sync.h). */
#include "sync.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/syscall.h>
#  if defined(SYS_membarrier)
#    include <linux/membarrier.h>
#    define HAVE_MEMBARRIER 1
#  endif
#endif

int pyaudit_have_membarrier;
PYAUDIT_FAST_THREAD_LOCAL pyaudit_reader *pyaudit_my_reader;
unsigned long pyaudit_fork_generation;
uint64_t pyaudit_hash_seed;

static pyaudit_reader *readers;         /* the registry; pushed with CAS */
static long unregistered;               /* readers inside without a slot */
static pthread_key_t reader_key;        /* frees a slot at thread exit */
static pthread_mutex_t config_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* ---- reader sections ---------------------------------------------------- */

static void
release_reader(void *slot)
{
    pyaudit_reader *reader = slot;
    PYAUDIT_STORE_RELEASE(reader->in_use, 0);
}

/* This thread's slot, made on its first hook call.  NULL if no memory:
 * the thread then counts itself in a shared counter instead. */
static pyaudit_reader *
reader_register(void)
{
    pyaudit_sync_init();
    /* Reuse the slot of a thread that has exited, if any. */
    pyaudit_reader *reader;
    for (reader = PYAUDIT_LOAD_ACQUIRE(readers); reader != NULL;
         reader = reader->next) {
        int expected = 0;
        if (PYAUDIT_LOAD_RELAXED(reader->in_use) == 0
            && PYAUDIT_CAS(reader->in_use, expected, 1)) {
            break;
        }
    }
    if (reader == NULL) {
        reader = calloc(1, sizeof(pyaudit_reader));
        if (reader == NULL) {
            return NULL;
        }
        reader->in_use = 1;
        pyaudit_reader *head = PYAUDIT_LOAD_RELAXED(readers);
        do {
            reader->next = head;
        } while (!__atomic_compare_exchange_n(&readers, &head, reader, 0,
                                              __ATOMIC_RELEASE,
                                              __ATOMIC_RELAXED));
    }
    if (pthread_setspecific(reader_key, reader) != 0) {
        /* Without the destructor the slot would never be reused: give it
         * back and go without. */
        PYAUDIT_STORE_RELEASE(reader->in_use, 0);
        return NULL;
    }
    pyaudit_my_reader = reader;
    return reader;
}

static void
reader_enter_unregistered(void)
{
    __atomic_fetch_add(&unregistered, 1, __ATOMIC_SEQ_CST);
}

void
pyaudit_reader_leave_unregistered(void)
{
    __atomic_fetch_sub(&unregistered, 1, __ATOMIC_RELEASE);
}

void
pyaudit_read_begin_slow(void)
{
    pyaudit_reader *reader = reader_register();
    if (reader != NULL) {
        pyaudit_read_enter(reader);
    }
    else {
        reader_enter_unregistered();
    }
}

#if defined(HAVE_MEMBARRIER)
static int
membarrier(int command)
{
    return (int)syscall(SYS_membarrier, command, 0, 0);
}
#endif

/* Register for membarrier once per process (where readers mark). */
static void
register_membarrier(void)
{
#if defined(HAVE_MEMBARRIER)
    int supported = membarrier(MEMBARRIER_CMD_QUERY);
    if (supported > 0
        && (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED)
        && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
        PYAUDIT_STORE_RELAXED(pyaudit_have_membarrier, 1);
    }
#endif
}

/* Let every thread that may be inside a reader section execute a full
 * barrier, so that its odd sequence number is visible and its loads made
 * after it see what was published before. */
static void
barrier_on_every_thread(void)
{
#if defined(HAVE_MEMBARRIER)
    if (PYAUDIT_LOAD_RELAXED(pyaudit_have_membarrier)) {
        if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) {
            return;
        }
        /* Not expected once registered; readers fence from now on, and
         * those already inside get a scheduler tick to be seen. */
        PYAUDIT_STORE_RELAXED(pyaudit_have_membarrier, 0);
        PYAUDIT_FENCE();
        struct timespec tick = {0, 2000000};
        nanosleep(&tick, NULL);
    }
#endif
    PYAUDIT_FENCE();
}

static void
pause_a_little(unsigned *spins)
{
    if (++*spins % 64 == 0) {
        sched_yield();
    }
}

void
pyaudit_synchronize(int (*others_may_read)(void))
{
    if (!PYAUDIT_READERS_MARK) {
        return;
    }
    /* Pairs with the lock CPython takes to link a new interpreter, before
     * any of its code runs: either it is seen now, or it reads the new
     * table. */
    PYAUDIT_FENCE();
    if (!PYAUDIT_THREADS_RUN_IN_PARALLEL && !others_may_read()) {
        return;
    }
    barrier_on_every_thread();
    pyaudit_reader *self = pyaudit_my_reader;
    for (pyaudit_reader *reader = PYAUDIT_LOAD_ACQUIRE(readers);
         reader != NULL; reader = reader->next) {
        if (reader == self) {
            continue;       /* never inside: writers are not readers */
        }
        unsigned long seq = PYAUDIT_LOAD_ACQUIRE(reader->seq);
        unsigned spins = 0;
        while ((seq & 1) && PYAUDIT_LOAD_ACQUIRE(reader->seq) == seq) {
            pause_a_little(&spins);
        }
    }
    unsigned spins = 0;
    while (__atomic_load_n(&unregistered, __ATOMIC_ACQUIRE) != 0) {
        pause_a_little(&spins);
    }
}

/* ---- spinlocks ------------------------------------------------------------ */

void
pyaudit_spin_lock_slow(pyaudit_spinlock *lock)
{
    unsigned spins = 0;
    for (;;) {
        unsigned long generation = PYAUDIT_LOAD_RELAXED(
            pyaudit_fork_generation);
        unsigned long held = (generation << 1) | 1;
        unsigned long seen = PYAUDIT_LOAD_RELAXED(lock->word);
        if (seen == 0 || (seen >> 1) != generation) {
            /* Free, or held by a thread that did not survive a fork. */
            if (PYAUDIT_CAS(lock->word, seen, held)) {
                return;
            }
            continue;
        }
        pause_a_little(&spins);
    }
}

/* ---- the configuration lock ----------------------------------------------- */

void
pyaudit_config_lock(void)
{
    pthread_mutex_lock(&config_mutex);
}

void
pyaudit_config_unlock(void)
{
    pthread_mutex_unlock(&config_mutex);
}

/* ---- process-wide set-up -------------------------------------------------- */

/* In the child of fork() only the forking thread exists, outside the hook:
 * no reader is inside, no configuration is under way, and locks held by
 * other threads belong to nobody. */
static void
after_fork_in_child(void)
{
    PYAUDIT_STORE_RELAXED(pyaudit_fork_generation,
                          pyaudit_fork_generation + 1);
    pyaudit_reader *self = pyaudit_my_reader;
    for (pyaudit_reader *reader = readers; reader != NULL;
         reader = reader->next) {
        reader->seq = 0;
        reader->in_use = reader == self;
    }
    unregistered = 0;
    pthread_mutex_init(&config_mutex, NULL);
}

static uint64_t
random_seed(void)
{
    uint64_t seed = 0;
#if defined(__linux__) && defined(SYS_getrandom)
    if (syscall(SYS_getrandom, &seed, sizeof(seed), 0)
        == (long)sizeof(seed)) {
        return seed | 1;
    }
#endif
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    seed = ((uint64_t)now.tv_nsec << 32) ^ (uint64_t)now.tv_sec
           ^ ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&seed;
    return seed | 1;
}

static void
init_once_per_process(void)
{
    pyaudit_hash_seed = random_seed();
    if (PYAUDIT_READERS_MARK) {
        register_membarrier();
    }
    pthread_key_create(&reader_key, release_reader);
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

void
pyaudit_sync_init(void)
{
    pthread_once(&init_once, init_once_per_process);
}
