# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module run as Ansible runs it (a program reading its arguments), on a real directory."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.offsite.backup.plugins.modules import install_files

MODULE = install_files.__file__


def run(tmp_path, check=False, diff=False, **params):
    args = tmp_path / 'args.json'
    args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': dict(
        params, _ansible_check_mode=check, _ansible_diff=diff, _ansible_tmpdir=str(tmp_path))}))
    done = subprocess.run([sys.executable, MODULE, str(args)], capture_output=True, text=True, env=dict(
        os.environ, PYTHONPATH=os.pathsep.join(sys.path)), check=False)
    return json.loads(done.stdout)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


FILES = [
    {'name': 'runner.py', 'content': '#!/usr/bin/python3\nprint("{{ not a template }}")\n', 'mode': '0755'},
    {'name': 'lib.py', 'content': 'VALUE = 1\n'},
]


def test_writes_then_changes_nothing(tmp_path):
    dest = tmp_path / 'lib'
    dest.mkdir()
    first = run(tmp_path, dest=str(dest), files=FILES)
    assert first['changed'] and first['written'] == ['runner.py', 'lib.py']
    assert (dest / 'runner.py').read_text() == FILES[0]['content']
    assert mode(dest / 'runner.py') == 0o755 and mode(dest / 'lib.py') == 0o644
    again = run(tmp_path, dest=str(dest), files=FILES)
    assert not again['changed'] and again['written'] == [] and again['changed_files'] == []


def test_only_what_differs_is_written_and_modes_are_fixed(tmp_path):
    dest = tmp_path / 'lib'
    dest.mkdir()
    run(tmp_path, dest=str(dest), files=FILES)
    os.chmod(dest / 'runner.py', 0o600)
    (dest / 'other.txt').write_text('left alone\n')
    changed = [dict(FILES[0]), dict(FILES[1], content='VALUE = 2\n')]
    result = run(tmp_path, dest=str(dest), files=changed, diff=True)
    assert result['written'] == ['lib.py'] and result['changed_files'] == ['runner.py', 'lib.py']
    assert mode(dest / 'runner.py') == 0o755
    assert (dest / 'lib.py').read_text() == 'VALUE = 2\n' and (dest / 'other.txt').exists()
    assert result['diff'] == [{'before_header': str(dest / 'lib.py'), 'after_header': str(dest / 'lib.py'),
                               'before': 'VALUE = 1\n', 'after': 'VALUE = 2\n'}]
    assert sorted(os.listdir(dest)) == ['lib.py', 'other.txt', 'runner.py']


def test_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / 'lib'
    dest.mkdir()
    (dest / 'lib.py').write_text('VALUE = 0\n')
    os.chmod(dest / 'lib.py', 0o600)
    result = run(tmp_path, check=True, dest=str(dest), files=FILES)
    assert result['changed'] and result['written'] == ['runner.py', 'lib.py']
    assert sorted(os.listdir(dest)) == ['lib.py']
    assert (dest / 'lib.py').read_text() == 'VALUE = 0\n' and mode(dest / 'lib.py') == 0o600
    missing = run(tmp_path, check=True, dest=str(tmp_path / 'not-yet'), files=FILES)
    assert missing['changed'] and missing['written'] == ['runner.py', 'lib.py']


@pytest.mark.parametrize('files, message', [
    ([{'name': '../x', 'content': ''}], "files[0].name must be a plain file name, not '../x'"),
    ([{'name': 'a', 'content': ''}, {'name': 'a', 'content': ''}], "files[1].name 'a' is given twice"),
    ([{'name': 'a', 'content': '', 'mode': 'rwx'}], "files[0].mode must be an octal string such as '0644', not 'rwx'"),
])
def test_bad_entries_fail_before_writing(tmp_path, files, message):
    dest = tmp_path / 'lib'
    dest.mkdir()
    result = run(tmp_path, dest=str(dest), files=files)
    assert result['failed'] and result['msg'] == message
    assert os.listdir(dest) == []


def test_a_missing_directory_fails_outside_check_mode(tmp_path):
    result = run(tmp_path, dest=str(tmp_path / 'nope'), files=FILES)
    assert result['failed'] and 'is not a directory' in result['msg']
