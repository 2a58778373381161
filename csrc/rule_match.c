/* rule_match.c: deciding an event with compiled rules (see rules.h).
 *
 * The meaning is that of pyaudit/_rules.py.  The writing test comes first
 * and decides an open for reading from its mode and flags alone; str,
 * bytes, int and tuple arguments are read with CPython's cheap accessors,
 * and only other objects are asked for their path (__fspath__, which can
 * run Python code).  A condition that cannot be decided is false; nothing
 * here leaves an exception set.
 */
#include "rules_compiled.h"
#include "rule_quick.h"
#include "bytes.h"
#include "paths.h"

#include <string.h>

const unsigned char pyaudit_mode_writes[128] = {
    ['w'] = 1, ['a'] = 1, ['x'] = 1, ['+'] = 1,
};

/* Bytes read from an argument; owner keeps them alive when they are not
 * the argument's own (owned reference, or NULL). */
typedef struct {
    const char *bytes;
    size_t len;
    PyObject *owner;
} byte_view;

/* The roles of an event the patterns match, or NULL if unknown. */
static inline const pyaudit_event_roles *
find_roles(const pyaudit_rules *rules, const char *name, size_t len)
{
    uint32_t at = pyaudit_roles_slot(name, len) & rules->mask;
    for (;;) {
        const pyaudit_event_roles *roles = rules->slots[at];
        if (roles == NULL || (roles->len == len
                              && pyaudit_bytes_equal(roles->name, name,
                                                     len))) {
            return roles;
        }
        at = (at + 1) & rules->mask;
    }
}

/* A str as UTF-8 (strictly) or bytes as they are.  1, or 0 for anything
 * else and for a str holding lone surrogates. */
static int
utf8_view(PyObject *value, byte_view *view)
{
    view->owner = NULL;
    if (PyBytes_Check(value)) {
        view->bytes = PyBytes_AS_STRING(value);
        view->len = (size_t)PyBytes_GET_SIZE(value);
        return 1;
    }
    if (!PyUnicode_Check(value)) {
        return 0;
    }
    Py_ssize_t size;
    view->bytes = PyUnicode_AsUTF8AndSize(value, &size);
    if (view->bytes == NULL) {
        PyErr_Clear();
        return 0;
    }
    view->len = (size_t)size;
    return 1;
}

/* A str or bytes path as the file system sees it (os.fsencode). */
static int
fs_view(PyObject *value, byte_view *view)
{
    if (PyUnicode_Check(value) && PYAUDIT_UNICODE_READY(value) == 0
        && PyUnicode_IS_ASCII(value)) {
        /* Its own bytes, which are its UTF-8 (and NUL-terminated). */
        view->owner = NULL;
        view->bytes = (const char *)PyUnicode_DATA(value);
        view->len = (size_t)PyUnicode_GET_LENGTH(value);
        return 1;
    }
    if (PyBytes_Check(value)) {
        return utf8_view(value, view);
    }
    view->owner = PyUnicode_EncodeFSDefault(value);
    if (view->owner == NULL) {
        PyErr_Clear();
        return 0;
    }
    view->bytes = PyBytes_AS_STRING(view->owner);
    view->len = (size_t)PyBytes_GET_SIZE(view->owner);
    return 1;
}

/* Set while pyaudit_rules_decide_in_c runs on this thread: a path that
 * would need __fspath__ is not asked for, and python_wanted says so. */
static PYAUDIT_FAST_THREAD_LOCAL int no_python;
static PYAUDIT_FAST_THREAD_LOCAL int python_wanted;

/* A path argument as bytes: str, bytes or an os.PathLike; 0 for an int
 * (a file descriptor), None or anything else, and when __fspath__ fails.
 * Release view->owner after use. */
static int
path_view(PyObject *value, byte_view *view)
{
    view->owner = NULL;
    if (PyLong_Check(value) || value == Py_None) {
        return 0;
    }
    if (PyUnicode_Check(value) || PyBytes_Check(value)) {
        return fs_view(value, view);
    }
    if (no_python) {
        python_wanted = 1;
        return 0;
    }
    PyObject *path = PyOS_FSPath(value);
    if (path == NULL) {
        PyErr_Clear();
        return 0;
    }
    int ok = fs_view(path, view);
    if (ok && view->owner == NULL) {
        view->owner = path;     /* the bytes are path's own */
    }
    else {
        Py_DECREF(path);
    }
    return ok;
}

/* ---- writing ------------------------------------------------------------ */

/* mode_writes() for any str (out of line: modes are ASCII). */
static PYAUDIT_NOINLINE int
any_mode_writes(PyObject *mode)
{
    if (PYAUDIT_UNICODE_READY(mode) < 0) {
        PyErr_Clear();
        return -1;
    }
    int kind = PyUnicode_KIND(mode);
    const void *data = PyUnicode_DATA(mode);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(mode); i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128 && pyaudit_mode_writes[c]) {
            return 1;
        }
    }
    return 0;
}

/* Whether an open's mode (a str) asks to write: 1, 0, or -1. */
static inline int
mode_writes(PyObject *mode)
{
    if (PYAUDIT_UNICODE_READY(mode) == 0 && PyUnicode_IS_ASCII(mode)) {
        const unsigned char *c =
            (const unsigned char *)PyUnicode_DATA(mode);
        for (; *c != '\0'; c++) {
            if (pyaudit_mode_writes[*c]) {      /* ASCII */
                return 1;
            }
        }
        return 0;
    }
    return any_mode_writes(mode);
}

/* The os.O_* bits of a flags int that ask to write (out of line: flags
 * fit one digit). */
static PYAUDIT_NOINLINE int
large_flags_write(PyObject *flags)
{
    return (PyLong_AsUnsignedLongLongMask(flags) & WRITE_FLAGS) != 0;
}

/* 1 if the event changes the file system, 0 if not, -1 when it cannot be
 * told. */
static int
decide_writing(const pyaudit_event_roles *roles, PyObject *args)
{
    if (roles == NULL) {
        return -1;
    }
    if (roles->writes) {
        return 1;
    }
    if (roles->open_mode < 0 && roles->open_flags < 0) {
        return roles->paths[0] >= 0 ? 0 : -1;
    }
    int decided = 0, writes = 0;
    PyObject *mode = argument(args, roles->open_mode);
    if (!is_none(mode)) {
        if (!PyUnicode_Check(mode)) {
            return -1;
        }
        writes = mode_writes(mode);
        if (writes < 0) {
            return -1;
        }
        decided = 1;
    }
    PyObject *flags = argument(args, roles->open_flags);
    if (!is_none(flags)) {
        long long small;
        if (!PyLong_CheckExact(flags)) {
            return -1;
        }
        writes |= pyaudit_compact_long(flags, &small)
                  ? (small & WRITE_FLAGS) != 0 : large_flags_write(flags);
        decided = 1;
    }
    return decided ? writes : -1;
}

/* ---- paths -------------------------------------------------------------- */

static int
in_strings(const pyaudit_strings *strings, const char *bytes, size_t len)
{
    for (size_t i = 0; i < strings->count; i++) {
        if (strings->lens[i] == len
            && memcmp(strings->items[i], bytes, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
under_any(const pyaudit_strings *dirs, const char *path, size_t len)
{
    for (size_t i = 0; i < dirs->count; i++) {
        if (pyaudit_path_is_under(path, len, dirs->items[i],
                                  dirs->lens[i])) {
            return 1;
        }
    }
    return 0;
}

/* Whether a dir_fd argument says "none": absent, None or -1. */
static int
no_dir_fd(PyObject *dir_fd)
{
    if (is_none(dir_fd)) {
        return 1;
    }
    if (!PyLong_CheckExact(dir_fd)) {
        return 0;
    }
    int overflow;
    long fd = PyLong_AsLongAndOverflow(dir_fd, &overflow);
    return !overflow && fd == -1;
}

/* One normalised path against both sides of an alternative. */
static inline void
judge_path(const pyaudit_alternative *alt, const char *path, size_t n,
           int *all_under, int *any_outside)
{
    *all_under &= under_any(&alt->dirs[PYAUDIT_IN], path, n);
    *any_outside |= !under_any(&alt->dirs[PYAUDIT_OUT], path, n);
}

/* judge_path for a path that needs normalising (relative, or with ".",
 * ".." or "//"): out of line, with its buffer.  0, or -1 if it cannot be
 * judged. */
static PYAUDIT_NOINLINE int
judge_normalised(const pyaudit_alternative *alt, const char *bytes,
                 size_t len, int *all_under, int *any_outside)
{
    char path[PYAUDIT_PATH_LIMIT];
    long n = pyaudit_path_normalise(bytes, len, path);
    if (n < 0) {
        return -1;
    }
    judge_path(alt, path, (size_t)n, all_under, any_outside);
    return 0;
}

/* Judge one path argument; -1 if it cannot be judged.  An absolute path
 * that is already normal is judged in place (path_view's bytes are a str's
 * or bytes' own, NUL-terminated). */
static int
judge_event_path(const pyaudit_alternative *alt, PyObject *value,
                 PyObject *dir_fd, int *all_under, int *any_outside)
{
    byte_view view;
    int judged = -1;
    if (path_view(value, &view)) {
        if (view.len > 0 && view.bytes[0] == '/'
            && view.len < PYAUDIT_PATH_LIMIT
            && pyaudit_path_is_plain(view.bytes, view.len)) {
            judge_path(alt, view.bytes, view.len, all_under, any_outside);
            judged = 0;
        }
        else if ((view.len > 0 && view.bytes[0] == '/')
                 || no_dir_fd(dir_fd)) {
            judged = judge_normalised(alt, view.bytes, view.len, all_under,
                                      any_outside);
        }
        Py_XDECREF(view.owner);
    }
    return judged;
}

static int
paths_hold(const pyaudit_alternative *alt, const pyaudit_event_roles *roles,
           PyObject *args)
{
    const pyaudit_strings *under = &alt->dirs[PYAUDIT_IN];
    const pyaudit_strings *outside = &alt->dirs[PYAUDIT_OUT];
    if (!under->given && !outside->given) {
        return 1;
    }
    if (roles == NULL || roles->paths[0] < 0) {
        return 0;
    }
    int npaths = 0, all_under = 1, any_outside = 0;
    for (int i = 0; i < PYAUDIT_MAX_PATHS; i++) {
        PyObject *value = argument(args, roles->paths[i]);
        if (is_none(value)) {
            continue;
        }
        npaths++;
        if (judge_event_path(alt, value, argument(args, roles->dir_fds[i]),
                             &all_under, &any_outside) < 0) {
            all_under = 0;
        }
    }
    return (!under->given || (npaths > 0 && all_under))
           && (!outside->given || any_outside);
}

/* ---- hosts and ports ---------------------------------------------------- */

typedef struct {
    int known;                  /* 0: no host, or one that is not text */
    int is_address;
    pyaudit_address address;
    const char *name;
    size_t name_n;
} host_key;

/* The key of a host given as text (n > 0 bytes): an address (an IPv6
 * zone such as "%eth0" left out) or a name. */
static void
text_host_key(const char *text, size_t n, host_key *key)
{
    const char *zone = memchr(text, '%', n);
    if (zone != NULL && memchr(text, ':', n) != NULL) {
        n = (size_t)(zone - text);
    }
    key->known = 1;
    key->is_address = pyaudit_parse_address(text, n, &key->address);
    key->name = text;
    key->name_n = n;
}

static void
make_host_key(PyObject *host, host_key *key)
{
    byte_view view;
    key->known = 0;
    if (host != NULL && utf8_view(host, &view) && view.len > 0) {
        text_host_key(view.bytes, view.len, key);
    }
}

static int
host_inside(const pyaudit_hosts *hosts, const host_key *key)
{
    if (key->is_address) {
        for (size_t i = 0; i < hosts->nnetworks; i++) {
            if (pyaudit_address_in(&key->address, &hosts->networks[i])) {
                return 1;
            }
        }
        return 0;
    }
    for (size_t i = 0; i < hosts->names.count; i++) {
        if (pyaudit_host_name_equal(key->name, key->name_n,
                                    hosts->names.items[i],
                                    hosts->names.lens[i])) {
            return 1;
        }
    }
    return 0;
}

/* A port argument: an int 0-65535, or str/bytes digits; -1 otherwise. */
static long
port_of(PyObject *value)
{
    byte_view view;
    if (value == NULL) {
        return -1;
    }
    if (PyLong_CheckExact(value)) {
        int overflow;
        long port = PyLong_AsLongAndOverflow(value, &overflow);
        return overflow || port < 0 || port > 65535 ? -1 : port;
    }
    if (!utf8_view(value, &view)) {
        return -1;
    }
    return pyaudit_parse_port(view.bytes, view.len);
}

/* The host and port of a network event. */
static void
endpoint(const pyaudit_event_roles *roles, PyObject *args, host_key *key,
         long *port)
{
    PyObject *host = NULL, *port_value = NULL;
    if (roles->address >= 0) {
        PyObject *address = argument(args, roles->address);
        if (address != NULL && PyTuple_Check(address)
            && PyTuple_GET_SIZE(address) >= 2) {
            host = PyTuple_GET_ITEM(address, 0);
            port_value = PyTuple_GET_ITEM(address, 1);
        }
    }
    else if (roles->url >= 0) {
        PyObject *url = argument(args, roles->url);
        byte_view view;
        const char *name = NULL;
        size_t name_n = 0;
        key->known = 0;
        *port = -1;
        if (url != NULL && utf8_view(url, &view)) {
            pyaudit_url_endpoint(view.bytes, view.len, &name, &name_n, port);
        }
        if (name != NULL) {
            text_host_key(name, name_n, key);
        }
        return;
    }
    else {
        host = argument(args, roles->host);
        port_value = argument(args, roles->port);
    }
    make_host_key(host, key);
    *port = port_of(port_value);
}

static int
endpoint_holds(const pyaudit_alternative *alt,
               const pyaudit_event_roles *roles, PyObject *args)
{
    if (!alt->hosts_given[0] && !alt->hosts_given[1] && alt->ports == NULL) {
        return 1;
    }
    if (roles == NULL) {
        return 0;
    }
    host_key key;
    long port;
    endpoint(roles, args, &key, &port);
    for (int side = 0; side < 2; side++) {
        if (alt->hosts_given[side]
            && (!key.known
                || host_inside(&alt->hosts[side], &key) != (side == 0))) {
            return 0;
        }
    }
    if (alt->ports == NULL) {
        return 1;
    }
    for (size_t i = 0; port >= 0 && i < alt->nports; i++) {
        if (alt->ports[i].low <= port && port <= alt->ports[i].high) {
            return 1;
        }
    }
    return 0;
}

/* ---- programs ----------------------------------------------------------- */

/* For one program (bytes), whether it is one of each side's entries:
 * states[side] is 1, 0, or -1 when it cannot be judged. */
static void
judge_program(const pyaudit_alternative *alt, const char *program,
              size_t len, int states[2])
{
    char path[PYAUDIT_PATH_LIMIT];
    const char *base = program;
    size_t base_n = len;
    const char *full = NULL;
    if (memchr(program, '/', len) != NULL) {
        long n = pyaudit_path_normalise(program, len, path);
        if (n < 0) {
            states[0] = states[1] = -1;
            return;
        }
        full = path;
        size_t at = pyaudit_path_basename_at(path, (size_t)n);
        base = path + at;
        base_n = (size_t)n - at;
        len = (size_t)n;
    }
    for (int side = 0; side < 2; side++) {
        const pyaudit_strings *entries = &alt->programs[side];
        states[side] = (full != NULL && in_strings(entries, full, len))
                       || in_strings(entries, base, base_n);
    }
}

static void
judge_program_object(const pyaudit_alternative *alt, PyObject *value,
                     int states[2])
{
    byte_view view;
    states[0] = states[1] = -1;
    if (value != NULL && path_view(value, &view)) {
        if (view.len > 0) {
            judge_program(alt, view.bytes, view.len, states);
        }
        Py_XDECREF(view.owner);
    }
}

/* The first word of a command line, as os.system's shell would split on
 * blanks (quoting is not understood). */
static void
judge_command(const pyaudit_alternative *alt, PyObject *command,
              int states[2])
{
    byte_view view;
    static const char blanks[] = " \t\n\r\v\f";
    states[0] = states[1] = -1;
    if (command == NULL || !utf8_view(command, &view)) {
        return;
    }
    size_t start = 0;
    while (start < view.len && memchr(blanks, view.bytes[start], 6)) {
        start++;
    }
    size_t end = start;
    while (end < view.len && !memchr(blanks, view.bytes[end], 6)) {
        end++;
    }
    if (end > start) {
        judge_program(alt, view.bytes + start, end - start, states);
    }
}

static int
programs_hold(const pyaudit_alternative *alt,
              const pyaudit_event_roles *roles, PyObject *args)
{
    if (!alt->programs[0].given && !alt->programs[1].given) {
        return 1;
    }
    if (roles == NULL || roles->program < 0) {
        return 0;
    }
    PyObject *value = argument(args, roles->program);
    int all_in = 1, any_out = 0, states[2];
    int sequence = value != NULL && (PyList_Check(value)
                                     || PyTuple_Check(value));
    pyaudit_program_shape shape = roles->program_shape;
    if (shape == PYAUDIT_PROGRAM_COMMAND || shape == PYAUDIT_PROGRAM_PATH
        || (shape == PYAUDIT_PROGRAM_ARGV && !sequence) || !sequence
        || PySequence_Fast_GET_SIZE(value) == 0) {
        /* One program: the command's first word, the value itself, or
         * none that can be judged (an empty or absent sequence). */
        if (shape == PYAUDIT_PROGRAM_COMMAND) {
            judge_command(alt, value, states);
        }
        else {
            int single = shape == PYAUDIT_PROGRAM_PATH
                         || (shape == PYAUDIT_PROGRAM_ARGV && !sequence);
            judge_program_object(alt, single ? value : NULL, states);
        }
        all_in = states[0] == 1;
        any_out = states[1] == 0;
    }
    else {
        /* Own the sequence: __fspath__ may run code that changes it. */
        Py_INCREF(value);
        Py_ssize_t count = shape == PYAUDIT_PROGRAM_LIST
                           ? PySequence_Fast_GET_SIZE(value) : 1;
        for (Py_ssize_t i = 0; i < count
                               && i < PySequence_Fast_GET_SIZE(value); i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(value, i);
            Py_INCREF(item);
            judge_program_object(alt, item, states);
            Py_DECREF(item);
            all_in &= states[0] == 1;
            any_out |= states[1] == 0;
        }
        Py_DECREF(value);
    }
    return (!alt->programs[0].given || all_in)
           && (!alt->programs[1].given || any_out);
}

/* ---- modules and args --------------------------------------------------- */

static int
modules_hold(const pyaudit_alternative *alt,
             const pyaudit_event_roles *roles, PyObject *args)
{
    if (!alt->modules[0].given && !alt->modules[1].given) {
        return 1;
    }
    byte_view view;
    PyObject *module = roles == NULL ? NULL : argument(args, roles->module);
    if (module == NULL || !PyUnicode_Check(module)
        || !utf8_view(module, &view)) {
        return 0;
    }
    for (int side = 0; side < 2; side++) {
        const pyaudit_strings *entries = &alt->modules[side];
        if (!entries->given) {
            continue;
        }
        int inside = 0;
        for (size_t i = 0; i < entries->count && !inside; i++) {
            size_t n = entries->lens[i];
            inside = view.len >= n
                     && memcmp(view.bytes, entries->items[i], n) == 0
                     && (view.len == n || view.bytes[n] == '.');
        }
        if (inside != (side == 0)) {
            return 0;
        }
    }
    return 1;
}

static int
value_equal(PyObject *value, const pyaudit_value *wanted)
{
    byte_view view;
    int overflow;
    switch (wanted->kind) {
    case PYAUDIT_VALUE_STRING:
        return PyUnicode_Check(value) && utf8_view(value, &view)
               && view.len == wanted->length
               && memcmp(view.bytes, wanted->string, view.len) == 0;
    case PYAUDIT_VALUE_INTEGER:
        if (!PyLong_CheckExact(value)) {
            return 0;
        }
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        return !overflow && number == wanted->integer;
    case PYAUDIT_VALUE_BOOLEAN:
        return PyBool_Check(value) && (value == Py_True) == wanted->integer;
    default:
        return PyFloat_CheckExact(value)
               && PyFloat_AS_DOUBLE(value) == wanted->number;
    }
}

static int
args_hold(const pyaudit_alternative *alt, const pyaudit_event_roles *roles,
          PyObject *args)
{
    for (size_t i = 0; i < alt->nargs; i++) {
        const pyaudit_arg_test *test = &alt->args[i];
        int position = test->position;
        if (position < 0) {
            position = roles == NULL ? -1
                       : pyaudit_roles_position(roles, test->name);
        }
        PyObject *value = argument(args, position);
        int equal = 0;
        for (size_t k = 0; value != NULL && k < test->nvalues && !equal;
             k++) {
            equal = value_equal(value, &test->values[k]);
        }
        if (!equal) {
            return 0;
        }
    }
    return 1;
}

/* ---- the decision ------------------------------------------------------- */

/* Every condition but writing: out of line, so that an event that the
 * writing test rejects needs no large stack frame. */
static PYAUDIT_NOINLINE int
other_conditions_hold(const pyaudit_alternative *alt,
                      const pyaudit_event_roles *roles, PyObject *args)
{
    return paths_hold(alt, roles, args)
           && (!alt->beyond_paths
               || (endpoint_holds(alt, roles, args)
                   && programs_hold(alt, roles, args)
                   && modules_hold(alt, roles, args)
                   && args_hold(alt, roles, args)));
}

/* Whether one alternative holds, given decide_writing()'s answer. */
static inline int
alternative_holds(const pyaudit_alternative *alt,
                  const pyaudit_event_roles *roles, PyObject *args,
                  int writes)
{
    return (alt->writing < 0 || writes == alt->writing)
           && other_conditions_hold(alt, roles, args);
}

/* Whether one of the alternatives holds; writes is decide_writing()'s
 * answer when some alternative gives writing (the same for all of them). */
static int
some_alternative_holds(const pyaudit_rules *rules,
                       const pyaudit_event_roles *roles, PyObject *args,
                       int writes)
{
    const pyaudit_alternative *alt = rules->alternatives;
    if (rules->nalternatives == 1) {
        return alternative_holds(alt, roles, args, writes);
    }
    for (size_t i = 0; i < rules->nalternatives; i++) {
        if (alternative_holds(&alt[i], roles, args, writes)) {
            return 1;
        }
    }
    return 0;
}

int
pyaudit_rules_match(const pyaudit_rules *rules, const char *name,
                    size_t len, PyObject *args)
{
    return pyaudit_rules_match_roles(rules, find_roles(rules, name, len),
                                     args);
}

/* pyaudit_rules_decide_in_c past the writing test (out of line, so that
 * the test needs no stack frame); writes is quick_writing's answer. */
static PYAUDIT_NOINLINE int
decide_rest_in_c(const pyaudit_rules *rules,
                 const pyaudit_event_roles *roles, PyObject *args,
                 int writes)
{
    if (writes == -2) {
        writes = decide_writing(roles, args);
    }
    no_python = 1;
    python_wanted = 0;
    int result = some_alternative_holds(rules, roles, args, writes);
    no_python = 0;
    return python_wanted ? -1 : result;
}

int
pyaudit_rules_decide_writes_in_c(const pyaudit_rules *rules,
                                 const pyaudit_event_roles *roles,
                                 PyObject *args, int writes)
{
    return decide_rest_in_c(rules, roles, args, writes);
}

int
pyaudit_rules_want_writes_only(const pyaudit_rules *rules)
{
    return rules->any_writing && rules->writing_only;
}

int
pyaudit_rules_decide_in_c(const pyaudit_rules *rules,
                          const pyaudit_event_roles *roles, PyObject *args)
{
    int writes = rules->any_writing ? pyaudit_quick_writing(roles, args) : -1;
    if (writes == 0 && rules->writing_only) {
        return 0;               /* a guard's common case: a read */
    }
    return decide_rest_in_c(rules, roles, args, writes);
}

int
pyaudit_rules_match_roles(const pyaudit_rules *rules,
                          const pyaudit_event_roles *roles, PyObject *args)
{
    return some_alternative_holds(
        rules, roles, args,
        rules->any_writing ? decide_writing(roles, args) : -1);
}
