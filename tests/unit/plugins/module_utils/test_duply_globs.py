# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.duply_globs import escape, matches, parse_line


@pytest.mark.parametrize('line, path, expected', [
    ('- /srv/data/tmp', '/srv/data/tmp', True),
    ('- /srv/data/tmp', '/srv/data/tmp/a/b', True),
    ('- /srv/data/tmp', '/srv/data/tmpx', False),
    ('- /srv/data/*/cache', '/srv/data/a/cache', True),
    ('- /srv/data/*/cache', '/srv/data/a/b/cache', False),
    ('- /srv/data/**/cache', '/srv/data/a/b/cache', True),
    ('- /srv/data/?', '/srv/data/a', True),
    ('- /srv/data/?', '/srv/data/ab', False),
    ('- /srv/data/[ab]x', '/srv/data/bx', True),
    ('- /srv/data/[!ab]x', '/srv/data/bx', False),
    ('- /srv/data/[*]x', '/srv/data/*x', True),
    ('- /srv/data/[*]x', '/srv/data/ax', False),
    ('- /srv/data/a.b', '/srv/data/aXb', False),
    ('- ignorecase:/srv/data/Photos', '/srv/data/photos/x', True),
    ('- /srv/data/Photos', '/srv/data/photos', False),
])
def test_matches(line, path, expected):
    assert matches(line, path) is expected


def test_parse_line():
    assert parse_line('+ ignorecase:/srv/data/*.tmp') == ('+', True, ['srv', 'data', '*.tmp'])
    assert parse_line('- /srv/data') == ('-', False, ['srv', 'data'])


def test_escape():
    assert escape(['srv', 'a*b?', '[c]']) == '/srv/a[*]b[?]/[[]c]'
    assert matches('- ' + escape(['srv', 'a*b?', '[c]']), '/srv/a*b?/[c]')
