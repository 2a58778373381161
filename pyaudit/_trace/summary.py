"""The ``--summary`` table, like ``strace -c``: events per name, per
process, denials and the top callers of each event.

Every traced process appends one JSON record per event (and one when it
starts) to a shared file, as the event happens; ``pyaudit run``'s own
process reads it at exit.  So processes that end with ``os._exit`` or a
signal (multiprocessing's workers) are counted; processes still running
when ``pyaudit run``'s process exits are counted only up to then.
"""

TOP_CALLERS = 3


class _Event:
    __slots__ = ("count", "pids", "denied", "callers")

    def __init__(self):
        self.count = 0
        self.pids = set()
        self.denied = 0
        self.callers = {}


def read(path, data=None):
    """(events {name: _Event}, processes {pid: [ppid, command, count]})
    from the records file (its content ``data``, when already read); a
    line cut short by a process killed while writing it is skipped."""
    import json
    events, processes = {}, {}
    if data is None:
        with open(path, "rb") as records:
            data = records.read()
    for raw in data.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        pid = record.get("pid")
        if "command" in record:
            entry = processes.setdefault(pid, [None, None, 0])
            entry[0], entry[1] = record.get("ppid"), record["command"]
            continue
        name = record.get("event")
        if not isinstance(name, str):
            continue
        event = events.get(name)
        if event is None:
            event = events[name] = _Event()
        event.count += 1
        event.pids.add(pid)
        event.denied += bool(record.get("denied"))
        caller = record.get("caller")
        event.callers[caller] = event.callers.get(caller, 0) + 1
        processes.setdefault(pid, [None, None, 0])[2] += 1
    return events, processes


def _plural(count, noun):
    return "%d %s" % (count, noun if count == 1 else noun + (
        "es" if noun.endswith("s") else "s"))


def _table(header, rows, right):
    """Aligned columns; ``right`` says which are right-aligned."""
    widths = [max(len(str(cell)) for cell in column)
              for column in zip(header, *rows)]

    def line(cells):
        return "  ".join(
            str(cell).rjust(width) if is_right else str(cell).ljust(width)
            for cell, width, is_right in zip(cells, widths, right)).rstrip()
    rule = ["-" * width for width in widths]
    return [line(header), line(rule)] + [line(row) for row in rows]


def render(events, processes):
    """The summary as text."""
    total = sum(event.count for event in events.values())
    out = ["pyaudit run --summary: %s in %s" % (
        _plural(total, "event"), _plural(len(processes), "process")), ""]
    by_count = sorted(events.items(), key=lambda item: (-item[1].count,
                                                        item[0]))
    rows = [(event.count, len(event.pids), event.denied, name)
            for name, event in by_count]
    out += _table(("events", "processes", "denied", "event"),
                  rows + [("-" * 6, "-" * 9, "-" * 6, ""),
                          (total, len(processes),
                           sum(event.denied for event in events.values()),
                           "total")],
                  (True, True, True, False))
    out.append("")
    rows = [(pid, "?" if ppid is None else ppid, count,
             " ".join(command) if command else "?")
            for pid, (ppid, command, count) in processes.items()]
    out += _table(("pid", "ppid", "events", "command"), rows,
                  (True, True, True, False))
    if by_count:
        out += ["", "top callers (at most %d per event)" % TOP_CALLERS]
        for name, event in by_count:
            out.append("  " + name)
            ranked = sorted(event.callers.items(),
                            key=lambda item: (-item[1], str(item[0])))
            for caller, count in ranked[:TOP_CALLERS]:
                out.append("    %8d  %s" % (
                    count, "(no Python caller)" if caller is None
                    else caller))
    return "\n".join(out) + "\n"
