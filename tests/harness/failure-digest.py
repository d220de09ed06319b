#!/usr/bin/env python3
"""Where a failed stage failed, in a few lines, from its log: the task and message of each failed Ansible task
(the last ones), the failed tests of a pytest run, and the harness's own ERROR lines. run-all.sh prints this at the
very end of a run, so that a reader of only the end of the output (CI) sees why.

    failure-digest.py LOG [MAX_LINES]
"""

import re
import sys

ANSI = re.compile(r'\x1b\[[0-9;]*m')
# Molecule draws a box around each command's output: "  │ " before every line.
BOX = re.compile(r'^\s*[│┌└]\s?')
TASK = re.compile(r'^(TASK|RUNNING HANDLER) \[')
FAILED_TASK = re.compile(r'^(fatal|failed): \[')
PYTEST = re.compile(r'^(FAILED|ERROR) \S+::|^E\s{2,}\S')
HARNESS = re.compile(r'^ERROR: ')
WIDTH = 200


def clean(line):
    return BOX.sub('', ANSI.sub('', line)).rstrip()


def digest(lines, max_lines=12):
    """The lines that say where the log's run failed (most recent last), at most max_lines of them."""
    found = []
    task = None
    lines = [clean(line) for line in lines]
    for index, line in enumerate(lines):
        if TASK.match(line):
            # A long task name goes on over the next lines (the box is 80 columns wide).
            task = line.rstrip(' *')
            for follow in lines[index + 1:index + 3]:
                if task.endswith(']') or not follow.startswith('  '):
                    break
                task = task + ' ' + follow.strip().rstrip(' *')
        elif FAILED_TASK.match(line):
            # The message: this line and the indented lines under it (the YAML callback).
            message = [line.strip()]
            ignored = False
            for follow in lines[index + 1:index + 40]:
                if follow.startswith(' ') and follow.strip():
                    if len(message) < 8:
                        message.append(follow.strip())
                    continue
                # The first line after the message: Ansible says here when it ignores the failure.
                ignored = follow.strip() == '...ignoring'
                break
            if not ignored:
                found.append([task or '(no task)', ' '.join(message)])
        elif PYTEST.match(line) or HARNESS.match(line):
            found.append([line.strip()])
    out = []
    for entry in reversed(found):
        entry = [text if len(text) <= WIDTH else text[:WIDTH - 3] + '...' for text in entry]
        if len(out) + len(entry) > max_lines:
            break
        out[:0] = entry
    return out


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    with open(argv[1], errors='replace') as log:
        lines = digest(log.readlines(), int(argv[2]) if len(argv) == 3 else 12)
    print('---- %s: %s' % (argv[1], 'where it failed:' if lines else 'no failed task or test found in it'))
    for line in lines:
        print('  ' + line)


if __name__ == '__main__':
    main(sys.argv)
