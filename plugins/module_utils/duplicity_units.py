# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Units of a split duply profile: their discovery, names and filelists.

A profile with ``split: {depth: N}`` is backed up as one duplicity chain per directory
exactly N levels below its source (a *unit*), each under ``PREFIX/SLUG/``, plus the
remainder unit ``_rest`` for everything outside those directories. The same file runs in
the collection (filters, tests) and on backup hosts, where ``files/offsite-backup-units.py``
imports it as a top-level module beside ``duply_globs.py``; standard library only.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import namedtuple

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.duply_globs import (
        absolute_place, escape, matches, parse_line, source_parts)
else:  # the host-side helper imports this file as a top-level module beside duply_globs.py
    from duply_globs import absolute_place, escape, matches, parse_line, source_parts  # pylint: disable=import-error

REST = '_rest'

# relpath is None for the remainder unit.
Unit = namedtuple('Unit', 'slug relpath')


class UnitError(ValueError):
    """The source cannot be split as asked."""


def unit_slug(relpath):
    """A name safe in S3 keys and duply profile names, unique per relpath."""
    slug = re.sub(r'[^A-Za-z0-9._-]', '_', relpath)
    if slug != relpath or slug in ('.', '..'):
        real = relpath.encode('utf-8', 'surrogateescape')
        slug += '-' + hashlib.sha1(real).hexdigest()[:8]
    return slug


def _decision(lines, path):
    """'in', 'out' or 'partial' (an include can match below path): duplicity's first match wins."""
    parts = [part for part in path.split('/') if part]
    for line in lines:
        sign, ignorecase, glob = parse_line(line)
        if matches(line, path):
            return 'in' if sign == '+' else 'out'
        if sign == '+' and absolute_place(parts, glob, ignorecase) == 'inside':
            return 'partial'
    return 'in'


def _subdirs(path):
    try:
        entries = list(os.scandir(path))
    except OSError:
        return []
    return sorted((e.name for e in entries if e.is_dir(follow_symlinks=False)), key=os.fsencode)


def discover(source, depth, filelist_lines=()):
    """The units of source split at depth, ordered by path, then the remainder unit.

    Directories the filelist excludes are no units (the remainder's filelist keeps them
    out); symbolic links are never followed.
    """
    if not isinstance(depth, int) or depth < 1:
        raise UnitError('the split depth must be a whole number, 1 or more, not %r' % (depth,))
    base = '/' + '/'.join(source_parts(source))
    lines = list(filelist_lines)
    found = ['']
    for _level in range(depth):
        deeper = []
        for rel in found:
            for name in _subdirs(os.path.join(base, rel)):
                child = rel + '/' + name if rel else name
                if _decision(lines, base + '/' + child) != 'out':
                    deeper.append(child)
        found = deeper
    units = [Unit(unit_slug(rel), rel) for rel in found]
    seen = {REST: None}
    for unit in units:
        if unit.slug in seen:
            raise UnitError('directory %r and %s both get the unit name %r; rename one of them'
                            % (unit.relpath, 'the remainder' if seen[unit.slug] is None else repr(seen[unit.slug]), unit.slug))
        seen[unit.slug] = unit.relpath
    return units + [Unit(REST, None)]


def unit_filelist(profile_lines, source, relpath, units=()):
    """The filelist of one unit: relpath below source, or None for the remainder of units."""
    parts = source_parts(source)
    if relpath is None:
        # The units' directories themselves stay in the remainder, empty: a restore of it
        # gives back their real names (and modes), which the slugs cannot.
        return ['- ' + escape(parts + u.relpath.split('/')) + '/**' for u in units if u.relpath is not None] + list(profile_lines)
    unit_parts = parts + relpath.split('/')
    out = []
    for line in profile_lines:
        sign, ignorecase, glob = parse_line(line)
        place = absolute_place(unit_parts, glob, ignorecase)
        if place == 'inside':
            out.append(line)
        elif place == 'whole':
            # The line decides the whole unit: duplicity refuses a line naming its base
            # directory, and nothing after the line matters any more.
            if sign == '-':
                out.append('- ' + ('ignorecase:' if ignorecase else '') + escape(unit_parts) + '/**')
            break
        # Lines outside the unit cannot match in it, and duplicity refuses them.
    return out


def tree_size(path, skip=()):
    """Bytes of the regular files below path (like du -sb), leaving out the directories in skip."""
    total = 0
    for top, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in skip]
        for name in files:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            total += st.st_size
    return total
