"""Print the failed tasks of an Ansible/Molecule log, each with the task's name and the start of
its error, so the end of a long CI log says what failed (CI keeps only the log's tail).

Usage: python3 scripts/failed_tasks.py LOG [MAX_LINES_PER_FAILURE]

A failure is a "fatal:" or "failed:" result; the ones shown are those that stopped a host.
"""
import re
import sys

ANSI = re.compile(r'\x1b\[[0-9;]*m')
# Molecule frames Ansible's output in a box: "  │ " before every line.
FRAME = re.compile(r'^\s*\u2502 ?')
RESULT = re.compile(r'^(fatal|failed): \[')
TASK = re.compile(r'^TASK \[')
HOST = re.compile(r'^\w+: \[([^\]]+)\]')
RECAP = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)')
ENDS_BLOCK = re.compile(r'^(TASK \[|PLAY |ok: \[|changed: \[|skipping: \[|fatal: \[|failed: \[|included: )')


def clean(line):
    return FRAME.sub('', ANSI.sub('', line.rstrip('\n')))


def failures(lines, max_lines):
    """The failures that stopped a host: (task, the failure's first lines). Ignored failures
    cannot be told apart by position (a loop's "...ignoring" lines all come at the task's end),
    so the play's recap decides: a host it counts as failed stopped at its last failure."""
    found = []
    last = {}
    task = ''
    index = 0
    while index < len(lines):
        line = lines[index]
        if TASK.match(line):
            task = line
        recap = RECAP.match(line)
        if recap and int(recap.group(2)) and recap.group(1) in last:
            found.append(last.pop(recap.group(1)))
        if recap or not RESULT.match(line):
            index += 1
            continue
        block = [line]
        index += 1
        while index < len(lines) and not ENDS_BLOCK.match(lines[index]) and lines[index] != '...ignoring':
            block.append(lines[index])
            index += 1
        last[HOST.match(line).group(1)] = (task, block[:max_lines])
    return found


def main():
    path = sys.argv[1]
    max_lines = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    with open(path, encoding='utf-8', errors='replace') as log:
        lines = [clean(line) for line in log]
    for task, block in failures(lines, max_lines):
        print(task)
        print('\n'.join('    ' + line for line in block))
        print()


if __name__ == '__main__':
    main()
