# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.filter.duply_bucket_need_errors import FilterModule as NeedsFilters
from ansible_collections.offsite.backup.plugins.filter.duply_profile_view import FilterModule

profile_view = FilterModule().filters()['duply_profile_view']
need_errors = NeedsFilters().filters()['duply_bucket_need_errors']

SETTINGS = {'bucket': 'family-backups', 'gpg_mode': 'symmetric', 'gpg_passphrase': 'pw', 'volume_size': 50,
            'max_full_age': '1M', 'max_age': '6M', 'max_full_backups': 2, 'mail': 'always', 'lock_wait': 0,
            'cron': True, 'tiering': {'strategy': 'none'}, 'schedule': {'hour': '3'},
            'logrotate': {'period': 'weekly', 'rotate': 8}, 'monitors': [], 'overdue_grace': 6,
            'upload_concurrency': 0}


def test_filter_returns_the_view_and_its_needs_pass_the_check():
    result = profile_view([{'name': 'docs', 'source': '/srv/docs'}], SETTINGS, 'pi')
    assert result['errors'] == []
    assert result['present'] == ['docs']
    assert result['bucket_needs'][0]['prefix'] == 'pi/docs'
    assert need_errors(result['bucket_needs']) == []


def test_filter_reports_problems():
    result = profile_view([{'name': 'docs', 'source': 'docs'}], SETTINGS, 'pi')
    assert result['errors'] == ["duply_profiles[0] (docs).source must be an absolute path, not 'docs'"]


@pytest.mark.parametrize('profiles, settings', [('docs', SETTINGS), (['docs'], SETTINGS), ([], 'x')])
def test_filter_refuses_the_wrong_shapes(profiles, settings):
    with pytest.raises(AnsibleFilterError):
        profile_view(profiles, settings, 'pi')
