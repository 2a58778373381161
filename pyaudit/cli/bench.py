"""``pyaudit bench``: measure what an audit hook costs per event.

Every configuration (``_bench_configs.CONFIGS``: pyaudit in its realistic
cases, the references it is measured against) and every hook given with
``--hook``, ``--c-hook`` or ``--peers`` runs in a fresh process, since
hooks can never be removed.  Nanoseconds come from interleaved rounds
(median and spread); instructions, with ``--instructions``, from callgrind
as the difference between two loop lengths, so start-up cancels out.  Each
row's overhead is its cost beyond no hook running the same loop, and is
given as a ratio to the floor: the no-op C hook, built on first use from
``reference_hooks.c`` (``_bench_reference``), running the same loop.

Around the per-event table: real workloads (wall time), subscription
scaling (``_bench_scaling``) and interpreters in parallel
(``_bench_parallel``).  Every input, output path and hook is checked, and
every configuration set up once, before anything is measured.  See
docs/benchmarks.md.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

from pyaudit.cli import _bench_configs as configs
from pyaudit.cli import _bench_hooks, _bench_reference, _bench_report

HELP = "measure audit hook overhead per event, pyaudit's or your own"

WORKLOADS = ("deepcopy", "pickle", "logging", "os.walk", "read-files",
             "import")
# Who runs the workloads: (column, configuration whose setup is used).
WORKLOAD_SUBJECTS = (("none", "none"), ("noop", "noop"),
                     ("pyaudit", "miss-far"), ("python", "python"))
# The write guard and its Python twin, on the workloads that open files.
GUARD_SUBJECTS = (("pyaudit-guard", "guard-read"),
                  ("python-guard", "python-guard-read"))
GUARD_WORKLOADS = ("read-files", "import")
SCALING_SIZES = (100, 1000, 10000)
PARALLEL_SUBJECTS = ("none", "noop", "pyaudit", "pyaudit-own")

# A row of the per-event table: how to start its process (the child's
# arguments before the mode) and what it is measured against.
Row = collections.namedtuple("Row",
                             "name argv event base floor compared_with")


class BenchError(Exception):
    """Bad input found before measuring: one line, exit status 2."""


def config_row(config):
    return Row(config.name, [config.name], config.event,
               configs.base_of(config.event), configs.floor_of(config.event),
               config.compared_with)


def hook_rows(hook_label, hook):
    """The rows of one hook: one per HOOK_CASES event."""
    return [Row("%s/%s" % (hook_label, case), ["--hook", hook, case], event,
                configs.base_of(event), configs.floor_of(event),
                configs.HOOK_COMPARED_WITH[case])
            for case, event in configs.HOOK_CASES]


# -- running the children

def _child_env(reference):
    env = dict(os.environ, PYTHONHASHSEED="0")
    env["PYAUDIT_BENCH_REFERENCE"] = reference
    return env


def _run(module, args, reference, prefix=(), timeout=None):
    return subprocess.run(
        list(prefix) + [sys.executable, "-m", module] + list(args),
        env=_child_env(reference), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)


def _last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


def _check(done, what):
    if done.returncode != 0:
        raise RuntimeError("%s failed (exit status %d): %s"
                           % (what, done.returncode,
                              _last_line(done.stderr)))
    return done.stdout


def run_child(row, mode_args, reference, prefix=()):
    done = _run("pyaudit.cli._bench_child", row.argv + list(mode_args),
                reference, prefix)
    return _check(done, "configuration %r" % (row.name,))


# -- checks before measuring

def probe(row_or_hook, reference, module="pyaudit.cli._bench_child"):
    """Set up once in a child; None, or (exit status, its one line)."""
    done = _run(module, row_or_hook, reference, timeout=600)
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return done.returncode, ("the process was killed by signal %d"
                                 % -done.returncode)
    return done.returncode, _last_line(done.stderr)


def check_output_path(option, path):
    """Raise BenchError unless a file can be written at path."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise BenchError("%s %s: the directory %s does not exist"
                         % (option, path, directory))
    if os.path.isdir(path):
        raise BenchError("%s %s: is a directory, not a file"
                         % (option, path))
    target = path if os.path.exists(path) else directory
    if not os.access(target, os.W_OK):
        raise BenchError("%s %s: %s is not writable"
                         % (option, path, target))


def check_hooks(hooks, reference):
    """Set each hook up and raise every probe event once, in a child;
    BenchError with the child's one line for the first that fails."""
    for option, spec, hook in hooks:
        failure = probe(["--hook", hook, configs.HOOK_CASES[0][0],
                         "--probe"], reference)
        if failure is not None:
            raise BenchError("%s %s: %s" % (option, spec, failure[1]))


def check_configs(rows, explicit, reference):
    """Set each configuration up once.  Returns [(name, reason)] of those
    this Python cannot run (own-GIL interpreters before 3.12); raises BenchError for one
    that fails otherwise, or that was asked for by name."""
    missing = []
    for row in rows:
        if row.argv[0] == "--hook":
            continue
        failure = probe(row.argv + ["--probe"], reference)
        if failure is None:
            continue
        status, line = failure
        if status == 3 and row.name not in explicit:
            missing.append((row.name, line))
        else:
            raise BenchError("configuration %r: %s" % (row.name, line))
    return missing


# -- measuring

def measure_ns(rows, events, rounds, reference, progress):
    """ns/event per row: {name: [one value per round]}."""
    samples = {row.name: [] for row in rows}
    for round_number in range(rounds):
        for row in rows:        # interleaved, so drift hits all alike
            progress("round %d/%d: %s" % (round_number + 1, rounds,
                                          row.name))
            elapsed = int(run_child(row, ["--events", str(events)],
                                    reference).split()[-1])
            samples[row.name].append(elapsed / events)
    return samples


def _callgrind_total(row, events, reference):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        run_child(row, ["--events", str(events)], reference, prefix=(
            "valgrind", "--tool=callgrind", "--callgrind-out-file=" + out))
        with open(out) as f:
            for line in f:
                if line.startswith(("totals:", "summary:")):
                    return int(line.split()[1])
    raise RuntimeError("callgrind wrote no total for %r" % (row.name,))


def measure_instructions(rows, events, reference, progress):
    """Instructions/event per row, from callgrind."""
    result = {}
    for row in rows:
        progress("instructions: %s" % row.name)
        short = _callgrind_total(row, events, reference)
        long = _callgrind_total(row, 2 * events, reference)
        result[row.name] = (long - short) / events
    return result


def workload_plan(workloads, hooks, missing):
    """[(workload, column, child arguments)] to run each round."""
    unavailable = {name for name, _ in missing}
    plan = []
    for workload in workloads:
        subjects = list(WORKLOAD_SUBJECTS)
        if workload in GUARD_WORKLOADS:
            subjects += [s for s in GUARD_SUBJECTS
                         if s[1] not in unavailable]
        for column, config in subjects:
            plan.append((workload, column, [config]))
        for _, spec, hook in hooks:
            plan.append((workload, spec, ["--hook", hook,
                                          configs.HOOK_CASES[0][0]]))
    return plan


def measure_workloads(plan, repeat, rounds, reference, progress):
    """Wall ms: {workload: {column: [one value per round]}}."""
    samples = collections.OrderedDict()
    for workload, column, _ in plan:
        samples.setdefault(workload, collections.OrderedDict())[column] = []
    for round_number in range(rounds):
        for workload, column, argv in plan:
            progress("round %d/%d: %s under %s" % (round_number + 1, rounds,
                                                   workload, column))
            done = _run("pyaudit.cli._bench_child",
                        argv + ["--workload", workload, str(repeat)],
                        reference)
            ns = int(_check(done, "%s under %s" % (workload, column))
                     .split()[-1])
            samples[workload][column].append(ns / 1e6)
    return samples


def measure_scaling(sizes, repeat, budget, reference, progress):
    rows = []
    for n in sizes:
        progress("subscription scaling: N = {:,}".format(n))
        done = _run("pyaudit.cli._bench_scaling",
                    [str(n), str(repeat), str(budget)], reference)
        rows.append(json.loads(_check(done, "scaling with N = %d" % n)))
    return rows


def measure_parallel(subjects, events, rounds, reference, progress):
    """[{subject, one, two, scaling}], medians over rounds."""
    import statistics
    samples = {subject: [] for subject in subjects}
    for round_number in range(rounds):
        for subject in subjects:
            progress("round %d/%d: parallel, %s" % (round_number + 1,
                                                    rounds, subject))
            done = _run("pyaudit.cli._bench_parallel",
                        [subject, str(events)], reference)
            samples[subject].append(json.loads(_check(
                done, "parallel case %r" % subject)))
    rows = []
    for subject, runs in samples.items():
        one = statistics.median(r["one"] for r in runs)
        two = statistics.median(r["two"] for r in runs)
        rows.append({"subject": subject, "one": one, "two": two,
                     "scaling": statistics.median(r["two"] / r["one"]
                                                  for r in runs)})
    return rows


# -- the command line

def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1, not %d" % value)
    return value


def batch_multiple(text):
    value = positive_int(text)
    if value % configs.BATCH:
        raise argparse.ArgumentTypeError(
            "must be a multiple of %d (events run in batches of that many), "
            "not %d" % (configs.BATCH, value))
    return value


def positive_number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number" % text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0, not %s"
                                         % text)
    return value


def name_list(choices, what):
    """An argparse type: comma-separated names from choices, or 'none'."""
    def parse(text):
        names = [n.strip() for n in text.split(",") if n.strip()]
        if names == ["none"]:
            return []
        unknown = [n for n in names if n not in choices]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                "unknown %s %s; choose from %s, or none"
                % (what, ", ".join(map(repr, unknown)) or "(none given)",
                   ", ".join(choices)))
        return names
    return parse


def size_list(text):
    if text.strip() == "none":
        return []
    return [positive_int(part) for part in text.split(",")]


def spec_of(what):
    """An argparse type checking the X:Y shape of --hook and --c-hook."""
    def parse(text):
        try:
            _bench_hooks.split_spec(text, what)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc))
        return text
    return parse


def add_arguments(parser):
    names = [c.name for c in configs.CONFIGS]
    parser.add_argument("--events", type=batch_multiple, default=200_000,
                        help="events per timed run, a multiple of %d "
                             "(default 200000)" % configs.BATCH)
    parser.add_argument("--rounds", type=positive_int, default=5,
                        help="interleaved timing rounds (default 5)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions/event with callgrind")
    parser.add_argument("--instruction-events", type=batch_multiple,
                        default=100_000,
                        help="events per callgrind run, a multiple of %d "
                             "(default 100000)" % configs.BATCH)
    parser.add_argument("--configs", type=name_list(names, "configuration"),
                        default=None,
                        help="comma-separated subset of the configurations "
                             "(default: all), or none: " + ", ".join(names))
    parser.add_argument("--hook", action="append", default=[],
                        type=spec_of("MODULE:FUNCTION"),
                        metavar="MODULE:FUNCTION",
                        help="also measure this Python audit hook (added "
                             "with sys.addaudithook); repeatable")
    parser.add_argument("--c-hook", action="append", default=[],
                        type=spec_of("LIB.so:SYMBOL"),
                        metavar="LIB.so:SYMBOL",
                        help="also measure this native hook (the signature "
                             "of PySys_AddAuditHook's hooks); repeatable")
    parser.add_argument("--peers", action="store_true",
                        help="also measure the other audit-hook libraries "
                             "installed here (%s)"
                             % ", ".join(_bench_hooks.PEERS))
    parser.add_argument("--policy", action="append", default=[],
                        metavar="FILE",
                        help="also measure this pyaudit policy file (its "
                             "rules in force, as pyaudit.load_policy puts "
                             "them); repeatable")
    parser.add_argument("--workloads", type=name_list(WORKLOADS, "workload"),
                        default=list(WORKLOADS),
                        help="comma-separated real workloads to time, or "
                             "none (default: %s)" % ", ".join(WORKLOADS))
    parser.add_argument("--workload-repeat", type=positive_int, default=20,
                        help="repetitions per workload process; the "
                             "fastest counts (default 20)")
    parser.add_argument("--scaling", type=size_list,
                        default=list(SCALING_SIZES), metavar="SIZES",
                        help="numbers of other live subscriptions to time "
                             "subscribing and closing with, or none "
                             "(default 100,1000,10000)")
    parser.add_argument("--scaling-budget", type=positive_number,
                        default=60.0, metavar="SECONDS",
                        help="stop setting up one size's subscriptions "
                             "after this long (default 60)")
    parser.add_argument("--parallel", type=positive_int, default=1_000_000,
                        metavar="EVENTS",
                        help="events per interpreter in the parallel case "
                             "(default 1000000)")
    parser.add_argument("--no-parallel", action="store_true",
                        help="skip the parallel interpreters case")
    parser.add_argument("--json", metavar="FILE", help="write results here")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw the overheads (needs matplotlib)")


def selected_rows(args, hooks):
    """The per-event rows to run: the configurations asked for, each
    hook's, and the references they need."""
    chosen = (args.configs if args.configs is not None
              else [c.name for c in configs.CONFIGS])
    rows = [config_row(configs.BY_NAME[name]) for name in chosen]
    for _, spec, hook in hooks:
        rows += hook_rows(_bench_hooks.label(*hook.split("=", 1)), hook)
    needed = set()
    for row in rows:
        needed.update((row.base, row.floor))
    # References first, in the table's order.
    present = {row.name for row in rows}
    references = [config_row(configs.BY_NAME[name])
                  for name in configs.REFERENCES
                  if name in needed and name not in present]
    return references + rows


def collect_hooks(args):
    """[(option, spec, KIND=SPEC)] of the hooks to measure, and the peers
    report ([(name, version)] found, [name] missing)."""
    hooks = [("--hook", spec, "python=" + spec) for spec in args.hook]
    hooks += [("--c-hook", spec, "c=" + spec) for spec in args.c_hook]
    hooks += [("--policy", spec, "policy=" + os.path.abspath(spec))
              for spec in args.policy]
    found, missing = [], []
    if args.peers:
        found, missing = _bench_hooks.installed_peers()
        hooks += [("--peers", name, "peer=" + name) for name, _ in found]
    return hooks, (found, missing)


def check_inputs(args):
    """Everything that needs no child process."""
    if args.instructions and shutil.which("valgrind") is None:
        raise BenchError("--instructions needs valgrind on PATH")
    if args.plot:
        try:
            import matplotlib  # noqa: F401 (checked before a long run)
        except ImportError:
            from .._version import install_command
            raise BenchError("--plot needs matplotlib: %s"
                             % install_command("plot")) from None
        check_output_path("--plot", args.plot)
    if args.json:
        check_output_path("--json", args.json)
    for spec in args.c_hook:
        library, _ = _bench_hooks.split_spec(spec, "LIB.so:SYMBOL")
        if os.sep in library and not os.path.isfile(library):
            raise BenchError("--c-hook %s: no file %s" % (spec, library))


def parallel_subjects(args, hooks):
    subjects = list(PARALLEL_SUBJECTS)
    subjects += [hook for _, _, hook in hooks if hook.startswith("c=")]
    return subjects


def run(args, parser):
    try:
        return measure_and_report(args)
    except BenchError as exc:
        parser.error(str(exc))
    except _bench_reference.BuildError as exc:
        parser.exit(2, "%s: error: %s\n" % (parser.prog, exc))
    except RuntimeError as exc:     # a child that passed its check failed
        parser.exit(1, "%s: error: %s\n" % (parser.prog, exc))


def measure_and_report(args):
    check_inputs(args)
    hooks, peers = collect_hooks(args)
    reference = _bench_reference.build()

    def progress(message):
        print("  " + message, file=sys.stderr, flush=True)

    progress("checking every configuration and hook")
    check_hooks(hooks, reference)
    rows = selected_rows(args, hooks)
    missing = check_configs(rows, set(args.configs or ()), reference)
    unavailable = {name for name, _ in missing}
    rows = [row for row in rows if row.name not in unavailable]
    parallel = []
    if not args.no_parallel:
        for subject in parallel_subjects(args, hooks):
            failure = probe([subject, "0"], reference,
                            module="pyaudit.cli._bench_parallel")
            if failure is not None and failure[0] != 3:
                raise BenchError("parallel case %r: %s"
                                 % (subject, failure[1]))
            if failure is not None:
                missing.append(("parallel " + subject, failure[1]))
            else:
                parallel.append(subject)
        missing += [("parallel " + spec, "a Python hook added with "
                     "sys.addaudithook sees only its own interpreter's "
                     "events") for option, spec, _ in hooks
                    if option == "--hook"]
        missing += [("parallel " + spec, "a policy is measured in the "
                     "main interpreter only") for option, spec, _ in hooks
                    if option == "--policy"]

    samples = measure_ns(rows, args.events, args.rounds, reference,
                         progress)
    instructions = (measure_instructions(rows, args.instruction_events,
                                         reference, progress)
                    if args.instructions else None)
    numbers = _bench_report.summarise(rows, samples, instructions)
    plan = workload_plan(args.workloads, hooks, missing)
    workloads = (_bench_report.summarise_workloads(measure_workloads(
        plan, args.workload_repeat, args.rounds, reference, progress))
        if plan else [])
    scaling = (measure_scaling(args.scaling, 21, args.scaling_budget,
                               reference, progress)
               if args.scaling else [])
    parallel_rows = (measure_parallel(parallel, args.parallel, args.rounds,
                                      reference, progress)
                     if parallel else [])

    print("Python %s, %d events x %d rounds per configuration"
          % (sys.version.split()[0], args.events, args.rounds))
    if args.peers:
        print("peers found: %s; not installed: %s" % (
            ", ".join("%s %s" % p for p in peers[0]) or "none",
            ", ".join(peers[1]) or "none"))
    if numbers:
        print(_bench_report.format_rows(numbers))
    for names, reason in group_by_reason(missing):
        print("not measured: %s: %s" % (", ".join(names), reason))
    if workloads:
        columns = []
        for _, column, _ in plan:
            if column not in columns:
                columns.append(column)
        print("\nReal workloads, wall time (median of %d fresh processes, "
              "each the fastest of %d runs)" % (args.rounds,
                                                args.workload_repeat))
        print(_bench_report.format_workloads(workloads, columns))
    if scaling:
        print("\nSubscribing and closing one subscription with N others "
              "live (pyaudit, median of 21)")
        print(_bench_report.format_scaling(scaling))
    if parallel_rows:
        print("\nMisses from own-GIL subinterpreters in parallel (%s "
              "events each; 2 / 1 is the throughput ratio)"
              % "{:,}".format(args.parallel))
        print(_bench_report.format_parallel(parallel_rows))
    if args.json:
        write_json(args.json, {
            "python": sys.version.split()[0], "events": args.events,
            "rounds": args.rounds, "rows": numbers,
            "not_measured": [{"config": name, "reason": reason}
                             for name, reason in missing],
            "workloads": workloads, "scaling": scaling,
            "parallel": parallel_rows,
            "peers": {"found": [list(p) for p in peers[0]],
                      "missing": peers[1]} if args.peers else None})
    if args.plot and numbers:
        _bench_report.plot(numbers, args.plot, set(configs.REFERENCES)
                           | {"retain", "python"}
                           | {r.name for r in rows if "/" in r.name})
    return 0


def group_by_reason(missing):
    """[(names, reason)] from [(name, reason)], in first-seen order."""
    groups = collections.OrderedDict()
    for name, reason in missing:
        groups.setdefault(reason, []).append(name)
    return [(names, reason) for reason, names in groups.items()]


def write_json(path, results):
    try:
        with open(path, "w") as f:
            json.dump(results, f, indent=2)
    except OSError as exc:
        raise BenchError("--json %s: cannot write it: %s" % (path, exc))
