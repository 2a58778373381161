"""``python -m pyaudit bench``: measure what an audit hook costs per event.

Every configuration runs in a fresh process (hooks can never be removed):

    none         no audit hook at all
    noop         a C hook that returns at once: the floor for any hook
    retain       a C hook that only keeps each args tuple alive with the
                 wall-clock time and the thread, released every 1,000
                 events: the floor for any hook that records those
    miss         pyaudit, a typical security filter, an event it does
                 not want
    watch        ... plus a watch subscription with a trivial callback, hit
    record       ... plus a record subscription, hit, cleared every 1,000
                 events as a program that drains it would
    count        ... plus a count subscription, hit
    python       a pure-Python hook filtering with a frozenset, calling the
                 same trivial callback, hit
    retain-held  retain, and record-held: record, never released, so that
    record-held  every event stays alive: the garbage collector then walks
                 the held tuples again and again, which costs more than
                 the hook itself (a cost of keeping objects, shown apart)

Overhead is a configuration's cost per event minus that of "none", on the
same interpreter in the same run.

Real workloads (deepcopy, pickle, logging, os.walk, importing 30 stdlib
modules) run under none, noop, miss (pyaudit with the security filter) and
python (the same filter as a pure-Python hook); the table gives their wall
time and the ratio to the no-op C hook.  Nanoseconds come from
interleaved rounds (median and spread); instructions, with --instructions,
from callgrind as the difference between two loop lengths, so start-up
cancels out.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from pyaudit.cli._bench_child import BATCH

HELP = "measure audit hook overhead per event"

CONFIGS = ("none", "noop", "retain", "miss", "watch", "record", "count",
           "python", "retain-held", "record-held")
# The development targets: (configuration, reference, most allowed ratio of the
# two overheads).  Printed with the measured ratios after every run.
TARGETS = (("miss", "noop", 1.15), ("watch", "python", 0.6),
           ("record", "noop", 1.6), ("count", "noop", 1.3))
# ... and for the real workloads: wall time with pyaudit and the security
# filter against the same workload under the no-op C hook.
WORKLOAD_TARGET = 1.03
WORKLOADS = ("deepcopy", "pickle", "logging", "os.walk", "import")
WORKLOAD_CONFIGS = ("none", "noop", "miss", "python")


def _run_child(config, events, prefix=(), workload=None):
    env = dict(os.environ, PYTHONHASHSEED="0")
    command = list(prefix) + [sys.executable, "-m", "pyaudit.cli._bench_child",
                              config]
    if workload is None:
        command.append(str(events))
    else:
        command += ["--workload", workload, str(events)]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if done.returncode != 0:
        raise RuntimeError("configuration %r failed: %s"
                           % (config, done.stderr.strip()[-500:]))
    return done


def measure_ns(configs, events, rounds, progress):
    """ns/event per configuration: {config: [one value per round]}."""
    samples = {config: [] for config in configs}
    for round_number in range(rounds):
        for config in configs:     # interleaved, so drift hits all alike
            progress("round %d/%d: %s" % (round_number + 1, rounds, config))
            elapsed = int(_run_child(config, events).stdout.split()[-1])
            samples[config].append(elapsed / events)
    return samples


def measure_workloads(workloads, repeat, rounds, progress):
    """Wall ms per workload and configuration: {workload: {config: [..]}}."""
    samples = {w: {c: [] for c in WORKLOAD_CONFIGS} for w in workloads}
    for round_number in range(rounds):
        for workload in workloads:
            for config in WORKLOAD_CONFIGS:
                progress("round %d/%d: %s under %s"
                         % (round_number + 1, rounds, workload, config))
                done = _run_child(config, repeat, workload=workload)
                samples[workload][config].append(
                    int(done.stdout.split()[-1]) / 1e6)
    return samples


def summarise_workloads(samples):
    rows = []
    for workload, by_config in samples.items():
        median = {c: statistics.median(v) for c, v in by_config.items()}
        row = {"workload": workload}
        for config, value in median.items():
            row[config + "_ms"] = value
            row[config + "_spread_ms"] = [min(by_config[config]),
                                          max(by_config[config])]
        for config in ("none", "miss", "python"):
            row[config + "_x_noop"] = median[config] / median["noop"]
        rows.append(row)
    return rows


def format_workloads(rows):
    header = ["workload", "none ms", "no-op C hook ms", "pyaudit ms",
              "python hook ms", "pyaudit x no-op", "python x no-op"]
    lines = [header]
    for r in rows:
        lines.append([r["workload"], "%.2f" % r["none_ms"],
                      "%.2f" % r["noop_ms"], "%.2f" % r["miss_ms"],
                      "%.2f" % r["python_ms"], "%.3f" % r["miss_x_noop"],
                      "%.3f" % r["python_x_noop"]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths))
                     for line in lines)


def _callgrind_total(config, events):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        _run_child(config, events, prefix=(
            "valgrind", "--tool=callgrind", "--callgrind-out-file=" + out))
        with open(out) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1])
    raise RuntimeError("callgrind wrote no total for %r" % (config,))


def measure_instructions(configs, events, progress):
    """Instructions/event per configuration, from callgrind."""
    result = {}
    for config in configs:
        progress("instructions: %s" % config)
        short = _callgrind_total(config, events)
        long = _callgrind_total(config, 2 * events)
        result[config] = (long - short) / events
    return result


def summarise(samples, instructions):
    """Rows of numbers for each configuration."""
    median = {c: statistics.median(v) for c, v in samples.items()}
    base = median.get("none", 0.0)
    overhead = {c: m - base for c, m in median.items()}
    rows = []
    for config, values in samples.items():
        row = {
            "config": config,
            "ns_per_event": median[config],
            "ns_spread": [min(values), max(values)],
            "overhead_ns": overhead[config],
        }
        for reference in ("noop", "python", "retain"):
            ref = overhead.get(reference)
            if ref and config != "none":
                row["ratio_to_" + reference] = overhead[config] / ref
        if instructions:
            base_i = instructions["none"]
            row["instructions_per_event"] = instructions[config]
            row["overhead_instructions"] = instructions[config] - base_i
            for reference in ("noop", "python", "retain"):
                ref = instructions.get(reference, base_i) - base_i
                if ref and config != "none":
                    row["instructions_ratio_to_" + reference] = (
                        (instructions[config] - base_i) / ref)
        rows.append(row)
    return rows


def format_table(rows):
    has_i = "instructions_per_event" in rows[0]
    header = ["config", "ns/event", "spread", "overhead ns", "x noop",
              "x python"]
    if has_i:
        header += ["instr/event", "overhead instr", "x noop (instr)",
                   "x python (instr)"]
    lines = [header]
    for r in rows:
        line = [r["config"], "%.1f" % r["ns_per_event"],
                "%.1f-%.1f" % tuple(r["ns_spread"]), "%.1f" % r["overhead_ns"],
                "%.2f" % r["ratio_to_noop"] if "ratio_to_noop" in r else "",
                "%.2f" % r["ratio_to_python"] if "ratio_to_python" in r
                else ""]
        if has_i:
            line += ["%.0f" % r["instructions_per_event"],
                     "%.0f" % r["overhead_instructions"],
                     "%.2f" % r["instructions_ratio_to_noop"]
                     if "instructions_ratio_to_noop" in r else "",
                     "%.2f" % r["instructions_ratio_to_python"]
                     if "instructions_ratio_to_python" in r else ""]
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths))
                     for line in lines)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [r for r in rows if r["config"] != "none"]
    key = ("overhead_instructions" if "overhead_instructions" in rows[0]
           else "overhead_ns")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.barh([r["config"] for r in rows], [r[key] for r in rows],
            color=["#888" if r["config"] in ("noop", "retain", "retain-held",
                                          "python")
                   else "#2a7"
                   for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("overhead per event over no hook (%s)"
                  % ("instructions" if key == "overhead_instructions"
                     else "ns"))
    ax.set_title("pyaudit hook overhead, Python %d.%d"
                 % sys.version_info[:2])
    fig.tight_layout()
    fig.savefig(path, dpi=100)


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
    if value % BATCH:
        raise argparse.ArgumentTypeError(
            "must be a multiple of %d (events run in batches of that many), "
            "not %d" % (BATCH, value))
    return value


def check_targets(rows):
    """Lines comparing each target's measured ratios with its limit: in
    instructions when measured (deterministic, what the targets are judged
    by), and in nanoseconds."""
    by_config = {r["config"]: r for r in rows}
    lines = []
    for config, reference, limit in TARGETS:
        row = by_config.get(config)
        if row is None:
            continue
        parts = []
        for key, unit in (("instructions_ratio_to_", "instructions"),
                          ("ratio_to_", "ns")):
            if key + reference in row:
                ratio = row[key + reference]
                parts.append("%.2fx in %s (%s)" % (
                    ratio, unit, "met" if ratio <= limit else "MISSED"))
        if parts:
            lines.append("%-6s vs %s overhead, target <= %.2fx: %s"
                         % (config, reference, limit, ", ".join(parts)))
    return lines


def check_workload_targets(rows):
    """One line per workload: pyaudit's wall-time ratio to the no-op C
    hook against WORKLOAD_TARGET."""
    return ["%-8s pyaudit vs no-op C hook, target <= %.2fx: %.3fx (%s)"
            % (row["workload"], WORKLOAD_TARGET, row["miss_x_noop"],
               "met" if row["miss_x_noop"] <= WORKLOAD_TARGET else "MISSED")
            for row in rows]


def add_arguments(parser):
    parser.add_argument("--events", type=batch_multiple, default=200_000,
                        help="events per timed run, a multiple of %d "
                             "(default 200000)" % BATCH)
    parser.add_argument("--rounds", type=positive_int, default=5,
                        help="interleaved timing rounds (default 5)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions/event with callgrind")
    parser.add_argument("--instruction-events", type=batch_multiple,
                        default=20_000,
                        help="events per callgrind run, a multiple of %d "
                             "(default 20000)" % BATCH)
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help="comma-separated subset of: "
                             + ", ".join(CONFIGS))
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated real workloads to time, or "
                             "'none' (default: %s)" % ", ".join(WORKLOADS))
    parser.add_argument("--workload-repeat", type=positive_int, default=20,
                        help="repetitions per workload process; the "
                             "fastest counts (default 20)")
    parser.add_argument("--json", metavar="FILE", help="write results here")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw the overheads (needs matplotlib)")


def run(args, parser):
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown or not configs:
        parser.error("unknown configuration %s; choose from %s"
                     % (", ".join(map(repr, unknown)) or "(none given)",
                        ", ".join(CONFIGS)))
    for needed in ("none",):
        if needed not in configs:
            configs.insert(0, needed)
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    if workloads == ["none"]:
        workloads = []
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error("unknown workload %s; choose from %s, or none"
                     % (", ".join(map(repr, unknown)), ", ".join(WORKLOADS)))
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on PATH")
    if args.plot:
        try:
            import matplotlib  # noqa: F401 (checked before a long run)
        except ImportError:
            parser.error("--plot needs matplotlib: pip install "
                         "'pyaudit[plot]'")

    def progress(message):
        print("  " + message, file=sys.stderr, flush=True)

    samples = measure_ns(configs, args.events, args.rounds, progress)
    instructions = (measure_instructions(configs, args.instruction_events,
                                         progress)
                    if args.instructions else None)
    workload_rows = summarise_workloads(
        measure_workloads(workloads, args.workload_repeat, args.rounds,
                          progress)) if workloads else []
    rows = summarise(samples, instructions)
    print("Python %s, %d events x %d rounds per configuration"
          % (sys.version.split()[0], args.events, args.rounds))
    print(format_table(rows))
    record = [r for r in rows if r["config"] == "record"]
    if record and "ratio_to_retain" in record[0]:
        line = ("record hit vs the retain floor (a C hook that only keeps "
                "the args tuple, the time and the thread; reading the wall "
                "clock is most of its ns, and invisible to callgrind): "
                "%.2fx ns" % record[0]["ratio_to_retain"])
        if "instructions_ratio_to_retain" in record[0]:
            line += ", %.2fx instructions" % (
                record[0]["instructions_ratio_to_retain"])
        print(line)
    targets = check_targets(rows)
    if targets:
        print("\nTargets (overhead ratios):")
        for line in targets:
            print("  " + line)
    if workload_rows:
        print("\nReal workloads, wall time (median of %d fresh processes, "
              "each the fastest of %d runs)" % (args.rounds,
                                                args.workload_repeat))
        print(format_workloads(workload_rows))
        print("\nWorkload targets (wall time):")
        for line in check_workload_targets(workload_rows):
            print("  " + line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"python": sys.version.split()[0], "rows": rows,
                       "workloads": workload_rows}, f, indent=2)
    if args.plot:
        plot(rows, args.plot)
    return 0
