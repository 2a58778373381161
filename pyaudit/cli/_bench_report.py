"""The numbers of ``pyaudit bench``, summarised and printed.

A row is one configuration (or someone else's hook on one event): its
cost per event, its overhead over no hook running the same loop, and that
overhead as a ratio to the floor (the no-op C hook on the same loop) and
to the configuration it is compared with.
"""

import statistics
import sys


def _overheads(values, rows):
    """{row name: value minus its base's value}."""
    return {r.name: values[r.name] - values[r.base] for r in rows
            if r.name in values and r.base in values}


def _ratios(row, overhead, prefix, result):
    """Add the ratios of row's overhead to its floor's and to its compared
    configuration's (and the difference to the latter) to result."""
    own = overhead.get(row.name)
    if own is None or row.name == row.base:
        return
    floor = overhead.get(row.floor)
    if floor:
        result[prefix + "x_floor"] = own / floor
    other = overhead.get(row.compared_with)
    if row.compared_with and other is not None:
        if other:
            result[prefix + "x_compared"] = own / other
        result[prefix + "minus_compared"] = own - other


def summarise(rows, samples, instructions):
    """One dict of numbers per row, in the rows' order."""
    median = {name: statistics.median(v) for name, v in samples.items()}
    overhead = _overheads(median, rows)
    overhead_i = _overheads(instructions, rows) if instructions else {}
    result = []
    for row in rows:
        values = samples[row.name]
        numbers = {"config": row.name, "event": row.event,
                   "floor": row.floor, "compared_with": row.compared_with,
                   "ns_per_event": median[row.name],
                   "ns_spread": [min(values), max(values)],
                   "overhead_ns": overhead.get(row.name)}
        _ratios(row, overhead, "ns_", numbers)
        if instructions:
            numbers["instructions_per_event"] = instructions[row.name]
            numbers["overhead_instructions"] = overhead_i.get(row.name)
            _ratios(row, overhead_i, "instructions_", numbers)
        result.append(numbers)
    return result


def _cell(numbers, key, form):
    value = numbers.get(key)
    return "" if value is None else form % value


def _aligned(lines):
    widths = [max(len(line[i]) for line in lines)
              for i in range(len(lines[0]))]
    return "\n".join("  ".join(cell.rjust(w) if i else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(line,
                                                                 widths)))
                     .rstrip() for line in lines)


def format_rows(numbers):
    has_i = "instructions_per_event" in numbers[0]
    header = ["config", "ns/event", "spread", "overhead ns", "x floor",
              "compared with", "x that"]
    if has_i:
        header += ["instr/event", "overhead instr", "x floor (instr)",
                   "x that (instr)", "+instr over that"]
    lines = [header]
    for n in numbers:
        line = [n["config"], "%.1f" % n["ns_per_event"],
                "%.1f-%.1f" % tuple(n["ns_spread"]),
                _cell(n, "overhead_ns", "%.1f"),
                _cell(n, "ns_x_floor", "%.2f"),
                n["compared_with"] or "",
                _cell(n, "ns_x_compared", "%.2f")]
        if has_i:
            line += [_cell(n, "instructions_per_event", "%.0f"),
                     _cell(n, "overhead_instructions", "%.0f"),
                     _cell(n, "instructions_x_floor", "%.2f"),
                     _cell(n, "instructions_x_compared", "%.2f"),
                     _cell(n, "instructions_minus_compared", "%+.0f")]
        lines.append(line)
    return _aligned(lines)


def summarise_workloads(samples):
    """{workload: {subject: [ms, ...]}} -> one dict per workload."""
    rows = []
    for workload, by_subject in samples.items():
        row = {"workload": workload}
        median = {s: statistics.median(v) for s, v in by_subject.items()}
        for subject, value in median.items():
            row[subject + "_ms"] = value
            row[subject + "_spread_ms"] = [min(by_subject[subject]),
                                           max(by_subject[subject])]
            if median.get("noop"):
                row[subject + "_x_noop"] = value / median["noop"]
        rows.append(row)
    return rows


def format_workloads(rows, subjects):
    header = ["workload"] + ["%s ms (x noop)" % s for s in subjects]
    lines = [header]
    for row in rows:
        line = [row["workload"]]
        for subject in subjects:
            if subject + "_ms" not in row:
                line.append("")
            elif subject + "_x_noop" in row:
                line.append("%.2f (%.3f)" % (row[subject + "_ms"],
                                             row[subject + "_x_noop"]))
            else:
                line.append("%.2f" % row[subject + "_ms"])
        lines.append(line)
    return _aligned(lines)


def format_scaling(rows):
    """The scaling table, then the growth from the smallest to the
    largest N measured."""
    lines = [["others live", "subscribe ms", "close ms", "C heap MB",
              "heap per subscription"]]
    notes = []
    for row in rows:
        heap = row.get("heap_bytes")
        heap_cells = (["", ""] if heap is None else
                      ["%.1f" % (heap / 2 ** 20),
                       "%.0f B" % (heap / max(row.get("reached", row["n"]),
                                              1))])
        if "subscribe_ms" in row:
            lines.append(["{:,}".format(row["n"]),
                          "%.3f" % row["subscribe_ms"],
                          "%.3f" % row["close_ms"]] + heap_cells)
        else:
            lines.append(["{:,}".format(row["n"]), "not reached", ""]
                         + heap_cells)
            notes.append(
                "N={:,}: not measured: setting up the others stopped at "
                "{:,} after {:.0f} s or {:.0f} MB of heap (the last "
                "subscribe took {:.1f} ms)".format(
                    row["n"], row["reached"], row["budget_s"],
                    (heap or 0) / 2 ** 20, row["last_subscribe_ms"]))
    measured = [r for r in rows if "subscribe_ms" in r]
    if len(measured) >= 2:
        low, high = measured[0], measured[-1]
        parts = ["subscribe x%.1f" % (high["subscribe_ms"]
                                      / low["subscribe_ms"]),
                 "close x%.1f" % (high["close_ms"] / low["close_ms"])]
        if low.get("heap_bytes") and high.get("heap_bytes") is not None:
            parts.append("heap x%.1f" % (high["heap_bytes"]
                                         / low["heap_bytes"]))
        notes.append("growth from N={:,} to N={:,} ({:.0f}x the "
                     "subscriptions): {}".format(
                         low["n"], high["n"], high["n"] / low["n"],
                         ", ".join(parts)))
    return "\n".join([_aligned(lines)] + notes)


def format_parallel(rows):
    lines = [["hook", "events/s, 1 interpreter", "events/s, 2 at once",
              "2 / 1"]]
    for row in rows:
        lines.append([row["subject"], "{:,.0f}".format(row["one"]),
                      "{:,.0f}".format(row["two"]),
                      "%.2fx" % row["scaling"]])
    return _aligned(lines)


def plot(numbers, path, reference_names):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    key = ("overhead_instructions" if "overhead_instructions" in numbers[0]
           else "overhead_ns")
    shown = [n for n in numbers if n.get(key) is not None
             and n["config"] not in ("none", "none-open")]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(shown) + 1.2))
    ax.barh([n["config"] for n in shown], [n[key] for n in shown],
            color=["#888" if n["config"] in reference_names else "#2a7"
                   for n in shown])
    ax.invert_yaxis()
    ax.set_xlabel("overhead per event over no hook (%s); grey: references "
                  "and other hooks" % ("instructions" if key ==
                                       "overhead_instructions" else "ns"))
    ax.set_title("audit hook overhead, Python %d.%d" % sys.version_info[:2])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
