"""Starts child processes of one kind, for test_run_follow.

    run_process_tree.py EVENT KIND

Every Python process of the tree raises the audit event EVENT with its
role (its kind, "parent" or "leaf"), so the test can find it, with its
pid and ppid, in pyaudit run's output.  KIND:

    subprocess      subprocess.run of this file
    exec            os.execv of this file (same process)
    posix_spawn     os.posix_spawn of this file
    os.fork         os.fork
    fork, spawn, forkserver
                    a multiprocessing.Process with that start method
    pool            a ProcessPoolExecutor (fork) running 4 tasks
    non-python      /bin/sh
    no-site         python -S (no site, so no start-up hook)
    isolated        python -I (isolated, site still on)
    env-dropped     a Python child whose environment lacks PYAUDIT_RUN
"""

import os
import subprocess
import sys


def hello(event, role):
    sys.audit(event, role)


def child(event, *flags, env=None):
    subprocess.run([sys.executable] + list(flags) + [__file__, event, "leaf"],
                   check=True, env=env)


def main(event, kind):
    if kind == "leaf":
        hello(event, "leaf")
        return
    hello(event, "parent")
    if kind == "subprocess":
        child(event)
    elif kind == "exec":
        os.execv(sys.executable, [sys.executable, __file__, event, "leaf"])
    elif kind == "posix_spawn":
        pid = os.posix_spawn(sys.executable,
                             [sys.executable, __file__, event, "leaf"],
                             os.environ)
        assert os.waitpid(pid, 0)[1] == 0
    elif kind == "os.fork":
        pid = os.fork()
        if pid == 0:
            hello(event, kind)
            os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
    elif kind in ("fork", "spawn", "forkserver"):
        import multiprocessing
        process = multiprocessing.get_context(kind).Process(
            target=hello, args=(event, kind))
        process.start()
        process.join()
        assert process.exitcode == 0
    elif kind == "pool":
        import concurrent.futures
        import multiprocessing
        with concurrent.futures.ProcessPoolExecutor(
                2, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(hello, [event] * 4, ["pool"] * 4))
    elif kind == "non-python":
        subprocess.run(["/bin/sh", "-c", "exit 0"], check=True)
    elif kind == "no-site":
        child(event, "-S")
    elif kind == "isolated":
        child(event, "-I")
    elif kind == "env-dropped":
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("PYAUDIT_")}
        child(event, env=env)
    else:
        raise SystemExit("unknown kind %r" % kind)


if __name__ == "__main__":
    main(*sys.argv[1:3])
