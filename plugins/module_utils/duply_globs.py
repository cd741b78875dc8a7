# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Duplicity glob filelist rules shared by the collection.

The filters ``duply_filelist`` and ``duply_filelist_errors`` turn a profile's patterns into
absolute glob lines with ``walk``; ``duplicity_units`` uses ``absolute_place`` and
``matches`` to cut those lines down to one directory of the source. Like
``duplicity_tagging``, this file is also copied to backup hosts and imported there as a
top-level module, so it uses the standard library only.
"""

from __future__ import annotations

import posixpath
import re
from fnmatch import fnmatchcase

IGNORECASE = 'ignorecase:'


def source_parts(source):
    """The components of an absolute source path; ValueError for anything else."""
    if not isinstance(source, str) or not source.startswith('/'):
        raise ValueError('the source must be an absolute path, not %r' % (source,))
    return [part for part in posixpath.normpath(source).split('/') if part]


def escape(parts):
    """An absolute glob matching exactly the path made of parts.

    Duplicity has no quoting, but a one-character class matches the character itself.
    """
    return ''.join('/' + re.sub(r'([*?[])', r'[\1]', part) for part in parts)


def absolute_place(base_parts, parts, ignorecase):
    """'inside' if the absolute glob can match below base, 'whole' if it ends at base or above it, else 'outside'."""
    if ignorecase:
        base_parts = [part.casefold() for part in base_parts]
        parts = [part.casefold() for part in parts]
    for level, part in enumerate(parts):
        if level == len(base_parts):
            return 'inside'
        if '**' in part:
            # ** also matches '/', so everything after a fitting head can lie below base.
            head = part[:part.index('**')] + '*'
            return 'inside' if fnmatchcase(base_parts[level], head) else 'outside'
        if not fnmatchcase(base_parts[level], part):
            return 'outside'
    return 'whole'


def translate(parts_of_source, pattern):
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
    source = '/' + '/'.join(parts_of_source)

    if body.startswith('/'):
        parts = [part for part in posixpath.normpath(body).split('/') if part]
        place = absolute_place(parts_of_source, parts, bool(flag))
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
    base = escape(parts_of_source)
    globs = [base + '/' + relative]
    if anywhere:
        globs.append(base + '/**/' + relative)
    return [flag + glob for glob in globs], None


def walk(source, includes, excludes):
    """Yield (filelist lines, error message) for each pattern; one of the two is None."""
    parts_of_source = source_parts(source)
    for sign, field, patterns in (('+', 'includes', includes), ('-', 'excludes', excludes)):
        if patterns is None:
            continue
        if not isinstance(patterns, (list, tuple)):
            yield None, '%s must be a list of patterns, not %s' % (field, type(patterns).__name__)
            continue
        for index, pattern in enumerate(patterns):
            globs, problem = translate(parts_of_source, pattern)
            if problem:
                yield None, '%s[%d] %s' % (field, index, problem)
            else:
                yield ['%s %s' % (sign, glob) for glob in globs], None


def parse_line(line):
    """(sign, ignorecase, glob parts) of a filelist line such as '- ignorecase:/srv/data/*.tmp'."""
    sign, body = line[0], line[2:]
    ignorecase = body[:len(IGNORECASE)].lower() == IGNORECASE
    if ignorecase:
        body = body[len(IGNORECASE):]
    return sign, ignorecase, [part for part in body.split('/') if part]


def _regex(parts, ignorecase):
    out = ''
    for part in parts:
        out += '/'
        i = 0
        while i < len(part):
            char = part[i]
            if part.startswith('**', i):
                out, i = out + '.*', i + 2
                continue
            if char == '*':
                out += '[^/]*'
            elif char == '?':
                out += '[^/]'
            elif char == '[' and part.find(']', i + 2) > 0:
                end = part.find(']', i + 2)
                body = part[i + 1:end]
                negate, body = body.startswith('!'), body[1:] if body.startswith('!') else body
                out += '[' + ('^' if negate else '') + body.replace('\\', '\\\\').replace('[', '\\[') + ']'
                i = end
            else:
                out += re.escape(char)
            i += 1
    # A line matches a path and everything below it.
    return re.compile(out + '(/.*)?', re.IGNORECASE if ignorecase else 0)


def matches(line, path):
    """Whether the filelist line matches the absolute path (or a directory above it)."""
    _sign, ignorecase, parts = parse_line(line)
    return _regex(parts, ignorecase).fullmatch(path) is not None
