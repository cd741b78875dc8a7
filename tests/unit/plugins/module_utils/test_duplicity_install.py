# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_install import (
    apt_candidate, choose_method, install_plan, method_problems, upstream_version, version_at_least)

# Trimmed from `apt-cache policy duplicity` on each release.
TRIXIE = """duplicity:
  Installed: (none)
  Candidate: 3.0.4-1+b1
  Version table:
     3.0.4-1+b1 500
"""
BOOKWORM = """duplicity:
  Installed: (none)
  Candidate: 0.8.22-1+b4
"""
NONE = """duplicity:
  Installed: (none)
  Candidate: (none)
"""


@pytest.mark.parametrize('output, expected', [
    (TRIXIE, '3.0.4'), (BOOKWORM, '0.8.22'), (NONE, '0'), ('', '0'), (None, '0'),
    ('  Candidate: 1:2.1.4~rc1-2', '2.1.4'),
])
def test_apt_candidate(output, expected):
    assert apt_candidate(output) == expected


@pytest.mark.parametrize('version, expected', [
    ('3.0.4-1+b1', '3.0.4'), ('2.5.5-1', '2.5.5'), ('1:2.1.4~rc1-2', '2.1.4'), ('0.8.22+dfsg-1', '0.8.22'),
    ('2.4.1', '2.4.1'), ('', ''), (None, ''),
])
def test_upstream_version(version, expected):
    assert upstream_version(version) == expected


@pytest.mark.parametrize('version, minimum, expected', [
    ('3.0.4', '2.0', True), ('2.0', '2.0', True), ('0.8.22', '2.0', False), ('0', '2.0', False),
    ('10.0', '9.1', True),
])
def test_version_at_least(version, minimum, expected):
    assert version_at_least(version, minimum) is expected


# What auto picks on every platform the collection supports (README, "Supported hosts").
@pytest.mark.parametrize('candidate, machine, expected', [
    ('3.0.4', 'x86_64', 'package'),    # Debian 13 amd64
    ('3.0.4', 'aarch64', 'package'),   # Debian 13 / Raspberry Pi OS 13 arm64
    ('3.0.4', 'armv7l', 'package'),    # Raspberry Pi OS 13 armhf
    ('0.8.22', 'x86_64', 'pip'),       # Debian 12 amd64
    ('0.8.22', 'aarch64', 'pip'),      # Debian 12 / Raspberry Pi OS 12 arm64
    ('0.8.22', 'armv7l', 'source'),    # Raspberry Pi OS 12 armhf
    ('0.8.22', 'armv6l', 'source'),    # Pi Zero / Pi 1
    ('0', 'x86_64', 'pip'),            # no package at all
])
def test_auto_without_patches(candidate, machine, expected):
    assert choose_method('auto', candidate, machine)[0] == expected


@pytest.mark.parametrize('candidate, machine', [('3.0.4', 'x86_64'), ('3.0.4', 'aarch64'), ('0.8.22', 'aarch64')])
def test_auto_with_patches_builds_from_source(candidate, machine):
    method, reason = choose_method('auto', candidate, machine, patches=['skip-volume1-check-on-resume'])
    assert method == 'source'
    assert 'skip-volume1-check-on-resume' in reason


@pytest.mark.parametrize('requested', ['package', 'pip', 'source'])
def test_explicit_methods_are_kept(requested):
    assert choose_method(requested, '3.0.4', 'x86_64')[0] == requested


def test_unknown_method():
    with pytest.raises(ValueError, match='must be one of package, pip, source, auto'):
        choose_method('apt', '3.0.4', 'x86_64')


@pytest.mark.parametrize('requested, problems', [('package', 1), ('pip', 1), ('source', 0), ('auto', 0)])
def test_patches_only_with_a_source_build(requested, problems):
    found = method_problems(requested, ['skip-volume1-check-on-resume'])
    assert len(found) == problems
    if found:
        assert 'set it to source or auto, or empty duplicity_source_patches' in found[0]
    assert method_problems(requested, []) == []


def test_install_plan():
    plan = install_plan('auto', TRIXIE, 'aarch64', minimum='2.0')
    assert plan['method'] == 'package' and plan['candidate'] == '3.0.4' and plan['problems'] == []
    assert '3.0.4' in plan['reason'] and 'at least the minimum 2.0' in plan['reason']
