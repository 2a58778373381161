"""A sealed policy stays in force for the life of the process: no Python
call takes it out (both backends).  Sealing cannot be undone, so each
sealed case runs in a child (tests/programs/policy_sealed.py), which tries
every way out and raises the denied event after each."""

import json

import pytest

from support import program, run_plain

SEALED = ("this subscription is sealed (a rule of a sealed policy): it "
          "stays in force for the life of the process and cannot be closed")


@pytest.fixture
def attempts(backend, tmp_path, ename):
    done = run_plain([program("policy_sealed.py"), ename], cwd=tmp_path,
                     env={"PYAUDIT_BACKEND": backend})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), ename


def test_a_sealed_policy_refuses_to_close_and_stays_in_force(attempts):
    result, _ = attempts
    assert result["sealed"] == [True, True]
    assert result["policy_close"] == (
        "RuntimeError: policy '<text>' is sealed: its rules stay in force "
        "for the life of the process")
    assert result["with_exit"] == result["policy_close"]
    assert result["after_close"] == [True, True]     # active, still denies


def test_its_subscriptions_and_their_handles_refuse_to_close(attempts):
    result, _ = attempts
    assert result["subscription_close"] == "RuntimeError: " + SEALED
    assert result["handle_close"] == "RuntimeError: " + SEALED


def test_dropping_every_reference_to_it_keeps_it(attempts):
    assert attempts[0]["after_drop"] is True


def test_spoofed_teardown_events_do_not_lift_it(attempts):
    assert attempts[0]["after_spoof"] is True


def test_purging_pyaudit_and_importing_it_again_keeps_it(attempts):
    result, ename = attempts
    assert result["after_reimport"] is True
    assert result["listed"] == [["deny", [ename], True]]


# -- what sealing is not ------------------------------------------------------

def test_an_unsealed_policy_closes_and_its_rules_go(api, ename):
    policy = api.load_policy('own_events = "%s.*"\n[[rule]]\naction = '
                             '"deny"\nevents = "%s.x"\n' % (ename, ename))
    before = [info.id for info in api.subscriptions()]
    assert not policy.sealed and policy.active
    policy.close()
    policy.close()      # twice is fine
    assert not policy.active
    assert [info.id for info in api.subscriptions()] == before[:-1]
    import sys
    sys.audit(ename + ".x")     # not denied any more


def test_a_closed_subscription_cannot_be_sealed(api, ename):
    counter = api.count(ename)
    counter.close()
    with pytest.raises(RuntimeError,
                       match="a closed subscription cannot be sealed"):
        counter._handle.seal()
    assert not counter.sealed


def test_ordinary_subscriptions_are_listed_unsealed(api, ename):
    with api.count(ename) as counter:
        [info] = [i for i in api.subscriptions() if i.patterns == (ename,)]
        assert info.sealed is False and counter.sealed is False
