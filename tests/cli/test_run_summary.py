"""``pyaudit run --summary``: at exit, a table like ``strace -c`` of the
events of the whole process tree: per event name, per process, denials
and the top callers of each event."""

import collections
import os

from support import jsonl, program, run_pyaudit

TREE = program("run_process_tree.py")


def parse(text):
    """(header, {event: (count, processes, denied)}, total row,
    {pid: (ppid, events, command)}, {event: [(count, caller)]})."""
    lines = text.splitlines()
    header = lines[0]
    rows, index = {}, 4
    while not lines[index].startswith("------"):
        count, processes, denied, name = lines[index].split(None, 3)
        rows[name] = (int(count), int(processes), int(denied))
        index += 1
    total = tuple(int(cell) for cell in lines[index + 1].split()[:3])
    index += 5                  # blank line, header and rule of processes
    processes = {}
    while index < len(lines) and lines[index]:
        pid, ppid, count, command = lines[index].split(None, 3)
        processes[int(pid)] = (int(ppid), int(count), command)
        index += 1
    callers, name = {}, None
    for line in lines[index + 2:]:
        if not line.startswith("    "):
            name = line.strip()
            callers[name] = []
        else:
            count, caller = line.split(None, 1)
            callers[name].append((int(count), caller))
    return header, rows, total, processes, callers


def test_summary_counts_what_the_lines_show(tmp_path, ename):
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["--summary", "-e", "+" + ename, "-o", out, TREE,
                        ename, "subprocess"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    events = jsonl(out.read_text())
    text = done.stderr[done.stderr.index("pyaudit run --summary"):]
    header, rows, total, processes, callers = parse(text)
    pids = {e["pid"] for e in events}
    assert header == "pyaudit run --summary: %d events in %d processes" % (
        len(events), len(pids))
    counts = collections.Counter(e["event"] for e in events)
    assert rows == {name: (count, len({e["pid"] for e in events
                                       if e["event"] == name}), 0)
                    for name, count in counts.items()}
    assert total == (len(events), len(pids), 0)
    assert list(rows) == sorted(counts, key=lambda n: (-counts[n], n))
    per_pid = collections.Counter(e["pid"] for e in events)
    assert {pid: row[:2] for pid, row in processes.items()} == {
        e["pid"]: (e["ppid"], per_pid[e["pid"]]) for e in events}
    (leaf,) = [e["pid"] for e in events if e["args"] == ["leaf"]]
    assert processes[leaf][2].endswith(" %s %s leaf" % (TREE, ename))
    (hello_caller,) = callers[ename]
    assert hello_caller[0] == 2
    assert hello_caller[1].startswith(TREE + ":")
    assert hello_caller[1].endswith(" in hello")


def test_summary_alone_replaces_the_lines_and_counts_every_process(
        tmp_path, ename):
    # multiprocessing's fork child ends with os._exit: counted all the same
    done = run_pyaudit(["--summary", "-e", ename, TREE, ename, "fork"],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not jsonl(done.stderr)
    text = done.stderr[done.stderr.index("pyaudit run --summary"):]
    header, rows, total, processes, callers = parse(text)
    assert header == "pyaudit run --summary: 2 events in 2 processes"
    assert rows == {ename: (2, 2, 0)}
    assert sorted(row[1] for row in processes.values()) == [1, 1]


def test_summary_leaves_no_file_behind(tmp_path, ename):
    done = run_pyaudit(["--summary", "-e", ename, "-c", "pass"],
                       cwd=tmp_path, env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "pyaudit run --summary: 0 events in 1 process\n" in done.stderr
    assert not [name for name in os.listdir(str(tmp_path))
                if name.startswith("pyaudit-run-")]
