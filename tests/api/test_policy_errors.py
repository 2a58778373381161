"""A policy is checked strictly before anything of it is in force: every
problem is reported, each with the file, the line and the key, and a
policy with a problem leaves nothing in force (both backends)."""

import sys
import textwrap

import pytest

import pyaudit

GOOD_RULE = '[[rule]]\naction = "deny"\nevents = "open"\n'


def problems(api, text, **kwargs):
    """[(line, key, message)] of the PolicyError for ``text``."""
    if isinstance(text, str):
        text = textwrap.dedent(text)
    with pytest.raises(pyaudit.PolicyError) as caught:
        api.load_policy(text, **kwargs)
    return [(p.line, p.key, p.message) for p in caught.value.problems]


def only_problem(api, text, **kwargs):
    [problem] = problems(api, text, **kwargs)
    return problem


# -- keys ---------------------------------------------------------------------

def test_an_unknown_top_level_key_is_named_with_a_suggestion(api):
    assert only_problem(api, 'nme = "x"\n' + GOOD_RULE) == (
        1, "nme", "unknown key 'nme'; did you mean 'name'?; allowed: name, "
        "own_events, output, rule")


def test_an_unknown_rule_key_names_the_rule_and_its_line(api):
    assert only_problem(api, """
        [[rule]]
        action = "deny"
        events = "open"

        [[rule]]
        name = "second"
        action = "log"
        event = "open"
        events = "open"
        """) == (9, 'rule 2 ("second"), event',
                 "unknown key 'event'; did you mean 'events'?; allowed: "
                 "action, events, where, name, interpreters, logger, level, "
                 "stack, capacity")


def test_a_missing_required_key_points_at_the_rule_table(api):
    assert only_problem(api, """
        name = "p"

        [[rule]]
        action = "deny"
        """) == (4, "rule 1", "has no 'events' key (required)")


def test_an_unknown_action_lists_the_actions(api):
    assert only_problem(api, """
        [[rule]]
        action = "block"
        events = "open"
        """) == (3, "rule 1, action", "must be one of 'deny', 'warn', "
                 "'log', 'record', 'count', not 'block'")


@pytest.mark.parametrize("key, value, action", [
    ("capacity", "10", "deny"), ("logger", '"x"', "count"),
    ("level", '"INFO"', "record"), ("stack", "2", "deny"),
    ("interpreters", '"own"', "log"),
])
def test_a_key_for_other_actions_is_refused(api, key, value, action):
    line, name, message = only_problem(api, """
        [[rule]]
        action = "%s"
        events = "open"
        %s = %s
        """ % (action, key, value))
    assert (line, name) == (5, "rule 1, " + key)
    assert message.startswith("%r is for " % key)
    assert message.endswith("rules, not %s rules" % action)


def test_no_rules_is_an_error(api):
    assert only_problem(api, 'name = "empty"\n') == (
        None, "rule", "the policy has no rules: add at least one [[rule]] "
        "table")


def test_rule_must_be_an_array_of_tables(api):
    assert only_problem(api, 'rule = 3\n') == (
        1, "rule", "must be an array of tables ([[rule]]), not an integer")


@pytest.mark.parametrize("key, value, message", [
    ("log_level", '"info"', "must be a level name (CRITICAL, ERROR, WARNING, "
     "INFO, DEBUG) or an integer >= 0, not 'info' (did you mean 'INFO'?)"),
    ("warn_level", "-1", "must be a level name (CRITICAL, ERROR, WARNING, "
     "INFO, DEBUG) or an integer >= 0, not -1"),
    ("stack", "65", "must be an integer 0-64, not 65"),
    ("stack", "true", "must be an integer 0-64, not a boolean"),
    ("capacity", "0", "must be an integer 1-1073741824, not 0"),
    ("logger", '""', "must be a non-empty string, not an empty string"),
])
def test_bad_output_defaults_are_named(api, key, value, message):
    assert only_problem(api, "[output]\n%s = %s\n%s"
                        % (key, value, GOOD_RULE)) == (
        2, "output." + key, message)


# -- events -------------------------------------------------------------------

def test_a_malformed_pattern_is_refused_with_the_pattern_rules(api):
    line, key, message = only_problem(api, """
        [[rule]]
        action = "deny"
        events = "open, sock*"
        """)
    assert (line, key) == (4, "rule 1, events")
    assert message.startswith("pattern 'sock*' ")


def test_events_must_be_strings(api):
    assert only_problem(api, """
        [[rule]]
        action = "deny"
        events = ["open", 3]
        """)[2] == ("must be a string of comma-separated patterns or an "
                    "array of strings, not an array holding an integer")


def test_a_misspelt_event_is_an_error_with_suggestions(api):
    line, key, message = only_problem(api, """
        [[rule]]
        action = "deny"
        events = ["socket.connect", "sokcet.bind"]
        """)
    assert (line, key) == (4, "rule 1, events")
    assert message.startswith(
        "'sokcet.bind' names no audit event of CPython 3.8-3.15; did you "
        "mean 'socket.bind'")
    assert message.endswith("(list events your own code raises in "
                            "own_events)")


def test_a_prefix_matching_no_event_is_an_error(api):
    assert "did you mean 'socket.*'" in only_problem(api, """
        [[rule]]
        action = "deny"
        events = "sockets.*"
        """)[2]


def test_events_of_other_versions_are_fine(api):
    # Only 3.14 and later raise it; a policy may serve several versions.
    with api.load_policy(GOOD_RULE.replace(
            '"open"', '"_posixsubprocess.fork_exec"')) as policy:
        assert policy.rules[0].patterns == ("_posixsubprocess.fork_exec",)


def test_own_events_allow_names_no_cpython_raises(api, ename):
    with api.load_policy("""own_events = ["%s.*"]
[[rule]]
action = "deny"
events = "%s.login, !%s.other"
""" % (ename, ename, ename)) as policy:
        with pytest.raises(pyaudit.Denied):
            sys.audit(ename + ".login")
        assert policy.rules[0].patterns == (ename + ".login",
                                            "!" + ename + ".other")


# -- where --------------------------------------------------------------------

@pytest.mark.parametrize("where, key, message", [
    ('{ writing = true, paths_outside = ["srv"] }', "where.paths_outside",
     "paths_outside: 'srv' is not an absolute directory; directories must "
     "start with '/'"),
    ('{ writting = true }', "where.writting",
     "unknown condition 'writting'; allowed: paths_under, paths_outside, "
     "writing, hosts, hosts_outside, ports, programs, programs_outside, "
     "modules, modules_outside, args"),
    ('{ writing = "yes" }', "where.writing",
     "writing must be a boolean, not a string"),
    ('{ hosts = ["::1"] }', "where.hosts",
     "condition 'hosts' cannot hold for any event that 'open' matches: it "
     "applies only to network events (socket.connect, socket.getaddrinfo, "
     "urllib.Request, ...)"),
    ('[]', "where", "must be an inline table of conditions or an array of "
     "them, not an empty array"),
    ('[{}]', "where", "each alternative must be an inline table with at "
     "least one condition, not an empty table"),
    ('"writing"', "where", "must be an inline table of conditions or an "
     "array of them, not a string"),
])
def test_a_bad_condition_is_named(api, where, key, message):
    assert only_problem(api, """
        [[rule]]
        action = "deny"
        events = "open"
        where = %s
        """ % where) == (5, "rule 1, " + key, message)


def test_each_alternative_is_checked(api):
    assert problems(api, """
        [[rule]]
        action = "deny"
        events = "socket.connect"
        where = [{ hosts = ["10.0.0.0/8"] },
                 { hosts = ["10.0.0.1/8"] },
                 { ports = [70000] }]
        """) == [
        (6, "rule 1, where.hosts", "hosts: '10.0.0.1/8' is malformed; "
         "allowed: an IPv4 or IPv6 address, a CIDR range such as "
         "'10.0.0.0/8' or 'fe80::/10' (no bits set after the prefix) or an "
         "ASCII host name"),
        (7, "rule 1, where.ports", "ports: 70000 is not a port; allowed: an "
         "integer 0-65535 or a range string 'a-b' with a <= b")]


# -- variables ----------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("${CWDIR}/x", "unknown variable ${CWDIR}; allowed: ${CWD}, ${TMPDIR}, "
     "${HOME}, ${env:NAME} (an environment variable) and $$ for a literal "
     "'$'"),
    ("$HOME/x", "'$HOME/x': a '$' must start ${NAME} or be doubled ($$); "
     "allowed: ${CWD}, ${TMPDIR}, ${HOME}, ${env:NAME} (an environment "
     "variable) and $$ for a literal '$'"),
    ("${env:PYAUDIT_TEST_UNSET}/x", "${env:PYAUDIT_TEST_UNSET}: the "
     "environment variable PYAUDIT_TEST_UNSET is not set"),
    ("${env:PYAUDIT_TEST_EMPTY}/x", "${env:PYAUDIT_TEST_EMPTY}: the "
     "environment variable PYAUDIT_TEST_EMPTY is empty"),
    ("${env:1X}", "${env:1X}: '1X' is not an environment variable name"),
])
def test_a_bad_variable_is_an_error(api, monkeypatch, value, message):
    monkeypatch.delenv("PYAUDIT_TEST_UNSET", raising=False)
    monkeypatch.setenv("PYAUDIT_TEST_EMPTY", "")
    assert only_problem(api, """
        [[rule]]
        action = "deny"
        events = "open"
        where = { paths_under = ["%s"] }
        """ % value) == (5, "rule 1, where.paths_under", message)


# -- the text as a whole ----------------------------------------------------

def test_a_toml_syntax_error_gives_its_line(api):
    [(line, key, message)] = problems(api, GOOD_RULE + 'where = {writing =\n')
    assert (line, key) == (4, None)
    assert message.startswith("not valid TOML: ")
    assert "(at line" not in message


def test_every_problem_is_reported_in_line_order(api):
    found = problems(api, """
        nme = 1

        [output]
        stack = -1

        [[rule]]
        action = "deny"
        events = "sokcet.connect"

        [[rule]]
        action = "log"
        events = "open"
        capacity = 3
        """)
    assert [(line, key) for line, key, _ in found] == [
        (2, "nme"), (5, "output.stack"), (9, "rule 1, events"),
        (14, "rule 2, capacity")]


def test_the_message_has_one_line_per_problem(api):
    with pytest.raises(pyaudit.PolicyError) as caught:
        api.load_policy('a = 1\nb = 2\n' + GOOD_RULE)
    assert str(caught.value) == (
        "<text>:1: a: unknown key 'a'; allowed: name, own_events, output, "
        "rule\n<text>:2: b: unknown key 'b'; allowed: name, own_events, "
        "output, rule")


def test_a_file_names_itself_in_each_problem(api, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(GOOD_RULE + "extra = 1\n")
    with pytest.raises(pyaudit.PolicyError) as caught:
        api.load_policy(str(path))
    assert str(caught.value) == (
        "%s:4: rule 1, extra: unknown key 'extra'; allowed: action, events, "
        "where, name, interpreters, logger, level, stack, capacity" % path)


def test_a_missing_or_undecodable_file_is_a_policy_error(api, tmp_path):
    missing = tmp_path / "missing.toml"
    assert problems(api, str(missing)) == [
        (None, None, "cannot read the policy: No such file or directory")]
    binary = tmp_path / "binary.toml"
    binary.write_bytes(GOOD_RULE.encode() + b'name = "\xff"\n')
    assert problems(api, binary) == [
        (4, None, "not UTF-8 text, as TOML must be")]


def test_bad_arguments_are_type_errors(api):
    with pytest.raises(TypeError, match="takes a path"):
        api.load_policy(b"policy.toml")
    with pytest.raises(TypeError, match="sealed must be True or False"):
        api.load_policy(GOOD_RULE, sealed=1)
    with pytest.raises(TypeError, match="variables must be a mapping"):
        api.load_policy(GOOD_RULE, variables=["CWD"])
    with pytest.raises(ValueError, match="is not a NAME"):
        api.load_policy(GOOD_RULE, variables={"a b": "/x"})


def test_a_policy_with_a_problem_leaves_nothing_in_force(api, ename):
    before = api.subscriptions()
    problems(api, """
        own_events = "%s.*"
        [[rule]]
        action = "deny"
        events = "%s.x"
        [[rule]]
        action = "deny"
        events = "%s.y"
        where = { writing = 1 }
        """ % (ename, ename, ename))
    assert api.subscriptions() == before
    sys.audit(ename + ".x")


def test_a_rule_failing_to_subscribe_takes_the_others_back(ename):
    # interpreters = "all" needs the native backend: on the Python one the
    # second rule fails after the first subscribed.
    api = pyaudit._api_for("python")
    before = api.subscriptions()
    text = textwrap.dedent("""
        own_events = "%s.*"
        [[rule]]
        action = "count"
        events = "%s.x"
        [[rule]]
        action = "deny"
        events = "%s.y"
        interpreters = "all"
        """ % (ename, ename, ename))
    assert only_problem(api, text) == (
        6, "rule 2", "interpreters='all' needs pyaudit's native backend: the "
        "pure-Python backend's hook (sys.addaudithook) sees only its own "
        "interpreter's events")
    assert api.subscriptions() == before


def test_a_str_without_a_newline_is_a_path(api, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.toml").write_text(GOOD_RULE)
    with api.load_policy("p.toml") as policy:
        assert policy.source == "p.toml"
    with api.load_policy(tmp_path / "p.toml") as policy:
        assert policy.source == str(tmp_path / "p.toml")


# -- how exact the lines are ------------------------------------------------

def test_lines_follow_tables_dotted_keys_and_multiline_values(api):
    assert problems(api, '''
        [[rule]]
        name = "first"
        action = "deny"  # [[rule]] in a comment
        events = """open,
        sokcet.bind, [[rule]]"""
        where.writing = 2

        [[rule]]
        action = "deny"
        events = [
            "open",
            3,
        ]
        [[rule]]
        action = "deny"
        events = "open"
        [rule.where]
        paths_under = ["relative"]
        ''') == [
        (5, 'rule 1 ("first"), events', "'sokcet.bind' names no audit "
         "event of CPython 3.8-3.15; did you mean 'socket.bind' or "
         "'socket.sendto' or 'socket.sendmsg'? (list events your own code "
         "raises in own_events)"),
        (5, 'rule 1 ("first"), events', "'[[rule]]' names no audit event "
         "of CPython 3.8-3.15 (list events your own code raises in "
         "own_events)"),
        (7, 'rule 1 ("first"), where.writing',
         "writing must be a boolean, not an integer"),
        (11, "rule 2, events", "must be a string of comma-separated "
         "patterns or an array of strings, not an array holding an "
         "integer"),
        (19, "rule 3, where.paths_under", "paths_under: 'relative' is not "
         "an absolute directory; directories must start with '/'")]


def test_names_are_one_line(api):
    assert only_problem(api, 'name = "a\\nb"\n' + GOOD_RULE) == (
        1, "name", "must be printable text on one line, not 'a\\nb'")
