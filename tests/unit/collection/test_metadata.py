# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection says about itself agrees with itself."""

from __future__ import annotations

import glob
import os
import re

import pytest

from ansible.module_utils.compat.version import LooseVersion

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def read(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as handle:
        return handle.read()


def collection_version():
    return re.search(r'^version:\s*(\S+)', read('galaxy.yml'), re.M).group(1)


def core_floor():
    return re.search(r'^requires_ansible:\s*"?>=\s*([0-9.]+)', read('meta/runtime.yml'), re.M).group(1)


def release(version):
    parts = [int(part) for part in version.split('.')]
    while parts and parts[-1] == 0:
        parts.pop()
    return parts


def plugin_docs():
    for path in sorted(glob.glob(os.path.join(ROOT, 'plugins', '*', '*.py'))
                       + glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.yml'))):
        if '/module_utils/' not in path:
            yield os.path.relpath(path, ROOT)


@pytest.mark.parametrize('path', list(plugin_docs()))
def test_version_added_is_not_in_the_future(path):
    for added in re.findall(r'^\s*version_added:\s*"?([0-9][0-9.]*)', read(path), re.M):
        assert LooseVersion(added) <= LooseVersion(collection_version()), (
            '%s says version_added %s, but the collection is %s' % (path, added, collection_version()))


@pytest.mark.parametrize('role', sorted(os.listdir(os.path.join(ROOT, 'roles'))))
def test_roles_ask_for_the_collections_ansible_core(role):
    floor = re.search(r'min_ansible_version:\s*"?([0-9.]+)', read('roles/%s/meta/main.yml' % role)).group(1)
    assert release(floor) == release(core_floor()), (
        'roles/%s/meta/main.yml says min_ansible_version %s, meta/runtime.yml requires %s' % (role, floor, core_floor()))
