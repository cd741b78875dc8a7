# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.filter.duplicity import FilterModule, duplicity_file

KEY = 'photos/manifest-archive/arch_duplicity-full.20240101T000000Z.vol3.difftar.gpg'
EXPECTED = {
    'key': KEY,
    'dirname': 'photos/manifest-archive/',
    'file_prefix': 'arch_',
    'kind': 'full-volume',
    'type': 'full',
    'start_time': None,
    'end_time': '20240101T000000Z',
    'volume': 3,
    'encoding': 'gpg',
    'partial': False,
    'category': 'volume',
}


def test_registered():
    assert FilterModule().filters()['duplicity_file'] is duplicity_file


def test_string():
    assert duplicity_file(KEY) == EXPECTED


@pytest.mark.parametrize('value', [
    {'key': KEY},
    {'Key': KEY, 'Size': 12, 'StorageClass': 'STANDARD'},
    {'key': KEY, 'Key': 'ignored'},
])
def test_object_dicts(value):
    assert duplicity_file(value) == EXPECTED


@pytest.mark.parametrize('key, kind, category', [
    ('duplicity-inc.20240101T000000Z.to.20240102T000000Z.manifest', 'inc-manifest', 'manifest'),
    ('s-duplicity-new-signatures.20240101T000000Z.to.20240102T000000Z.sigtar.gz', 'new-signatures', 'signature'),
    ('duplicity-full.20240101T000000Z.jsonstat.part', 'jsonstat', 'jsonstat'),
])
def test_categories(key, kind, category):
    result = duplicity_file(key)
    assert result['kind'] == kind
    assert result['category'] == category


@pytest.mark.parametrize('value', [
    'notduplicity.txt',
    'duplicity-full.20240101T000000Z.manifest.gpg.bak',
    {'Key': 'folder/'},
    '',
])
def test_not_duplicity(value):
    assert duplicity_file(value) is None


@pytest.mark.parametrize('value', [None, 3, ['a'], {'name': 'x'}, {'key': None}])
def test_bad_input(value):
    with pytest.raises(AnsibleFilterError):
        duplicity_file(value)
