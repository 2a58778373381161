"""Policies in files: rules in TOML, checked strictly, put in force as
pyaudit subscriptions (docs/policies.md).

    schema     every key of the file, stated once
    lines      where each key is written, for messages
    variables  ${CWD}, ${TMPDIR}, ${HOME}, ${env:NAME} in where strings
    check      text -> a checked Spec, or a PolicyError with every problem
    actions    the logging callback of log and warn rules
    policy     pyaudit.Policy: a Spec in force, all or nothing, sealed or
               not
    startup    PYAUDIT_POLICY and pyaudit run --policy/--deny: sealed
               policies put in force while a process starts
"""
