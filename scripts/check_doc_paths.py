# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that every repository path a document names in `code` or a link exists.

    python3 scripts/check_doc_paths.py README.md [OTHER.md ...]

A path counts when it starts with one of the project's top-level directories. Words in
capitals (CORE, NAME, PROFILE) are placeholders and match anything; a path git ignores
(an output directory such as benchmarks/results/) may be absent. Prints one line per
missing path and exits 1 if there is any.
"""

import glob
import os
import re
import subprocess
import sys

TOP = ('roles', 'plugins', 'scripts', 'files', 'extensions', 'benchmarks', 'tests',
       'playbooks', 'examples', 'meta', 'docs', 'requirements', 'changelogs', '.ci')
CANDIDATE = re.compile(r'`([^`\s]+)`|\]\(([^)\s#]+)\)')
PLACEHOLDER = re.compile(r'[A-Z][A-Z0-9_]+')


def candidates(text):
    for match in CANDIDATE.finditer(text):
        path = match.group(1) or match.group(2)
        if path.startswith('./'):
            path = path[2:]
        if path.split('/', 1)[0] in TOP and '/' in path:
            yield text.count('\n', 0, match.start()) + 1, path


def exists(root, path):
    pattern = PLACEHOLDER.sub('*', path.rstrip('/'))
    if glob.glob(os.path.join(root, pattern)):
        return True
    ignored = subprocess.run(['git', '-C', root, 'check-ignore', '-q', path],
                             check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ignored.returncode == 0


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    missing = 0
    for doc in argv or ['README.md']:
        with open(os.path.join(root, doc), encoding='utf-8') as handle:
            text = handle.read()
        for line, path in candidates(text):
            if not exists(root, path):
                print('%s:%d: %s does not exist' % (doc, line, path))
                missing += 1
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
