"""Write a file in this process's working directory and in DIR, then have
a child Python process started in DIR do the same; print {"parent":
[...], "child": [...]} as one JSON object, each list saying "written" or
"denied" for (the process's own working directory, the other one).

    python policy_cwd.py DIR
"""

import json
import os
import subprocess
import sys


def write_in(directories):
    result = []
    for directory in directories:
        try:
            open(os.path.join(directory, "file-%d" % os.getpid()),
                 "w").close()
        except PermissionError:
            result.append("denied")
        else:
            result.append("written")
    return result


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        print(json.dumps(write_in(sys.argv[2:])))
        sys.exit(0)
    here, there = os.getcwd(), sys.argv[1]
    child = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", there, here],
        cwd=there, stdout=subprocess.PIPE, universal_newlines=True)
    print(json.dumps({"parent": write_in([here, there]),
                      "child": json.loads(child.stdout)}))
