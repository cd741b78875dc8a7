# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore drills: settings, the file list, manifests, the chain check, sampling within a budget."""

from __future__ import annotations

import os
import random

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import offsite_drill as drill
from ansible_collections.offsite.backup.plugins.module_utils import restore_estimate
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import group_sets, parse

BUCKET = {'bucket': 'b', 'source': '/srv/data'}
FULL = '20261201T020000Z'
INC = '20261202T020000Z'


def settings(**over):
    return drill.parse_settings(dict(BUCKET, **over))


def test_defaults_suit_a_pi():
    got = settings()
    assert got['every_days'] == 30 and got['files'] == 20 and got['tier'] == 'Bulk'
    assert got['max_bytes'] == 512 * 1024 * 1024 and got['max_cost_usd'] == 0.05 and got['days'] == 2


@pytest.mark.parametrize('over, message', [
    ({'tier': 'Slow'}, 'tier must be one of Bulk, Standard, Expedited'),
    ({'files': 0}, 'files must be 1 or more'),
    ({'every_days': '30d'}, 'every_days must be a int'),
    ({'max_cost_usd': -1}, 'max_cost_usd must be 0 or more'),
    ({'max_bytes': True}, 'max_bytes must be a int'),
    ({'colour': 'red'}, 'unknown key colour'),
])
def test_bad_settings_say_what_to_fix(over, message):
    problems = drill.settings_errors(dict(BUCKET, **over))
    assert any(message in problem for problem in problems), problems
    with pytest.raises(ValueError):
        drill.parse_settings(dict(BUCKET, **over))


def test_bucket_and_source_are_required():
    assert drill.settings_errors({}) == ['drill needs bucket', 'drill needs source']


def test_listed_paths_and_leaves():
    lines = [
        '--- Start running command LIST at 02:00:01.000 ---',
        'Local and Remote metadata are synchronized, no sync needed.',
        'Last full backup date: Tue Dec  1 02:00:00 2026',
        'Tue Dec  1 01:59:00 2026 .',
        'Tue Dec  1 01:59:00 2026 a',
        'Tue Dec  1 01:59:00 2026 a b',
        'Tue Dec  1 01:59:00 2026 a/c.txt',
        'Tue Dec  1 01:59:00 2026 empty',
        'Mon Nov 30 11:00:00 2026 name with  two spaces',
        '--- Finished state OK at 02:00:02.000 - Runtime 00:00:01.000 ---',
    ]
    paths = drill.listed_paths(lines)
    assert paths == ['a', 'a b', 'a/c.txt', 'empty', 'name with  two spaces']
    assert drill.leaves(paths) == ['a b', 'a/c.txt', 'empty', 'name with  two spaces']


MANIFEST = (
    b'Hostname pi\n'
    b'Localdir /srv/data\n'
    b'Filelist 3\n'
    b'    new      a/c.txt\n'
    b'    new      "b\\x20x"\n'
    b'Volume 1:\n'
    b'    StartingPath   .  \n'
    b'    EndingPath     a/c.txt 3\n'
    b'    Hash SHA1 0123\n'
    b'Volume 2:\n'
    b'    StartingPath   a/c.txt 4\n'
    b'    EndingPath     "b\\x20x"  \n'
    b'    Hash SHA1 4567\n'
    b'Volume 3:\n'
    b'    StartingPath   "b\\x20x"  \n'
    b'    EndingPath     z  \n'
    b'    Hash SHA1 89ab\n'
)


def test_manifest_volumes_and_containment():
    volumes = drill.parse_manifest(MANIFEST)
    assert volumes[1] == ((), (b'a', b'c.txt'))
    assert volumes[2] == ((b'a', b'c.txt'), (b'b x',))
    # a file split over two volumes needs both; a path equal to an end and a start, both
    assert drill.volumes_of(volumes, 'a/c.txt') == [1, 2]
    assert drill.volumes_of(volumes, 'b x') == [2, 3]
    assert drill.volumes_of(volumes, 'q') == [3]
    assert drill.volumes_of(volumes, 'zz') == []


def test_bad_manifests_are_refused():
    with pytest.raises(ValueError, match='no volume'):
        drill.parse_manifest(b'Hostname pi\n')
    with pytest.raises(ValueError, match='StartingPath'):
        drill.parse_manifest(b'Volume 1:\n    Hash SHA1 00\n')


def keys(folder, with_inc=True, volumes=2):
    out = ['%sduplicity-full.%s.manifest.gpg' % (folder, FULL),
           '%sduplicity-full-signatures.%s.sigtar.gpg' % (folder, FULL)]
    out += ['%sduplicity-full.%s.vol%d.difftar.gpg' % (folder, FULL, n) for n in range(1, volumes + 1)]
    if with_inc:
        out += ['%sduplicity-inc.%s.to.%s.manifest.gpg' % (folder, FULL, INC),
                '%sduplicity-new-signatures.%s.to.%s.sigtar.gpg' % (folder, FULL, INC),
                '%sduplicity-inc.%s.to.%s.vol1.difftar.gpg' % (folder, FULL, INC)]
    return out


SIZE = 2 << 30  # big enough for Deep Archive's cents to show


def view(names, classes=None):
    grouping = group_sets(parse(key) for key in names)
    classes = classes or {}
    objects = dict((key, {'key': key, 'size': SIZE}) for key in names)
    states = {}
    for key in names:
        storage_class = classes.get(key, 'STANDARD')
        archived = storage_class in ('GLACIER', 'DEEP_ARCHIVE')
        states[key] = {'state': 'archived' if archived else 'not_archived', 'storage_class': storage_class,
                       'archive_tier': storage_class if archived else None, 'error': None}
    return grouping, objects, states


def manifests_of(grouping):
    full = dict(enumerate([((), (b'm',)), ((b'm',), (b'z',))], 1))
    out = {}
    for backup_set in grouping.chains[-1].sets:
        out[backup_set.key] = full if backup_set.type == 'full' else {1: ((), (b'z',))}
    return out


def test_a_complete_chain_has_no_problem():
    grouping, dummy, states = view(keys('p/'))
    assert drill.check_chain(grouping, states, manifests_of(grouping), 'p/') == []


def test_chain_problems_are_named():
    names = [key for key in keys('p/') if 'new-signatures' not in key and 'vol2' not in key]
    names.append('p/duplicity-inc.20261203T020000Z.to.20261204T020000Z.manifest.gpg')
    grouping, dummy, states = view(names, {'p/duplicity-full.%s.manifest.gpg' % FULL: 'GLACIER'})
    problems = drill.check_chain(grouping, states, manifests_of(grouping), 'p/')
    text = '\n'.join(problems)
    assert 'extend no chain' in text
    assert 'incremental set %s has no signatures' % INC in text
    assert 'duplicity-full.%s.manifest.gpg is in GLACIER' % FULL in text
    assert 'full set %s lacks volume(s) 2' % FULL in text
    bad = manifests_of(grouping)
    bad[grouping.chains[-1].full.key] = 'not in the local archive /var/cache/duplicity/p'
    assert any('cannot be used: not in the local archive' in p for p in drill.check_chain(grouping, states, bad))


def test_no_chain():
    grouping, dummy, states = view(['p/duplicity-full-signatures.%s.sigtar.gpg' % FULL])
    assert drill.check_chain(grouping, states, {}) == ['no complete backup chain']


def test_needed_volumes_span_the_chain():
    grouping, dummy, dummy2 = view(keys('p/'))
    sets = drill.chain_sets(grouping.chains[-1])
    needed = drill.needed_volumes(sets, manifests_of(grouping), 'a')
    assert [os.path.basename(key) for key in needed] == [
        'duplicity-full.%s.vol1.difftar.gpg' % FULL, 'duplicity-inc.%s.to.%s.vol1.difftar.gpg' % (FULL, INC)]


def test_sample_prefers_readable_files():
    names = keys('p/', with_inc=False)
    grouping, objects, states = view(names, {names[3]: 'DEEP_ARCHIVE'})  # vol2: paths m..z
    sets = drill.chain_sets(grouping.chains[-1])
    manifests = manifests_of(grouping)
    paths = ['a', 'b', 'c', 'x', 'y']
    needs = dict((path, drill.needed_volumes(sets, manifests, path)) for path in paths)
    got = drill.choose(paths, needs, objects, states, settings(files=3, max_bytes=4 * SIZE), random.Random(1))
    assert sorted(got.files[:3]) == ['a', 'b', 'c'] and got.request == () and got.cost_usd == 0.0
    assert got.read_bytes == SIZE


def test_sample_requests_archived_volumes_within_the_budget():
    names = keys('p/', with_inc=False)
    grouping, objects, states = view(names, {names[2]: 'DEEP_ARCHIVE', names[3]: 'DEEP_ARCHIVE'})
    sets = drill.chain_sets(grouping.chains[-1])
    manifests = manifests_of(grouping)
    paths = ['a', 'x']
    needs = dict((path, drill.needed_volumes(sets, manifests, path)) for path in paths)
    one = restore_estimate.estimate([('DEEP_ARCHIVE', SIZE)], 2)
    price = one['Bulk']['total_usd'] + one['restored_copy_usd']
    two = restore_estimate.estimate([('DEEP_ARCHIVE', SIZE)] * 2, 2)
    both = two['Bulk']['total_usd'] + two['restored_copy_usd']
    assert 0 < price < both
    budget = dict(files=2, max_bytes=4 * SIZE)
    got = drill.choose(paths, needs, objects, states, settings(max_cost_usd=both, **budget), random.Random(3))
    assert sorted(got.files) == ['a', 'x'] and len(got.request) == 2 and got.cost_usd == pytest.approx(both, abs=1e-4)
    got = drill.choose(paths, needs, objects, states, settings(max_cost_usd=price + 1e-4, **budget), random.Random(3))
    assert len(got.files) == 1 and len(got.request) == 1 and got.cost_usd == pytest.approx(price, abs=1e-4)
    assert 'over max_cost_usd' in got.skipped[0]


def test_over_budget_requests_nothing_and_says_why():
    names = keys('p/', with_inc=False)
    grouping, objects, states = view(names, {names[2]: 'DEEP_ARCHIVE', names[3]: 'DEEP_ARCHIVE'})
    sets = drill.chain_sets(grouping.chains[-1])
    needs = dict((path, drill.needed_volumes(sets, manifests_of(grouping), path)) for path in ['a', 'x'])
    got = drill.choose(['a', 'x'], needs, objects, states, settings(max_cost_usd=0, max_bytes=4 * SIZE), random.Random(0))
    assert got.files == () and got.request == ()
    assert all('over max_cost_usd $0.00' in why for why in got.skipped)
    got = drill.choose(['a', 'x'], needs, objects, states, settings(max_bytes=1024), random.Random(0))
    assert got.files == () and all('over max_bytes 1024' in why for why in got.skipped)


def test_a_budget_of_zero_refuses_the_smallest_retrieval():
    names = keys('p/', with_inc=False)
    grouping, objects, states = view(names, {names[2]: 'DEEP_ARCHIVE'})
    objects[names[2]]['size'] = 1000
    needs = {'a': drill.needed_volumes(drill.chain_sets(grouping.chains[-1]), manifests_of(grouping), 'a')}
    assert 0 < drill.cost_of([names[2]], objects, states, 'Bulk', 2) < 0.0001
    got = drill.choose(['a'], needs, objects, states, settings(max_cost_usd=0, max_bytes=SIZE), random.Random(0))
    assert got.files == () and got.request == ()


def test_expedited_is_not_offered_for_deep_archive():
    names = keys('p/', with_inc=False)
    grouping, objects, states = view(names, {names[2]: 'DEEP_ARCHIVE'})
    needs = {'a': drill.needed_volumes(drill.chain_sets(grouping.chains[-1]), manifests_of(grouping), 'a')}
    got = drill.choose(['a'], needs, objects, states, settings(tier='Expedited', max_bytes=4 * SIZE), random.Random(0))
    assert got.files == () and 'cannot be restored with the Expedited tier' in got.skipped[0]


def test_due():
    now = 100 * drill.DAY
    assert drill.due({}, 30, now)
    assert drill.due({'last_success': now - 30 * drill.DAY}, 30, now)
    assert not drill.due({'last_success': now - 2 * drill.DAY}, 30, now)
    assert drill.due({'last_success': now - 2 * drill.DAY, 'pending': {'since': now}}, 30, now)


def test_compare(tmp_path):
    source, restored = tmp_path / 'src', tmp_path / 'got'
    source.write_bytes(b'photo bytes')
    restored.write_bytes(b'photo bytes')
    os.utime(source, (1000, 1000))
    os.utime(restored, (1000, 1000))
    assert drill.compare(str(source), str(restored))[0] == 'ok'
    restored.write_bytes(b'photo bytez')
    os.utime(restored, (1000, 1000))
    assert drill.compare(str(source), str(restored)) == ('differs', 'same size and mtime as the source, other bytes')
    os.utime(source, (2000, 2000))
    assert drill.compare(str(source), str(restored))[0] == 'changed'
    assert drill.compare(str(tmp_path / 'gone'), str(restored))[0] == 'changed'
    assert drill.compare(str(source), str(tmp_path / 'nothing'))[0] == 'missing'


def test_metrics():
    text = drill.render_metrics('pho"tos', {'last_success': 1700000000.5, 'last_ok': True, 'files': 3,
                                            'bytes': 4096, 'cost_usd': 0.0012, 'pending': {'since': 1}})
    assert 'offsite_backup_drill_last_success_timestamp_seconds{profile="pho\\"tos"} 1700000000.5' in text
    assert 'offsite_backup_drill_pending{profile="pho\\"tos"} 1' in text
    assert 'offsite_backup_drill_last_ok{profile="pho\\"tos"} 1' in text
    assert 'offsite_backup_drill_cost_usd{profile="pho\\"tos"} 0.0012' in text
