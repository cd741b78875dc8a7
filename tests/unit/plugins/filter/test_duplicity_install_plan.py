# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.filter.duplicity_install_plan import FilterModule

plan = FilterModule().filters()['duplicity_install_plan']


def test_auto_with_patches_on_trixie():
    result = plan('auto', apt_policy='  Candidate: 3.0.4-1+b1\n', machine='x86_64',
                  patches=['skip-volume1-check-on-resume'])
    assert result['method'] == 'source'
    assert result['candidate'] == '3.0.4'


def test_role_defaults_when_not_auto():
    # The role calls it without apt output or machine for explicit methods.
    assert plan('package') == {'method': 'package', 'reason': 'duplicity_install_method is package',
                               'candidate': '0', 'problems': []}


def test_bad_method():
    with pytest.raises(AnsibleFilterError, match='must be one of'):
        plan('deb')


def test_debian_upstream_version_filter():
    from ansible_collections.offsite.backup.plugins.filter.debian_upstream_version import FilterModule
    upstream = FilterModule().filters()['debian_upstream_version']
    assert upstream('1:3.0.4-1+b1') == '3.0.4'
    assert upstream('') == ''
