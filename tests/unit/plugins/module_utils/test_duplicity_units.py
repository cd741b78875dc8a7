# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.duply_globs import walk
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_units import (
    REST, Unit, UnitError, discover, prepare, tree_size, unit_conf, unit_filelist, unit_slug)

HELPER = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'duply', 'files', 'offsite-backup-units.py')
LIB = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'module_utils')


def duply_filelist(source, includes, excludes):
    return [line for more, _problem in walk(source, includes, excludes) for line in more]


def tree(root, *paths):
    for path in paths:
        full = os.path.join(str(root), path)
        if path.endswith('/'):
            os.makedirs(full, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, 'w') as handle:
                handle.write(path)
    return str(root)


def rels(units):
    return [u.relpath for u in units]


def test_slug_keeps_safe_names():
    assert unit_slug('photos') == 'photos'
    assert unit_slug('.hidden') == '.hidden'
    assert unit_slug('a-b_c.1') == 'a-b_c.1'


@pytest.mark.parametrize('relpath, stem', [
    ('my photos', 'my_photos'),
    ('ünï', '_n_'),
    ('2024/raw', '2024_raw'),
])
def test_slug_replaces_and_hashes(relpath, stem):
    digest = hashlib.sha1(relpath.encode('utf-8')).hexdigest()[:8]
    assert unit_slug(relpath) == stem + '-' + digest


def test_slugs_stay_unique():
    assert unit_slug('a b') != unit_slug('a_b') != unit_slug('a?b')
    assert unit_slug('a/b_c') != unit_slug('a_b/c')


def test_depth_one(tmp_path):
    src = tree(tmp_path, 'music/a.flac', 'photos/2024/x.jpg', '.hidden/h', 'my docs/d', 'ünï/u', 'loose.txt', 'empty/')
    units = discover(src, 1, [])
    assert rels(units) == ['.hidden', 'empty', 'music', 'my docs', 'photos', 'ünï', None]
    assert units[-1] == Unit(REST, None)


def test_depth_two(tmp_path):
    src = tree(tmp_path, 'photos/2023/a', 'photos/2024/b', 'photos/loose', 'music/x/y', 'flat/file', 'top')
    assert rels(discover(src, 2, [])) == ['music/x', 'photos/2023', 'photos/2024', None]


def test_symlinks_are_no_units(tmp_path):
    src = tree(tmp_path, 'real/f')
    os.symlink(os.path.join(src, 'real'), os.path.join(src, 'link'))
    assert rels(discover(src, 1, [])) == ['real', None]


def test_excluded_dirs_are_no_units(tmp_path):
    src = tree(tmp_path, 'keep/f', 'tmp/f', 'cache/f', 'a/cache/f', 'a/b/f', 'part/keep/f', 'part/drop/f')
    lines = duply_filelist(src, ['part/keep'], ['./tmp', 'cache', 'part'])
    assert rels(discover(src, 1, lines)) == ['a', 'keep', 'part', None]
    assert rels(discover(src, 2, lines)) == ['a/b', 'part/keep', None]


def test_collision_with_the_remainder_is_refused(tmp_path):
    src = tree(tmp_path, '_rest/f', 'other/f')
    with pytest.raises(UnitError, match="'_rest'"):
        discover(src, 1, [])


def test_bad_depth(tmp_path):
    with pytest.raises(UnitError):
        discover(str(tmp_path), 0, [])


def test_unit_filelist_keeps_only_lines_inside_the_unit():
    lines = duply_filelist('/srv/data', ['photos/raw'], ['./tmp', 'cache', 'music/*.m3u', '/srv/data/*/thumbs'])
    assert unit_filelist(lines, '/srv/data', 'photos') == [
        '+ /srv/data/photos/raw',
        '- /srv/data/**/cache',
        '- /srv/data/*/thumbs',
    ]
    assert unit_filelist(lines, '/srv/data', 'music') == [
        '- /srv/data/**/cache',
        '- /srv/data/music/*.m3u',
        '- /srv/data/*/thumbs',
    ]


def test_unit_filelist_line_deciding_the_whole_unit():
    lines = ['+ /srv/data/part/keep', '- /srv/data/part', '- /srv/data/**/cache']
    assert unit_filelist(lines, '/srv/data', 'part') == ['+ /srv/data/part/keep', '- /srv/data/part/**']
    assert unit_filelist(['+ /srv/data/*', '- /srv/data/**/x'], '/srv/data', 'a') == []


def test_remainder_filelist_leaves_the_units_out():
    units = [Unit('a', 'a'), Unit('b_-12345678', 'b*'), Unit(REST, None)]
    assert unit_filelist(['- /srv/data/tmp'], '/srv/data', None, units) == [
        '- /srv/data/a/**', '- /srv/data/b[*]/**', '- /srv/data/tmp']


def test_tree_size(tmp_path):
    src = tree(tmp_path, 'a/x', 'b/yy')
    assert tree_size(src) == len('a/x') + len('b/yy')
    assert tree_size(src, skip={os.path.join(src, 'a')}) == len('b/yy')


def test_prepare(tmp_path):
    src = tree(tmp_path / 'src', 'big/' + 'f', 'my dir/g', 'loose')
    profile = tmp_path / 'etc' / 'p'
    profile.mkdir(parents=True)
    (profile / 'conf').write_text('TARGET=x\n')
    (profile / 'exclude').write_text('- %s/loose\n' % src)
    (profile / 'pre').write_text('true\n')
    units = prepare(str(profile), str(tmp_path / 'run'), src, 1, 'size')
    # Smallest first; sizes count the excluded file too (like du).
    assert [(u.slug, u.size) for u in units] == [('big', 5), (REST, 5), (unit_slug('my dir'), 8)]
    unit_dir = tmp_path / 'run' / 'p' / ('p--' + unit_slug('my dir'))
    assert units[2].profile_dir == str(unit_dir) and units[2].label == 'my dir' and units[1].label == '(rest)'
    assert oct(os.stat(unit_dir).st_mode & 0o777) == '0o700'
    assert oct(os.stat(unit_dir / 'conf').st_mode & 0o777) == '0o600'
    conf = (unit_dir / 'conf').read_text()
    assert "SOURCE='%s/my dir'" % src in conf
    assert 'TARGET="$TARGET/%s"' % unit_slug('my dir') in conf
    assert 'export OFFSITE_BACKUP_UNIT=%s' % unit_slug('my dir') in conf
    assert os.readlink(unit_dir / 'pre') == str(profile / 'pre')
    assert (tmp_path / 'run' / 'p' / 'p--_rest' / 'exclude').read_text().splitlines() == [
        '- %s/big/**' % src, '- %s/my dir/**' % src, '- %s/loose' % src]
    # A second run starts from a clean runtime directory.
    (tmp_path / 'src' / 'big').rename(tmp_path / 'src' / 'small')
    prepare(str(profile), str(tmp_path / 'run'), src, 1)
    assert sorted(os.listdir(str(tmp_path / 'run' / 'p'))) == ['p--' + s for s in sorted([REST, 'small', unit_slug('my dir')])]


def test_unit_conf_exports_the_unit_to_the_hooks():
    conf = unit_conf('/etc/duply/share', 'gamma_-1234abcd', 'gamma ü', '/srv/share/gamma ü')
    assert conf.splitlines()[1:] == [". /etc/duply/share/conf", "SOURCE='/srv/share/gamma ü'",
                                     'TARGET="$TARGET/gamma_-1234abcd"', 'export OFFSITE_BACKUP_UNIT=gamma_-1234abcd']


def test_helper_list_and_profile(tmp_path):
    src = tree(tmp_path / 'src', 'big/' + 'f', 'my dir/g', 'loose')
    exclude = tmp_path / 'exclude'
    exclude.write_text('- %s/loose\n' % src)
    out = subprocess.run([sys.executable, HELPER, 'list', '--lib-dir', LIB, '--source', src, '--depth', '1',
                          '--order', 'size', '--exclude', str(exclude)], check=True, capture_output=True, text=True).stdout
    assert [line.split('\t') for line in out.splitlines()] == [
        ['big', '5', 'big'], [REST, '5', '(rest)'], [unit_slug('my dir'), '8', 'my dir']]
    profile = tmp_path / 'etc' / 'p'
    profile.mkdir(parents=True)
    (profile / 'post').write_text('true\n')
    out = subprocess.run([sys.executable, HELPER, 'profile', '--lib-dir', LIB, '--profile-dir', str(profile),
                          '--runtime-dir', str(tmp_path / 'run'), '--source', '/restored/big', '--slug', 'big'],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == str(tmp_path / 'run' / 'p' / 'p--big')
    assert "SOURCE=/restored/big" in (tmp_path / 'run' / 'p' / 'p--big' / 'conf').read_text()
    assert os.readlink(str(tmp_path / 'run' / 'p' / 'p--big' / 'post')) == str(profile / 'post')
