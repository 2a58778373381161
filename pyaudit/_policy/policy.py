"""``pyaudit.Policy``: the rules of a checked policy in force.

Applying a policy subscribes one subscription per rule (deny, count and
record rules as their kinds, log and warn rules as a watch with the
callback of pyaudit._policy.actions).  It is all or nothing: when one
subscription fails, those already made are closed and nothing of the
policy stays.  A sealed policy seals every subscription once all exist
(the core's ``seal()``): from then on nothing in Python closes them.
"""

import warnings

from .._catalog import UnknownEventWarning
from .._errors import PolicyError, PolicyProblem
from . import check

SEALED_POLICY = ("policy %r is sealed: its rules stay in force for the "
                 "life of the process")


class PolicyRule:
    """One rule of a policy in force.

    ``index`` (1 for the first [[rule]]), ``name`` (or None), ``label``
    ('rule 2 ("name")'), ``action``, ``patterns``, ``where`` (canonical
    rule text or None), ``conditions`` (the same as a tuple of
    pyaudit.Where, for ``where=``), ``line`` (in the policy file),
    ``options`` (the keys that apply to its action, defaults filled in)
    and ``subscription``: the pyaudit Subscription doing it (a Recorder
    for record rules, a Counter for count rules).
    """

    __slots__ = ("_rule", "subscription")

    def __init__(self, rule, subscription):
        self._rule = rule
        self.subscription = subscription

    index = property(lambda self: self._rule.index)
    name = property(lambda self: self._rule.name)
    action = property(lambda self: self._rule.action)
    patterns = property(lambda self: self._rule.patterns)
    where = property(lambda self: self._rule.where)
    conditions = property(lambda self: self._rule.conditions)
    line = property(lambda self: self._rule.line)

    @property
    def options(self):
        return dict(self._rule.options)

    @property
    def label(self):
        return check.rule_label(self.index, self.name)

    def __repr__(self):
        return "<pyaudit.PolicyRule %s: %s %r%s>" % (
            self.label, self.action, ",".join(self.patterns),
            "" if self.where is None else " where " + self.where)


class Policy:
    """A loaded policy (``pyaudit.load_policy``): its rules in force until
    ``close()``, or for the life of the process when sealed.

    ``name``, ``source`` (the file, or "<text>"), ``sealed``, ``rules``
    (a tuple of PolicyRule, in file order), ``rule(name)``, ``active``,
    ``variables`` (the built-in variables it used, with their values).
    A context manager that closes on exit.
    """

    __slots__ = ("_spec", "_rules", "_sealed")

    def __init__(self, spec, rules, sealed):
        self._spec = spec
        self._rules = tuple(rules)
        self._sealed = sealed

    name = property(lambda self: self._spec.name)
    source = property(lambda self: self._spec.source)
    sealed = property(lambda self: self._sealed)
    rules = property(lambda self: self._rules)

    @property
    def variables(self):
        return dict(self._spec.variables)

    @property
    def active(self):
        """True until ``close()``."""
        return any(rule.subscription.active for rule in self._rules)

    def rule(self, name):
        """The rule named ``name``; KeyError if none is."""
        for rule in self._rules:
            if rule.name == name:
                return rule
        raise KeyError("policy %r has no rule named %r" % (self.name, name))

    def close(self):
        """Take every rule out of force (closing twice is fine).  A sealed
        policy raises RuntimeError and stays in force."""
        if self._sealed:
            raise RuntimeError(SEALED_POLICY % (self.name,))
        for rule in reversed(self._rules):
            rule.subscription.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return "<pyaudit.Policy %r: %d rule%s%s%s>" % (
            self.name, len(self._rules), "" if len(self._rules) == 1
            else "s", " sealed" if self._sealed else "",
            "" if self.active else " closed")


def _subscribe(api, spec, rule):
    """The subscription doing one rule."""
    from .. import _api
    options = rule.options
    if rule.action in ("log", "warn"):
        from .actions import logging_callback
        callback = logging_callback(spec.name, check.rule_label(
            rule.index, rule.name), rule.action, options)
        return api._subscribe(_api.Subscription, "watch", rule.patterns,
                              callback, 3, rule.conditions)
    if rule.action == "record":
        return api._subscribe(_api.Recorder, "record", rule.patterns,
                              options["capacity"], 3, rule.conditions,
                              stack=options["stack"],
                              interpreters=options["interpreters"])
    cls = _api.Counter if rule.action == "count" else _api.Subscription
    return api._subscribe(cls, rule.action, rule.patterns, None, 3,
                          rule.conditions,
                          interpreters=options["interpreters"])


def apply(api, spec, sealed=False):
    """Put a checked Spec in force through ``api`` (a pyaudit._api.API);
    all or nothing."""
    made = []
    rule = None
    try:
        # The checks warned about nothing the policy allows: names of
        # other CPython versions and own_events are fine here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownEventWarning)
            for rule in spec.rules:
                made.append(PolicyRule(rule, _subscribe(api, spec, rule)))
    except BaseException as exc:
        for done in reversed(made):
            done.subscription.close()
        if isinstance(exc, (TypeError, ValueError)):
            raise PolicyError([PolicyProblem(
                spec.source, rule.line, check.rule_label(rule.index,
                                                         rule.name),
                str(exc))]) from None
        raise
    if sealed:
        for done in made:
            done.subscription._handle.seal()
    return Policy(spec, made, sealed)


def load(api, path_or_text, sealed=False, variables=None):
    """``pyaudit.load_policy``, through ``api``."""
    if not isinstance(sealed, bool):
        raise TypeError("sealed must be True or False, not %s"
                        % type(sealed).__name__)
    if variables is not None:
        from .variables import check_names
        if not hasattr(variables, "items"):
            raise TypeError("variables must be a mapping of names to str "
                            "values, not %s" % type(variables).__name__)
        check_names(variables)
    spec = check.load(path_or_text, variables, api.Filter)
    return apply(api, spec, sealed)
