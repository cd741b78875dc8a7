# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Duplicity glob filelists from patterns written relative to a profile's source.

duply_filelist_errors, defined here next to the rules it checks, is registered and
documented in duply_filelist_errors.py.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: duply_filelist
short_description: Duplicity glob filelist lines from includes and excludes relative to a source
version_added: 0.1.0
author: offsite.backup contributors
description:
  - Turns the O(includes) and O(excludes) of a duply profile into the lines of a duplicity glob
    filelist (C(--exclude-filelist)), C(+ GLOB) for each include and then C(- GLOB) for each
    exclude. Duplicity uses the first line that matches a path, so an include wins over any exclude.
  - Duplicity only matches full paths, and rejects a glob that cannot match inside the source
    (C(FilePrefixError)). Patterns are therefore turned into absolute globs below the source.
  - An absolute path or glob (C(/srv/data/tmp), C(/srv/data/**/cache)) is used as written. It must be able
    to match inside the source. A path without glob characters must lie strictly below the source.
    The leading directories of a glob must match the source's, up to a C(**) (C(/srv/*/cache) can
    match inside source C(/srv/data), C(/srv/other/*) or C(/etc/*) cannot).
  - A relative pattern without C(/) (C(00Catalogs), C(*.tmp), C(.cache)) matches that name at any depth below
    the source, the top included. It becomes two lines, C(SOURCE/NAME) and C(SOURCE/**/NAME), because
    duplicity's C(**) does not match zero directories.
  - A relative pattern that starts with C(**/) (C(**/.thumbnails)) also matches at any depth, the top included.
  - Any other relative pattern, one with a C(/) or one that starts with C(./) (C(./00Catalogs),
    C(photos/raw), C(photos/*/thumbs)), is anchored at the top of the source (C(SOURCE/photos/raw)).
    C(./NAME) is the way to match NAME at the top level only.
  - A trailing C(/) is dropped, as are C(.) components and repeated C(/). C(..) components are resolved;
    a relative pattern whose C(..) leaves the source is rejected.
  - Duplicity's C(ignorecase:) prefix is kept in front of each line the pattern becomes.
  - Empty patterns, patterns of more than one line, and patterns that name the source itself or a directory
    above it are rejected.
  - Glob characters (C(*), C(?), C([)) in the source's own name are escaped, so they match themselves.
  - The filter fails on the first rejected pattern; P(offsite.backup.duply_filelist_errors#filter) lists every one.
positional: _input, includes, excludes
extends_documentation_fragment:
  - offsite.backup.duply_patterns
seealso:
  - plugin: offsite.backup.duply_filelist_errors
    plugin_type: filter
  - name: duplicity file selection
    description: The FILE SELECTION section of duplicity's manual.
    link: https://duplicity.us/stable/duplicity.1.html#file-selection
"""

EXAMPLES = r"""
- name: Lines of a glob filelist
  ansible.builtin.debug:
    msg: >-
      {{ '/srv/data/' | offsite.backup.duply_filelist(
           ['photos/raw'],
           ['00Catalogs', './tmp', 'photos/*/thumbs', '/srv/data/**/cache', 'ignorecase:*.bak']) }}
  # msg:
  #   - + /srv/data/photos/raw
  #   - '- /srv/data/00Catalogs'
  #   - '- /srv/data/**/00Catalogs'
  #   - '- /srv/data/tmp'
  #   - '- /srv/data/photos/*/thumbs'
  #   - '- /srv/data/**/cache'
  #   - '- ignorecase:/srv/data/*.bak'
  #   - '- ignorecase:/srv/data/**/*.bak'

- name: Write a profile's exclude file
  ansible.builtin.copy:
    content: "{{ (profile.source | offsite.backup.duply_filelist(profile.includes, profile.excludes) | join('\n')) ~ '\n' }}"
    dest: /etc/duply/{{ profile.name }}/exclude
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The lines of the filelist, without line ends, includes first.
  type: list
  elements: str
"""

import posixpath
import re
from fnmatch import fnmatchcase

from ansible.errors import AnsibleFilterError

IGNORECASE = 'ignorecase:'


def _source_parts(source):
    if not isinstance(source, str) or not source.startswith('/'):
        raise AnsibleFilterError('duply_filelist: the source must be an absolute path, not %r' % (source,))
    return [part for part in posixpath.normpath(source).split('/') if part]


def _absolute_place(source_parts, parts, ignorecase):
    """'inside' if the absolute glob can match below the source, 'whole' if it ends at the source or above it, else 'outside'."""
    if ignorecase:
        source_parts = [part.casefold() for part in source_parts]
        parts = [part.casefold() for part in parts]
    for level, part in enumerate(parts):
        if level == len(source_parts):
            return 'inside'
        if '**' in part:
            # ** also matches '/', so everything after a fitting head can lie below the source.
            head = part[:part.index('**')] + '*'
            return 'inside' if fnmatchcase(source_parts[level], head) else 'outside'
        if not fnmatchcase(source_parts[level], part):
            return 'outside'
    return 'whole'


def _translate(source_parts, pattern):
    """Return (globs, None) for one pattern, or (None, why it is rejected)."""
    if not isinstance(pattern, str):
        return None, 'must be a string, not %s' % type(pattern).__name__
    if '\n' in pattern or '\r' in pattern:
        return None, 'must be a single line'
    body = pattern.strip()
    flag = ''
    if body[:len(IGNORECASE)].lower() == IGNORECASE:
        flag, body = body[:len(IGNORECASE)], body[len(IGNORECASE):]
    if not body:
        return None, 'is empty'
    source = '/' + '/'.join(source_parts)

    if body.startswith('/'):
        parts = [part for part in posixpath.normpath(body).split('/') if part]
        place = _absolute_place(source_parts, parts, bool(flag))
        if place == 'outside':
            return None, "'%s' lies outside the source %s and can never match" % (pattern, source)
        if place == 'whole':
            return None, "'%s' names the source %s itself or a directory above it, not a path inside it" % (pattern, source)
        return [flag + '/' + '/'.join(parts)], None

    anywhere = '/' not in body.rstrip('/')
    if body.startswith('**/'):
        anywhere, body = True, body[3:]
    relative = posixpath.normpath(body)
    if relative == '..' or relative.startswith('../'):
        return None, "'%s' climbs out of the source %s with '..' and can never match" % (pattern, source)
    if relative == '.':
        return None, "'%s' names the source %s itself, not a path inside it" % (pattern, source)
    # Duplicity has no quoting, but a one-character class matches the character itself.
    base = ''.join('/' + re.sub(r'([*?[])', r'[\1]', part) for part in source_parts)
    globs = [base + '/' + relative]
    if anywhere:
        globs.append(base + '/**/' + relative)
    return [flag + glob for glob in globs], None


def _walk(source, includes, excludes):
    """Yield (filelist lines, error message) for each pattern; one of the two is None."""
    source_parts = _source_parts(source)
    for sign, field, patterns in (('+', 'includes', includes), ('-', 'excludes', excludes)):
        if patterns is None:
            continue
        if not isinstance(patterns, (list, tuple)):
            yield None, '%s must be a list of patterns, not %s' % (field, type(patterns).__name__)
            continue
        for index, pattern in enumerate(patterns):
            globs, problem = _translate(source_parts, pattern)
            if problem:
                yield None, '%s[%d] %s' % (field, index, problem)
            else:
                yield ['%s %s' % (sign, glob) for glob in globs], None


def duply_filelist(source, includes=None, excludes=None):
    """Return the glob filelist lines for includes and excludes relative to source."""
    lines = []
    for more, problem in _walk(source, includes, excludes):
        if problem:
            raise AnsibleFilterError('duply_filelist: %s' % problem)
        lines.extend(more)
    return lines


def duply_filelist_errors(source, includes=None, excludes=None):
    """Return one message per pattern that duply_filelist rejects; empty when all are fine."""
    return [problem for more, problem in _walk(source, includes, excludes) if problem]


class FilterModule:
    """Duply filelist filter."""

    def filters(self):
        return {
            'duply_filelist': duply_filelist,
        }
