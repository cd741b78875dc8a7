# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Units of a split duply profile: their discovery, names and filelists.

A profile with ``split: {depth: N}`` is backed up as one duplicity chain per directory
exactly N levels below its source (a *unit*), each under ``PREFIX/SLUG/``, plus the
remainder unit ``_rest`` for everything outside those directories. The same file runs in
the collection (filters, tests) and on backup hosts, where the runner (``offsite_runner``)
and ``roles/duply/files/offsite-backup-units.py`` import it as a top-level module beside
``duply_globs.py``; standard library only.

On the host, each unit is backed up through a duply profile of its own that
:func:`prepare` writes under the runtime directory (``RUNTIME/PROFILE/PROFILE--SLUG/``):
duply names the unit's duplicity cache after that directory, so each unit keeps its own.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
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


# The variable a unit's conf exports to duply's hooks: the post hook tags PREFIX/UNIT/ only.
UNIT_VARIABLE = 'OFFSITE_BACKUP_UNIT'


def display(relpath):
    """A unit's directory as reports show it: control characters as '?', None as '(rest)'."""
    if relpath is None:
        return '(rest)'
    return re.sub(r'[\x00-\x1f\x7f\udc80-\udcff]', '?', relpath)


def read_filelist(path):
    """The include and exclude lines of a duply exclude file (bytes kept as surrogates)."""
    with open(path, 'rb') as handle:
        text = handle.read().decode('utf-8', 'surrogateescape')
    return [line for line in text.splitlines() if line[:2] in ('+ ', '- ')]


def ordered(source, units, order='name'):
    """(units in the order to back them up, {slug: source bytes}); order is name or size."""
    base = os.path.normpath(source)
    inside = {os.path.join(base, u.relpath) for u in units if u.relpath is not None}
    sizes = {u.slug: tree_size(os.path.join(base, u.relpath)) if u.relpath is not None
             else tree_size(base, skip=inside) for u in units}
    if order == 'size':
        units = sorted(units, key=lambda u: sizes[u.slug])
    return list(units), sizes


def unit_conf(profile_dir, slug, label, source):
    """The conf of a unit's duply profile: the profile's conf, then the unit's source and target."""
    profile = os.path.basename(os.path.normpath(profile_dir))
    return ('# Unit %s of duply profile %s, written by offsite-backup.\n'
            '. %s\nSOURCE=%s\nTARGET="$TARGET/%s"\nexport %s=%s\n'
            % (label, profile, shlex.quote(os.path.join(profile_dir, 'conf')), shlex.quote(source), slug,
               UNIT_VARIABLE, shlex.quote(slug)))


def _write(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(text.encode('utf-8', 'surrogateescape'))


def unit_profile_dir(profile_dir, runtime_dir, slug):
    profile = os.path.basename(os.path.normpath(profile_dir))
    return os.path.join(runtime_dir, profile, '%s--%s' % (profile, slug))


def write_unit_profile(profile_dir, runtime_dir, slug, label, source, filelist):
    """Write the duply profile of one unit below RUNTIME/PROFILE/ (0700, files 0600); return its path.

    It holds the conf, the unit's exclude file and links to the profile's hooks and keys.
    """
    path = unit_profile_dir(profile_dir, runtime_dir, slug)
    os.mkdir(path, 0o700)
    _write(os.path.join(path, 'conf'), unit_conf(profile_dir, slug, label, source))
    _write(os.path.join(path, 'exclude'), ''.join(line + '\n' for line in filelist))
    for name in os.listdir(profile_dir):
        if name in ('pre', 'post') or name.startswith('gpgkey.'):
            os.symlink(os.path.join(profile_dir, name), os.path.join(path, name))
    return path


def fresh_runtime(profile_dir, runtime_dir, slug=None):
    """Make RUNTIME/PROFILE/ (0700) anew, or only the directory of the unit slug."""
    profile = os.path.basename(os.path.normpath(profile_dir))
    root = os.path.join(runtime_dir, profile)
    for path in (runtime_dir, root):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)
    shutil.rmtree(unit_profile_dir(profile_dir, runtime_dir, slug) if slug else root, ignore_errors=True)
    if not slug:
        os.mkdir(root, 0o700)


# One unit ready to back up: its name, directory as shown, source bytes and duply profile directory.
PreparedUnit = namedtuple('PreparedUnit', 'slug label size profile_dir source')


def prepare(profile_dir, runtime_dir, source, depth, order='name', exclude=None):
    """Discover the units of source and write a duply profile for each; return them in run order.

    exclude defaults to the profile's exclude file. Raises OSError or ValueError (UnitError)
    when the source cannot be split.
    """
    exclude = exclude or os.path.join(profile_dir, 'exclude')
    lines = read_filelist(exclude) if os.path.exists(exclude) else []
    units = discover(source, depth, lines)
    units, sizes = ordered(source, units, order)
    fresh_runtime(profile_dir, runtime_dir)
    base = os.path.normpath(source)
    out = []
    for unit in units:
        unit_source = os.path.join(base, unit.relpath) if unit.relpath else base
        path = write_unit_profile(profile_dir, runtime_dir, unit.slug, display(unit.relpath), unit_source,
                                  unit_filelist(lines, source, unit.relpath, units))
        out.append(PreparedUnit(unit.slug, display(unit.relpath), sizes[unit.slug], path, unit_source))
    return out
