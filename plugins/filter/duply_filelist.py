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

from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.module_utils.duply_globs import walk


def _walk(source, includes, excludes):
    try:
        yield from walk(source, includes, excludes)
    except ValueError as exc:
        raise AnsibleFilterError('duply_filelist: %s' % exc) from exc


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
