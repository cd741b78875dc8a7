# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import (
    CATEGORIES,
    KINDS,
    BackupSet,
    DuplicityFile,
    glacierable,
    group_sets,
    parse,
    time_to_datetime,
)

T0 = '20240101T000000Z'
T1 = '20240102T030405Z'
T2 = '20240103T235959Z'
T3 = '20240201T120000Z'
T4 = '20240202T120000Z'
T5 = '20240203T120000Z'


# (basename without suffix, kind, type, start, end, volume)
FORMS = [
    ('duplicity-full.%s.manifest' % T0, 'full-manifest', 'full', None, T0, None),
    ('duplicity-inc.%s.to.%s.manifest' % (T0, T1), 'inc-manifest', 'inc', T0, T1, None),
    ('duplicity-full.%s.vol1.difftar' % T0, 'full-volume', 'full', None, T0, 1),
    ('duplicity-full.%s.vol1234.difftar' % T0, 'full-volume', 'full', None, T0, 1234),
    ('duplicity-inc.%s.to.%s.vol7.difftar' % (T0, T1), 'inc-volume', 'inc', T0, T1, 7),
    ('duplicity-full-signatures.%s.sigtar' % T0, 'full-signatures', 'full', None, T0, None),
    ('duplicity-new-signatures.%s.to.%s.sigtar' % (T0, T1), 'new-signatures', 'inc', T0, T1, None),
    ('duplicity-full.%s.jsonstat' % T0, 'jsonstat', 'full', None, T0, None),
    ('duplicity-inc.%s.to.%s.jsonstat' % (T0, T1), 'jsonstat', 'inc', T0, T1, None),
]

CATEGORY = {
    'full-manifest': 'manifest',
    'inc-manifest': 'manifest',
    'full-volume': 'volume',
    'inc-volume': 'volume',
    'full-signatures': 'signature',
    'new-signatures': 'signature',
    'jsonstat': 'jsonstat',
}

SUFFIXES = [('', None), ('.gpg', 'gpg'), ('.gz', 'gz'), ('.p7m', 'p7m')]


@pytest.mark.parametrize('name, kind, set_type, start, end, volume', FORMS)
@pytest.mark.parametrize('suffix, encoding', SUFFIXES)
@pytest.mark.parametrize('part', ['', '.part'])
def test_every_kind_suffix_and_part(name, kind, set_type, start, end, volume, suffix, encoding, part):
    key = name + part + suffix
    parsed = parse(key)
    assert isinstance(parsed, DuplicityFile)
    assert parsed == DuplicityFile(
        key=key,
        dirname='',
        file_prefix='',
        kind=kind,
        type=set_type,
        start_time=start,
        end_time=end,
        volume=volume,
        encoding=encoding,
        partial=bool(part),
    )
    assert parsed.category == CATEGORY[kind]
    assert parsed.basename == key
    assert parsed.set_key == (set_type, start, end)


def test_kinds_and_categories_constants():
    assert set(KINDS) == set(CATEGORY)
    assert set(CATEGORIES) == set(CATEGORY.values())


@pytest.mark.parametrize('prefix', [
    'arch_', 'm-', 's-', 'host1-', 'a.b.c', 'prefix with spaces ', 'ünïcødé-', '20240101T000000Z.',
    'duplicity-', 'duplicity-full.%s.manifest.' % T0, 'notduplicity-',
])
@pytest.mark.parametrize('name, kind, set_type, start, end, volume', FORMS)
def test_file_prefixes(prefix, name, kind, set_type, start, end, volume):
    key = 'some/dir/' + prefix + name + '.gpg'
    parsed = parse(key)
    assert parsed is not None
    assert parsed.file_prefix == prefix
    assert parsed.dirname == 'some/dir/'
    assert parsed.kind == kind
    assert (parsed.start_time, parsed.end_time, parsed.volume) == (start, end, volume)
    assert parsed.dirname + parsed.file_prefix + name + '.gpg' == key


@pytest.mark.parametrize('key, dirname, kind', [
    ('photos/manifest-archive/duplicity-full.%s.vol3.difftar.gpg' % T0, 'photos/manifest-archive/', 'full-volume'),
    ('manifest/duplicity-full.%s.vol3.difftar.gpg' % T0, 'manifest/', 'full-volume'),
    ('signatures/sigtar/duplicity-full.%s.vol1.difftar' % T0, 'signatures/sigtar/', 'full-volume'),
    ('duplicity-full.%s.manifest.gpg/duplicity-full.%s.vol2.difftar.gpg' % (T0, T0),
     'duplicity-full.%s.manifest.gpg/' % T0, 'full-volume'),
    ('duplicity-full.%s.vol1.difftar/duplicity-full.%s.manifest' % (T0, T0),
     'duplicity-full.%s.vol1.difftar/' % T0, 'full-manifest'),
    ('my backups/ünïcødé ☃/duplicity-full-signatures.%s.sigtar.gpg' % T0, 'my backups/ünïcødé ☃/', 'full-signatures'),
    ('/leading/slash/duplicity-inc.%s.to.%s.manifest.gpg' % (T0, T1), '/leading/slash/', 'inc-manifest'),
    ('a//b/duplicity-inc.%s.to.%s.vol1.difftar.gpg' % (T0, T1), 'a//b/', 'inc-volume'),
    ('/duplicity-full.%s.jsonstat.gz' % T0, '/', 'jsonstat'),
])
def test_awkward_keys(key, dirname, kind):
    parsed = parse(key)
    assert parsed is not None
    assert parsed.dirname == dirname
    assert parsed.kind == kind
    assert parsed.file_prefix == ''
    assert parsed.dirname + parsed.basename == key


def test_prefix_with_spaces_and_unicode():
    key = 'dir x/é prefix duplicity-full.%s.manifest' % T0
    parsed = parse(key)
    assert parsed.file_prefix == 'é prefix '
    assert parsed.dirname == 'dir x/'


@pytest.mark.parametrize('key', [
    '',
    '/',
    'folder/',
    'notduplicity.txt',
    'duplicity-full.garbage',
    'duplicity-',
    'duplicity-full',
    'duplicity-full.%s' % T0,
    'duplicity-full.%s.manifest.gpg.bak' % T0,
    'duplicity-full.%s.manifest.bak' % T0,
    'duplicity-full.%s.manifest.gpg.gz' % T0,
    'duplicity-full.%s.manifest.gpg.part' % T0,
    'duplicity-full.%s.manifest.part.part' % T0,
    'duplicity-full.%s.manifest.zip' % T0,
    'duplicity-full.%s.manifest.' % T0,
    'duplicity-full.%s.manifest.GPG' % T0,
    'duplicity-full.%s.manifestx' % T0,
    'duplicity-full.%s.vol1.difftar.gpg~' % T0,
    'duplicity-full.%s.vol.difftar' % T0,
    'duplicity-full.%s.vol0.difftar' % T0,
    'duplicity-full.%s.vol01.difftar' % T0,
    'duplicity-full.%s.volx.difftar' % T0,
    'duplicity-full.%s.vol1.tar' % T0,
    'duplicity-full.%s.vol1.difftar' % T0.lower(),
    'duplicity-full.20241301T000000Z.manifest',  # month 13
    'duplicity-full.20240230T000000Z.manifest',  # 30 February
    'duplicity-full.20240101T250000Z.manifest',
    'duplicity-full.2024-01-01T00:00:00Z.manifest',
    'duplicity-full.20240101T000000.manifest',
    'duplicity-full.%s.to.%s.manifest' % (T0, T1),
    'duplicity-full.%s.to.%s.vol1.difftar' % (T0, T1),
    'duplicity-inc.%s.manifest' % T0,
    'duplicity-inc.%s.vol1.difftar' % T0,
    'duplicity-inc.%s.to.manifest' % T0,
    'duplicity-full-signatures.%s.to.%s.sigtar' % (T0, T1),
    'duplicity-new-signatures.%s.sigtar' % T0,
    'duplicity-full.%s.sigtar' % T0,
    'duplicity-inc.%s.to.%s.sigtar' % (T0, T1),
    'duplicity-full-signatures.%s.manifest' % T0,
    'duplicity-full-signatures.%s.jsonstat' % T0,
    'duplicity-full.%s.jsonstat.json' % T0,
    'duplicity-full.%s.manifest/' % T0,
    'duplicity-full.%s.manifest/readme.txt' % T0,
    'duplicity-full.%s.manifest\n' % T0,
    'DUPLICITY-full.%s.manifest' % T0,
    # --short-filenames forms (removed in duplicity 2.0) are not supported
    'df.lbzx7c.1.dt.g',
    'df.lbzx7c.m.g',
    'dfs.lbzx7c.st.g',
    'di.lbzx7c.lbzy00.1.dt.z',
    'dns.lbzx7c.lbzy00.st',
])
def test_not_duplicity(key):
    assert parse(key) is None


@pytest.mark.parametrize('value', [None, 42, b'duplicity-full.20240101T000000Z.manifest', ['x'], {'key': 'x'}])
def test_non_string_input(value):
    assert parse(value) is None


def test_immutable():
    parsed = parse('duplicity-full.%s.manifest' % T0)
    with pytest.raises(AttributeError):
        parsed.kind = 'x'


def test_as_dict():
    parsed = parse('b/arch-duplicity-inc.%s.to.%s.vol2.difftar.gpg' % (T0, T1))
    assert parsed.as_dict() == {
        'key': 'b/arch-duplicity-inc.%s.to.%s.vol2.difftar.gpg' % (T0, T1),
        'dirname': 'b/',
        'file_prefix': 'arch-',
        'kind': 'inc-volume',
        'type': 'inc',
        'start_time': T0,
        'end_time': T1,
        'volume': 2,
        'encoding': 'gpg',
        'partial': False,
        'category': 'volume',
    }


def test_time_to_datetime():
    value = time_to_datetime(T1)
    assert value == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert value.utcoffset() == datetime.timedelta(0)
    assert time_to_datetime(None) is None
    parsed = parse('duplicity-inc.%s.to.%s.manifest' % (T0, T1))
    assert time_to_datetime(parsed.start_time) < time_to_datetime(parsed.end_time)


@pytest.mark.parametrize('value', ['', 'garbage', '20241301T000000Z', '20240101T000000', ' 20240101T000000Z', 20240101])
def test_time_to_datetime_invalid(value):
    with pytest.raises(ValueError):
        time_to_datetime(value)


@pytest.mark.parametrize('kind, expected', [
    ('full-volume', True),
    ('inc-volume', True),
    ('full-manifest', False),
    ('inc-manifest', False),
    ('full-signatures', False),
    ('new-signatures', False),
    ('jsonstat', False),
])
def test_glacierable(kind, expected):
    assert glacierable(kind) is expected


def test_glacierable_accepts_parsed_file_and_rejects_unknown():
    assert glacierable(parse('duplicity-full.%s.vol1.difftar.gpg' % T0)) is True
    assert glacierable(parse('duplicity-full.%s.manifest.gpg' % T0)) is False
    with pytest.raises(ValueError):
        glacierable('volume')


def _full(time, prefix=''):
    return [
        '%sduplicity-full.%s.manifest.gpg' % (prefix, time),
        '%sduplicity-full.%s.vol2.difftar.gpg' % (prefix, time),
        '%sduplicity-full.%s.vol1.difftar.gpg' % (prefix, time),
        '%sduplicity-full.%s.vol10.difftar.gpg' % (prefix, time),
        '%sduplicity-full-signatures.%s.sigtar.gpg' % (prefix, time),
        '%sduplicity-full.%s.jsonstat.gpg' % (prefix, time),
    ]


def _inc(start, end, prefix=''):
    return [
        '%sduplicity-inc.%s.to.%s.manifest.gpg' % (prefix, start, end),
        '%sduplicity-inc.%s.to.%s.vol1.difftar.gpg' % (prefix, start, end),
        '%sduplicity-new-signatures.%s.to.%s.sigtar.gpg' % (prefix, start, end),
    ]


def test_group_sets_two_chains_and_an_orphan():
    keys = (
        _inc(T4, T5)
        + _full(T3)
        + _inc(T0, T1)
        + _full(T0)
        + _inc(T1, T2)
        + _inc(T3, T4)
        # orphan: starts at a time no chain ends at
        + _inc('20240115T000000Z', '20240116T000000Z')
        + ['notduplicity.txt', 'folder/']
    )
    grouping = group_sets(parse(k) for k in keys)

    assert list(grouping.sets) == [
        ('full', None, T0),
        ('inc', T0, T1),
        ('inc', T1, T2),
        ('inc', '20240115T000000Z', '20240116T000000Z'),
        ('full', None, T3),
        ('inc', T3, T4),
        ('inc', T4, T5),
    ]
    full0 = grouping.sets[('full', None, T0)]
    assert isinstance(full0, BackupSet)
    assert full0.key == ('full', None, T0)
    assert [f.volume for f in full0.volumes] == [1, 2, 10]
    assert [f.kind for f in full0.manifests] == ['full-manifest']
    assert [f.kind for f in full0.signatures] == ['full-signatures']
    assert [f.kind for f in full0.jsonstats] == ['jsonstat']
    assert [f.category for f in full0.files] == ['manifest', 'signature', 'volume', 'volume', 'volume', 'jsonstat']
    inc = grouping.sets[('inc', T0, T1)]
    assert [f.kind for f in inc.files] == ['inc-manifest', 'new-signatures', 'inc-volume']

    assert len(grouping.chains) == 2
    first, second = grouping.chains
    assert first.full.end_time == T0
    assert [s.key for s in first.incrementals] == [('inc', T0, T1), ('inc', T1, T2)]
    assert (first.start_time, first.end_time) == (T0, T2)
    assert [s.key for s in second.sets] == [('full', None, T3), ('inc', T3, T4), ('inc', T4, T5)]
    assert (second.start_time, second.end_time) == (T3, T5)

    assert [s.key for s in grouping.orphans] == [('inc', '20240115T000000Z', '20240116T000000Z')]


def test_group_sets_ignores_file_prefix():
    keys = (
        ['m-duplicity-full.%s.manifest.gpg' % T0, 'a-duplicity-full.%s.vol1.difftar.gpg' % T0,
         's-duplicity-full-signatures.%s.sigtar.gpg' % T0]
        + _inc(T0, T1, prefix='x_')
    )
    grouping = group_sets([parse(k) for k in keys])
    assert list(grouping.sets) == [('full', None, T0), ('inc', T0, T1)]
    assert len(grouping.sets[('full', None, T0)].files) == 3
    assert len(grouping.chains) == 1
    assert grouping.chains[0].incrementals[0].key == ('inc', T0, T1)
    assert grouping.orphans == ()


def test_group_sets_only_incrementals_are_orphans():
    grouping = group_sets(parse(k) for k in _inc(T0, T1) + _inc(T1, T2))
    assert grouping.chains == ()
    assert [s.key for s in grouping.orphans] == [('inc', T0, T1), ('inc', T1, T2)]


def test_group_sets_branching_incremental_is_orphan():
    # Two incrementals starting at the same time: only the first extends the chain.
    keys = _full(T0) + _inc(T0, T1) + _inc(T0, T2)
    grouping = group_sets(parse(k) for k in keys)
    assert [s.key for s in grouping.chains[0].sets] == [('full', None, T0), ('inc', T0, T1)]
    assert [s.key for s in grouping.orphans] == [('inc', T0, T2)]


def test_group_sets_empty_and_bad_input():
    grouping = group_sets([])
    assert grouping.sets == {}
    assert grouping.chains == ()
    assert grouping.orphans == ()
    with pytest.raises(TypeError):
        group_sets(['duplicity-full.%s.manifest' % T0])
