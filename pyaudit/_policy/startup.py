"""Policies put in force while a process starts, sealed: those named in
PYAUDIT_POLICY (read by pyaudit._autostart, before any of the program's
code) and those of ``pyaudit run --policy/--deny``, which it passes to
its process tree in the same variable.

    PYAUDIT_POLICY       entries separated by os.pathsep (':'): the
                         absolute path of a policy file, or
                         ``deny=PATTERNS`` for a one-rule policy denying
                         those patterns (what ``pyaudit run --deny``
                         passes on)
    PYAUDIT_POLICY_VARS  the built-in variables (${CWD}, ...) that the
                         first process of the tree read, as
                         ``NAME=value;...``: written by that process,
                         read by every process it starts, so that a
                         child started in another directory keeps the
                         same ${CWD}
    PYAUDIT_POLICY_DOCUMENTS  the policy files that process read, parsed,
                         as JSON ({path: document}): the processes it
                         starts check those instead of reading the files
                         again, which spares each of them tomllib (as
                         costly to import as pyaudit itself) and keeps
                         one version of each file in the whole tree

Reading and checking come first (``read``), putting in force after
(``enforce``): ``pyaudit run`` opens its outputs in between, so that a
policy never refuses them.  Anything that stops a policy from being in
force stops the process (``stop``): one line on standard error naming
the file, the line and the key, and exit status 2, rather than running
unaudited.
"""

import os

POLICY_VARIABLE = "PYAUDIT_POLICY"
VARIABLES_VARIABLE = "PYAUDIT_POLICY_VARS"
DOCUMENTS_VARIABLE = "PYAUDIT_POLICY_DOCUMENTS"
DENY_ENTRY = "deny="
EXIT_STATUS = 2
# Larger documents are not handed down: the kernel refuses to start a
# program with an environment string over 128 KiB (MAX_ARG_STRLEN).
MAX_DOCUMENTS = 32 * 1024

# The sealed policies this process put in force, oldest first (what
# pyaudit run's tracer reports denials of).
ACTIVE = []
# The parsed policy files this process read or was handed: path ->
# document.
DOCUMENTS = {}


def stop(message):
    """One line on standard error, and exit status 2 at once."""
    try:
        line = "pyaudit: %s\n" % message
        os.write(2, line.encode("utf-8", "backslashreplace"))
    finally:
        os._exit(EXIT_STATUS)


def entries(value):
    """The entries of a PYAUDIT_POLICY value; ValueError for an empty one
    or a relative path."""
    out = []
    for entry in value.split(os.pathsep):
        if entry.startswith(DENY_ENTRY):
            out.append(entry)
        elif not entry.startswith("/"):
            raise ValueError("%r is not an absolute path (each entry is "
                             "the absolute path of a policy file, or "
                             "deny=PATTERNS)" % (entry,))
        else:
            out.append(entry)
    return out


def inherited_variables():
    """The variables PYAUDIT_POLICY_VARS hands down, or {}."""
    value = os.environ.get(VARIABLES_VARIABLE)
    if not value:
        return {}
    from .._trace.config import split_fields
    return split_fields(value, VARIABLES_VARIABLE)


def deny_document(patterns):
    """The document of a one-rule policy denying ``patterns``."""
    return {"name": "deny=" + patterns,
            "rule": [{"action": "deny", "events": patterns}]}


def inherited_documents():
    """The parsed policy files PYAUDIT_POLICY_DOCUMENTS hands down, or
    {}."""
    value = os.environ.get(DOCUMENTS_VARIABLE)
    if not value:
        return {}
    import json
    try:
        documents = json.loads(value)
    except ValueError:
        documents = None
    if not isinstance(documents, dict):
        raise ValueError("%s is malformed (not a JSON object)"
                         % DOCUMENTS_VARIABLE)
    return documents


def read_entry(entry, variables, documents):
    """The checked Spec of one entry (a file's handed-down document when
    there is one); PolicyError."""
    from . import check
    if entry.startswith(DENY_ENTRY):
        return check.check(deny_document(entry[len(DENY_ENTRY):]),
                           entry, variables=variables)
    if entry in documents:      # checked again, without its lines
        document, lines = documents[entry], None
    else:
        document, lines = check.parse(check.read_file(entry), entry)
    DOCUMENTS[entry] = document
    return check.check(document, entry, lines, variables)


def read(values):
    """The checked Specs of PYAUDIT_POLICY-style entries; ValueError (a
    PolicyError for a policy's own problems)."""
    variables = inherited_variables()
    documents = inherited_documents()
    return [read_entry(entry, variables, documents) for entry in values]


def first_problem(exc):
    """One line for a failed read: the first problem, and how to see the
    others."""
    problems = getattr(exc, "problems", ())
    if len(problems) > 1:
        return "%s (and %d more: pyaudit check-policy %s)" % (
            problems[0], len(problems) - 1, problems[0].source)
    return str(exc)


def read_environment():
    """The checked Specs of PYAUDIT_POLICY, or stop (a problem of the
    policy or the variable; anything else escapes to _autostart, which
    stops too)."""
    try:
        return read(entries(os.environ[POLICY_VARIABLE]))
    except ValueError as exc:
        stop("%s: %s" % (POLICY_VARIABLE, first_problem(exc)))


def enforce(specs, origin):
    """Put every Spec in force, sealed, and hand the variables and the
    documents they read down to the processes this one starts; or stop,
    saying ``origin`` (PYAUDIT_POLICY, --policy) asked for them."""
    from . import policy
    try:
        from .. import _default
        for spec in specs:
            ACTIVE.append(policy.apply(_default, spec, sealed=True))
    except Exception as exc:
        stop("%s: %s" % (origin, first_problem(exc)))
    _hand_down(specs)
    return ACTIVE


def _hand_down(specs):
    variables = dict(inherited_variables())
    for spec in specs:
        for name, value in spec.variables.items():
            variables.setdefault(name, value)
    if variables:
        from .._trace.config import join_fields
        os.environ[VARIABLES_VARIABLE] = join_fields(sorted(
            variables.items()))
    if DOCUMENTS:
        import json
        text = json.dumps(DOCUMENTS, separators=(",", ":"))
        if len(text) <= MAX_DOCUMENTS:
            os.environ[DOCUMENTS_VARIABLE] = text


def denials():
    """(patterns, where) of every deny rule in force here."""
    return [(rule.patterns, rule.where) for policy in ACTIVE
            for rule in policy.rules if rule.action == "deny"]
