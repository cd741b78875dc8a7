# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.filter import duply_filelist_errors as errors_plugin
from ansible_collections.offsite.backup.plugins.filter.duply_filelist import (
    FilterModule, duply_filelist, duply_filelist_errors)

SOURCE = '/srv/data'


def excluded(pattern, source=SOURCE):
    return duply_filelist(source, [], [pattern])


def test_registered():
    assert FilterModule().filters() == {'duply_filelist': duply_filelist}
    assert errors_plugin.FilterModule().filters() == {'duply_filelist_errors': duply_filelist_errors}


@pytest.mark.parametrize('pattern, lines', [
    # A bare name: at any depth, the top included (duplicity's ** needs one directory at least).
    ('00Catalogs', ['- /srv/data/00Catalogs', '- /srv/data/**/00Catalogs']),
    ('*.tmp', ['- /srv/data/*.tmp', '- /srv/data/**/*.tmp']),
    ('.cache/', ['- /srv/data/.cache', '- /srv/data/**/.cache']),
    ('**/.thumbnails', ['- /srv/data/.thumbnails', '- /srv/data/**/.thumbnails']),
    ('**/photos/raw', ['- /srv/data/photos/raw', '- /srv/data/**/photos/raw']),
    # With a slash or ./: anchored at the top of the source.
    ('./00Catalogs', ['- /srv/data/00Catalogs']),
    ('./00Catalogs/', ['- /srv/data/00Catalogs']),
    ('photos/raw', ['- /srv/data/photos/raw']),
    ('photos/*/thumbs', ['- /srv/data/photos/*/thumbs']),
    ('photos//raw/./x', ['- /srv/data/photos/raw/x']),
    ('photos/../tmp', ['- /srv/data/tmp']),
    ('./**/x', ['- /srv/data/**/x']),
    # Absolute: as written.
    ('/srv/data/tmp', ['- /srv/data/tmp']),
    ('/srv/data/tmp/', ['- /srv/data/tmp']),
    ('/srv/data/**/cache', ['- /srv/data/**/cache']),
    ('/srv/*/cache', ['- /srv/*/cache']),
    ('/srv/**', ['- /srv/**']),
    ('/sr**/cache', ['- /sr**/cache']),
    ('/srv/d?ta/x', ['- /srv/d?ta/x']),
    ('/srv/data/x/../y', ['- /srv/data/y']),
    # ignorecase: kept in front, as written.
    ('ignorecase:*.JPG', ['- ignorecase:/srv/data/*.JPG', '- ignorecase:/srv/data/**/*.JPG']),
    ('IgnoreCase:./Tmp', ['- IgnoreCase:/srv/data/Tmp']),
    ('ignorecase:/SRV/Data/tmp', ['- ignorecase:/SRV/Data/tmp']),
    ('  spaced  ', ['- /srv/data/spaced', '- /srv/data/**/spaced']),
])
def test_translation(pattern, lines):
    assert excluded(pattern) == lines


@pytest.mark.parametrize('source', ['/srv/data', '/srv/data/', '/srv//data/.', '/srv/x/../data'])
def test_source_spellings(source):
    assert excluded('x', source) == ['- /srv/data/x', '- /srv/data/**/x']


def test_root_source():
    assert excluded('x', '/') == ['- /x', '- /**/x']
    assert excluded('/etc/x', '/') == ['- /etc/x']


def test_glob_characters_of_the_source_match_themselves():
    assert excluded('./x', '/mnt/photos [2019]*?') == ['- /mnt/photos [[]2019][*][?]/x']


def test_includes_come_first():
    assert duply_filelist(SOURCE, ['photos/raw'], ['photos', '*.tmp']) == [
        '+ /srv/data/photos/raw',
        '- /srv/data/photos', '- /srv/data/**/photos',
        '- /srv/data/*.tmp', '- /srv/data/**/*.tmp',
    ]


@pytest.mark.parametrize('includes, excludes', [([], []), (None, None), ((), ())])
def test_nothing(includes, excludes):
    assert duply_filelist(SOURCE, includes, excludes) == []
    assert duply_filelist_errors(SOURCE, includes, excludes) == []


def test_defaults():
    assert duply_filelist(SOURCE) == []
    assert duply_filelist(SOURCE, excludes=['x']) == ['- /srv/data/x', '- /srv/data/**/x']


@pytest.mark.parametrize('pattern, message', [
    ('/etc/foo', "excludes[0] '/etc/foo' lies outside the source /srv/data and can never match"),
    ('/srv/database/x', "excludes[0] '/srv/database/x' lies outside the source /srv/data and can never match"),
    ('/srv/other/*', "excludes[0] '/srv/other/*' lies outside the source /srv/data and can never match"),
    ('/s*/other/x', "excludes[0] '/s*/other/x' lies outside the source /srv/data and can never match"),
    ('/srv/x**', "excludes[0] '/srv/x**' lies outside the source /srv/data and can never match"),
    ('/', "excludes[0] '/' names the source /srv/data itself or a directory above it, not a path inside it"),
    ('/srv/data/', "excludes[0] '/srv/data/' names the source /srv/data itself or a directory above it, not a path inside it"),
    ('/srv', "excludes[0] '/srv' names the source /srv/data itself or a directory above it, not a path inside it"),
    ('/srv/*', "excludes[0] '/srv/*' names the source /srv/data itself or a directory above it, not a path inside it"),
    ('/srv/data/x/../..', "excludes[0] '/srv/data/x/../..' names the source /srv/data itself or a directory above it, "
                          "not a path inside it"),
    ('ignorecase:/SRV/other/x', "excludes[0] 'ignorecase:/SRV/other/x' lies outside the source /srv/data and can never match"),
    ('/SRV/data/x', "excludes[0] '/SRV/data/x' lies outside the source /srv/data and can never match"),
    ('..', "excludes[0] '..' climbs out of the source /srv/data with '..' and can never match"),
    ('../other', "excludes[0] '../other' climbs out of the source /srv/data with '..' and can never match"),
    ('photos/../../x', "excludes[0] 'photos/../../x' climbs out of the source /srv/data with '..' and can never match"),
    ('.', "excludes[0] '.' names the source /srv/data itself, not a path inside it"),
    ('./', "excludes[0] './' names the source /srv/data itself, not a path inside it"),
    ('photos/..', "excludes[0] 'photos/..' names the source /srv/data itself, not a path inside it"),
    ('', 'excludes[0] is empty'),
    ('   ', 'excludes[0] is empty'),
    ('ignorecase:', 'excludes[0] is empty'),
    ('a\n+ /', 'excludes[0] must be a single line'),
    (None, 'excludes[0] must be a string, not NoneType'),
    (3, 'excludes[0] must be a string, not int'),
])
def test_rejected(pattern, message):
    assert duply_filelist_errors(SOURCE, [], [pattern]) == [message]
    with pytest.raises(AnsibleFilterError, match='^' + re.escape('duply_filelist: ' + message)):
        excluded(pattern)


def test_every_problem_is_listed_with_its_field_and_index():
    assert duply_filelist_errors('/srv/data/', ['../x', 'ok'], ['ok', '', '/etc/foo']) == [
        "includes[0] '../x' climbs out of the source /srv/data with '..' and can never match",
        'excludes[1] is empty',
        "excludes[2] '/etc/foo' lies outside the source /srv/data and can never match",
    ]


def test_not_a_list():
    assert duply_filelist_errors(SOURCE, 'photos', {'a': 1}) == [
        'includes must be a list of patterns, not str',
        'excludes must be a list of patterns, not dict',
    ]
    with pytest.raises(AnsibleFilterError, match='includes must be a list'):
        duply_filelist(SOURCE, 'photos')


@pytest.mark.parametrize('source', ['srv/data', '', None, 3])
def test_bad_source(source):
    with pytest.raises(AnsibleFilterError, match='the source must be an absolute path'):
        duply_filelist(source, [], ['x'])
    with pytest.raises(AnsibleFilterError, match='the source must be an absolute path'):
        duply_filelist_errors(source, [], ['x'])
