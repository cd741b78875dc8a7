# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runner (roles/duply/files/offsite-backup.py and module_utils/offsite_runner.py).

The pure parts are tested as functions; the runs start the program as the host does,
from a directory laid out like duply_helper_dir, with a fake duply and sendmail on PATH.
"""

from __future__ import annotations

import email
import email.policy
import fcntl
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import offsite_runner as runner
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_units import UNIT_VARIABLE, unit_slug

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
MODULE_UTILS = os.path.join(COLLECTION, 'plugins', 'module_utils')
ROLE = os.path.join(COLLECTION, 'roles', 'duply')


def _host_library():
    """The module_utils files roles/duply/tasks/helper.yml installs on a host, as it names them."""
    with open(os.path.join(ROLE, 'tasks', 'helper.yml'), encoding='utf-8') as handle:
        text = handle.read()
    call = text[text.index("lookup('offsite.backup.host_library'"):]
    call = call[:call.index('wantlist=True')]
    return [name + '.py' for name in re.findall(r"'([a-z0-9_]+)'", call)]


LIBRARY = _host_library()

PASSPHRASE = 'gpg-Pass-7c1e'
AWS_SECRET = 'aws-Secret-55d0'
HEARTBEAT_TOKEN = 'hb-Token-e3a9'

FAKE_DUPLY = r'''
import json, os, subprocess, sys, time
control = json.load(open(os.environ['FAKE_CONTROL']))
target = sys.argv[1]
name = os.path.basename(target)
with open(control['calls'], 'a') as handle:
    parent = open('/proc/%d/cmdline' % os.getppid(), 'rb').read().replace(b'\0', b' ').decode()
    handle.write(json.dumps({'argv': sys.argv[1:], 'parent': parent, 'stdin_tty': os.isatty(0)}) + '\n')
print('Start duply for %s' % name)
print('--------------[ Backup Statistics ]--------------')
print('ElapsedTime 0.01 (0.01 seconds)')
print('SourceFileSize %d (some bytes)' % control.get('source', 4096))
print('TotalDestinationSizeChange %d (some bytes)' % control.get('uploaded', 2048))
print('-------------------------------------------------')
print('Grüße, a line that is not ASCII', flush=True)
if control.get('hooks') and os.path.exists(os.path.join(target, 'post')):
    subprocess.run(['bash', '-c', '. "$1/conf" && . "$1/post"', '_', target], check=True)
if control.get('repoint'):
    link, new = control['repoint']
    os.unlink(link)
    os.symlink(new, link)
time.sleep(control.get('sleep', 0))
print('done', file=sys.stderr)
rc = control.get('rc', {}).get(name, 0)
if rc == 0 and control.get('archive'):
    # what duplicity leaves in duply's local archive: a full set, then incrementals
    archive = os.path.join(control['archive'], 'duply_' + name)
    os.makedirs(archive, exist_ok=True)
    sets = sorted(n for n in os.listdir(archive) if n.endswith('.manifest'))
    stamp = '202612%02dT030501Z' % (len(sets) + 1)
    last = sets[-1].split('.')[-2] if sets else None
    base = 'duplicity-inc.%s.to.%s' % (last, stamp) if last else 'duplicity-full.%s' % stamp
    for suffix in ('.manifest', '.vol1.difftar.gpg.part'):
        open(os.path.join(archive, base + suffix), 'w').close()
sys.exit(rc)
'''

FAKE_SENDMAIL = r'''
import os, sys
spool = os.environ['FAKE_SPOOL']
os.makedirs(spool, exist_ok=True)
with open(os.path.join(spool, 'mail%d' % len(os.listdir(spool))), 'wb') as handle:
    handle.write(sys.stdin.buffer.read())
if os.environ.get('FAKE_SENDMAIL_RC', '0') != '0':
    print('sendmail: cannot reach the relay')
sys.exit(int(os.environ.get('FAKE_SENDMAIL_RC', '0')))
'''

# The hook template's python3: records the tag helper's arguments.
FAKE_PYTHON = r'''#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_TAG_CALLS"
'''


def script(path, body, interpreter=sys.executable):
    path.write_text('#!%s\n%s' % (interpreter, body) if interpreter else body)
    path.chmod(0o755)
    return str(path)


class Host:
    """A profile directory, the installed runner and fakes, all below tmp_path."""

    def __init__(self, tmp_path, profile='photos', **settings):
        self.tmp = tmp_path
        self.profile = profile
        self.lib = tmp_path / 'lib'
        self.etc = tmp_path / 'etc'
        self.bin = tmp_path / 'bin'
        self.logs = tmp_path / 'log'
        self.locks = tmp_path / 'lock'
        self.spool = tmp_path / 'spool'
        for path in (self.lib, self.etc / profile, self.bin):
            path.mkdir(parents=True)
        for name in LIBRARY:
            shutil.copy(os.path.join(MODULE_UTILS, name), str(self.lib / name))
        self.program = str(self.lib / 'offsite-backup.py')
        shutil.copy(os.path.join(ROLE, 'files', 'offsite-backup.py'), self.program)
        (self.lib / 'offsite-backup.json').write_text(json.dumps({'config_dir': str(self.etc)}))
        (self.etc / profile / 'conf').write_text(
            "TARGET='s3://bucket/pi/%s'\nTARGET_USER='AKIAFAKE'\nTARGET_PASS='%s'\nGPG_PW='%s'\n"
            % (profile, AWS_SECRET, PASSPHRASE))
        (self.etc / profile / 'exclude').write_text('')
        script(self.bin / 'duply', FAKE_DUPLY)
        self.sendmail = script(self.bin / 'sendmail', FAKE_SENDMAIL)
        script(self.bin / 'python3', FAKE_PYTHON, interpreter=None)
        self.settings = {'log_dir': str(self.logs), 'lock_dir': str(self.locks), 'run_dir': str(tmp_path / 'run'),
                         'sendmail': self.sendmail, 'host_label': 'pi', 'mail_to': 'admin@example.net',
                         'state_dir': str(tmp_path / 'state'), 'metrics_dir': str(tmp_path / 'metrics')}
        self.settings.update(settings)
        self.control = {'calls': str(tmp_path / 'duply.calls')}
        self.write()

    def write(self):
        (self.etc / self.profile / 'runner.json').write_text(json.dumps(self.settings))

    def start(self, *args, sendmail_rc=0):
        (self.tmp / 'control.json').write_text(json.dumps(self.control))
        env = dict(os.environ, PATH='%s:%s' % (self.bin, os.environ.get('PATH', '/usr/bin:/bin')),
                   FAKE_CONTROL=str(self.tmp / 'control.json'), FAKE_SPOOL=str(self.spool),
                   FAKE_SENDMAIL_RC=str(sendmail_rc), FAKE_TAG_CALLS=str(self.tmp / 'tag.calls'))
        argv = list(args) if args else [self.profile]
        return subprocess.Popen([sys.executable, self.program] + argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)

    def run(self, *args, **kwargs):
        proc = self.start(*args, **kwargs)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err

    @property
    def log(self):
        path = self.logs / (self.profile + '.log')
        return path.read_text(encoding='utf-8') if path.exists() else ''

    @property
    def calls(self):
        path = self.tmp / 'duply.calls'
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    @property
    def mails(self):
        if not self.spool.exists():
            return []
        return [email.message_from_bytes((self.spool / name).read_bytes(), policy=email.policy.default)
                for name in sorted(os.listdir(str(self.spool)))]


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path)


# -- the pure parts ----------------------------------------------------------------

def test_settings_defaults():
    settings = runner.parse_settings({})
    assert settings['batch'] == 'backup_verify_purge --force'
    assert settings['mail'] == 'always' and settings['lock_wait'] == 0 and settings['split'] is None


@pytest.mark.parametrize('data, message', [
    ([], 'must be a JSON object'),
    ({'mail': 'sometimes'}, 'mail must be one of always, failure, never'),
    ({'lock_wait': '5'}, 'lock_wait must be a int'),
    ({'lock_wait': True}, 'lock_wait must be a int'),
    ({'lock_wait': -1}, 'lock_wait must be 0 or more'),
    ({'batch': ' '}, 'batch is empty'),
    ({'colour': 'red'}, 'unknown keys: colour'),
    ({'split': {'depth': 1}}, "split needs source"),
    ({'split': {'source': '/s', 'depth': 0}}, 'split.depth must be 1 or more'),
    ({'split': {'source': '/s', 'depth': 1, 'order': 'age'}}, 'split.order must be name or size'),
    ({'split': {'source': '/s', 'depth': 1, 'keep_going': 'no'}}, 'keep_going must be a bool'),
])
def test_settings_errors(data, message):
    with pytest.raises(runner.SettingsError, match=message):
        runner.parse_settings(data)


@pytest.mark.parametrize('size, text', [
    (0, '0'), (1023, '1023'), (1024, '1.0K'), (1025, '1.1K'), (10 * 1024, '10K'), (10 * 1024 + 1, '11K'),
    (12 * 1024 * 1024, '12M'), (1024 * 1024 - 1, '1.0M'), (3 * 1024 ** 3, '3.0G'),
])
def test_iec_like_numfmt(size, text):
    assert runner.iec(size) == text


@pytest.mark.parametrize('backup, mail, missing, code, message', [
    (0, None, False, 0, None),
    (1, None, False, 1, None),
    (255, 0, False, 255, None),
    (0, 1, False, 3, 'REPORT NOT SENT: /sm -t exited with code 1; the backup itself succeeded; exit code 3'),
    (0, 127, True, 3, 'REPORT NOT SENT: /sm is missing or not executable; the backup itself succeeded; exit code 3'),
    (1, 1, False, 1, 'REPORT NOT SENT: /sm -t exited with code 1; the backup failed, exit code 1'),
])
def test_final_code(backup, mail, missing, code, message):
    assert runner.final_code(backup, mail, missing, '/sm') == (code, message)


def test_units_code_and_results():
    assert runner.units_code([0, 0, None]) == 0
    assert runner.units_code([0, 23, None]) == 1
    assert runner.unit_result(0) == 'ok' and runner.unit_result(23) == 'FAILED(23)'


def test_mail_due():
    assert runner.mail_due('always', 0) and runner.mail_due('failure', 1)
    assert not runner.mail_due('failure', 0) and not runner.mail_due('never', 1)


def test_statistics_blocks_without_stamps():
    log = ['2024-01-02 03:04:05 x', '2024-01-02 03:04:05 --[ Backup Statistics ]--',
           '2024-01-02 03:04:05 ElapsedTime 1', '2024-01-02 03:04:05 ' + '-' * 30, '2024-01-02 03:04:06 after']
    assert runner.statistics(log) == ['--[ Backup Statistics ]--', 'ElapsedTime 1', '-' * 30]


def test_mountpoint_reads_mountinfo_with_escapes(tmp_path):
    where = tmp_path / 'my disk'
    where.mkdir()
    info = tmp_path / 'mountinfo'
    info.write_text('36 25 0:32 / %s rw - ext4 /dev/sda1 rw\n' % str(where).replace(' ', '\\040'))
    assert runner.is_mountpoint(str(where), str(info))
    assert not runner.is_mountpoint(str(tmp_path), str(info))
    assert runner.is_mountpoint('/proc') and not runner.is_mountpoint(str(tmp_path))


def test_profile_names():
    assert runner.valid_profile_name('photos.2')
    assert not any(runner.valid_profile_name(n) for n in ('', '.', '..', 'a/b', '../etc'))


# -- runs ---------------------------------------------------------------------------

def test_success_logs_mails_and_passes_the_batch(host):
    code, _out, err = host.run()
    assert code == 0, err
    assert [c['argv'] for c in host.calls] == [['photos', 'backup_verify_purge', '--force']]
    assert host.calls[0]['stdin_tty'] is False
    lines = host.log.splitlines()
    stamped = [line for line in lines if line[:2] == '20' and line[10] == ' ' and line[19] == ' ']
    assert stamped == lines
    assert 'offsite-backup photos: start on pi: duply photos backup_verify_purge --force' in host.log
    assert 'Grüße, a line that is not ASCII' in host.log
    assert 'done' in host.log  # duply's stderr too
    assert 'offsite-backup photos: end, exit code 0 after ' in lines[-1]
    (mail,) = host.mails
    assert mail['Subject'].startswith('[ok] backup pi/photos @ 20')
    assert mail['To'] == 'admin@example.net'
    assert mail['MIME-Version'] == '1.0' and mail['Auto-Submitted'] == 'auto-generated'
    assert mail.get_content_type() == 'text/plain' and mail.get_content_charset() == 'utf-8'
    body = mail.get_content()
    assert body.startswith('Profile photos on pi: succeeded, exit code 0, ')
    stats = body.split('Statistics:\n', 1)[1].split('\n\n', 1)[0].splitlines()
    assert stats[0] == '--------------[ Backup Statistics ]--------------' and stats[-1].startswith('-----')
    assert body.split('Log of this run:\n', 1)[1].splitlines()[-1].endswith(': end, exit code 0 after 0s')
    assert 'Grüße' in body


@pytest.mark.parametrize('rc', [1, 23, 255])
def test_failed_batch_passes_on_duplys_code(host, rc):
    host.control['rc'] = {'photos': rc}
    code, _out, _err = host.run()
    assert code == rc
    assert host.log.splitlines()[-1].endswith('offsite-backup photos: end, exit code %d after 0s' % rc)
    (mail,) = host.mails
    assert mail['Subject'].startswith('[ERR] backup pi/photos @ ')
    assert 'FAILED, exit code %d' % rc in mail.get_content()


@pytest.mark.parametrize('args', [(), ('a', 'b'), ('../x',), ('nosuch',)])
def test_usage_errors_exit_2(host, args):
    proc = host.start(*args) if args else subprocess.Popen([sys.executable, host.program], stderr=subprocess.PIPE, text=True)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert ("no such profile 'nosuch'" in err) if args == ('nosuch',) else ('usage: offsite-backup PROFILE' in err)
    assert host.calls == []


def test_bad_settings_exit_2(host):
    host.settings['mail'] = 'sometimes'
    host.write()
    code, _out, err = host.run()
    assert code == 2 and 'mail must be one of always, failure, never' in err and host.calls == []


def test_report_not_sent_exit_3(host):
    code, _out, err = host.run(sendmail_rc=75)
    assert code == 3
    want = 'REPORT NOT SENT: %s -t exited with code 75; the backup itself succeeded; exit code 3' % host.sendmail
    assert want in err
    assert host.log.splitlines()[-1].endswith('offsite-backup photos: ' + want)
    assert 'sendmail: cannot reach the relay' in host.log


def test_missing_sendmail_exit_3_and_failed_keeps_its_code(host):
    host.settings['sendmail'] = str(host.tmp / 'no-sendmail')
    host.write()
    code, _out, _err = host.run()
    assert code == 3
    assert host.log.splitlines()[-1].endswith(
        'REPORT NOT SENT: %s is missing or not executable; the backup itself succeeded; exit code 3' % host.settings['sendmail'])
    host.control['rc'] = {'photos': 1}
    code, _out, err = host.run()
    assert code == 1 and 'the backup failed, exit code 1' in err


def test_mail_failure_only(host):
    host.settings['mail'] = 'failure'
    host.write()
    assert host.run()[0] == 0 and host.mails == []
    host.control['rc'] = {'photos': 1}
    assert host.run()[0] == 1 and len(host.mails) == 1


def test_lock_held_exit_75_then_waits(host):
    host.locks.mkdir()
    lock_path = host.locks / 'photos.lock'
    with open(str(lock_path), 'a') as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        code, _out, err = host.run()
        assert code == 75
        assert 'another run of profile photos holds %s; gave up after 0s' % lock_path in err
        assert host.log.splitlines()[-1].endswith('offsite-backup photos: another run of profile photos holds %s; '
                                                  'gave up after 0s' % lock_path)
        assert host.calls == [] and host.mails == []
        host.settings['lock_wait'] = 10
        host.write()
        waiting = host.start()
        time.sleep(0.5)
        assert waiting.poll() is None
    assert waiting.wait(timeout=30) == 0
    assert len(host.calls) == 1


def test_two_runs_at_once(host):
    host.control['sleep'] = 1
    first = host.start()
    time.sleep(0.3)
    second = host.start()
    assert sorted([first.wait(timeout=30), second.wait(timeout=30)]) == [0, 75]
    assert len(host.calls) == 1


def test_not_mounted_backs_nothing_up(host):
    host.settings['require_mount'] = str(host.tmp)
    host.write()
    code, _out, _err = host.run()
    assert code == 1 and host.calls == []
    assert '%s is not mounted: no backup this run, the chain is left as it is' % host.tmp in host.log
    assert host.mails[0]['Subject'].startswith('[ERR]')


def test_mounted_runs(host):
    host.settings['require_mount'] = '/proc'
    host.write()
    assert host.run()[0] == 0 and len(host.calls) == 1
    assert 'not mounted' not in host.log


def test_mount_gone_during_the_run(host):
    link = host.tmp / 'disk'
    link.symlink_to('/proc')
    host.settings['require_mount'] = str(link)
    host.control['repoint'] = [str(link), str(host.tmp)]
    host.write()
    code, _out, _err = host.run()
    assert code == 1 and len(host.calls) == 1
    assert '%s went away during the run: this backup misses what was not read by then' % link in host.log


def test_heartbeat_on_success_only(host):
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'ok')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = 'http://127.0.0.1:%d/ping?token=%s' % (server.server_port, HEARTBEAT_TOKEN)
        host.settings['heartbeat_url'] = url
        host.write()
        assert host.run()[0] == 0
        assert hits == ['/ping?token=' + HEARTBEAT_TOKEN]
        host.control['rc'] = {'photos': 1}
        assert host.run()[0] == 1
        assert len(hits) == 1
    finally:
        server.shutdown()
        server.server_close()
    host.control['rc'] = {}
    assert host.run()[0] == 0
    assert host.log.splitlines()[-1].endswith('heartbeat ping failed: [Errno 111] Connection refused (the backup itself succeeded)')


def test_secrets_stay_out_of_argv_logs_and_mails(host):
    host.settings['heartbeat_url'] = 'http://127.0.0.1:9/ping?token=' + HEARTBEAT_TOKEN
    host.write()
    code, out, err = host.run()
    assert code == 0
    seen = json.dumps(host.calls) + host.log + out + err + ''.join(m.get_content() for m in host.mails)
    assert host.calls[0]['parent'].split()[-1] == 'photos'
    for secret in (PASSPHRASE, AWS_SECRET, HEARTBEAT_TOKEN):
        assert secret not in seen


def test_files_are_root_only(host):
    host.run()
    assert os.stat(str(host.logs / 'photos.log')).st_mode & 0o077 == 0
    assert os.stat(str(host.locks / 'photos.lock')).st_mode & 0o077 == 0


# -- split profiles -------------------------------------------------------------------

def render_hook(host, profile, split):
    """The post hook of a tags profile, as the role renders roles/duply/templates/hook.j2."""
    spec = importlib.util.spec_from_file_location('render_hooks', os.path.join(COLLECTION, 'scripts', 'render_hooks.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = host.etc / profile / 'post'
    path.write_text(module.render('post', profile, 'pi/' + profile, split, str(host.lib), 'echo post hook ran'))
    path.chmod(0o700)


@pytest.fixture
def split_host(tmp_path):
    source = tmp_path / 'share'
    for rel in ('alpha/a', 'beta/b', 'gamma ü/g', 'loose'):
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(rel * 100)
    host = Host(tmp_path, 'share', split={'source': str(source), 'depth': 1, 'order': 'name', 'keep_going': True})
    render_hook(host, 'share', {'depth': 1, 'order': 'name', 'keep_going': True})
    host.control['hooks'] = True
    return host


def table_of(body):
    return body.split('\n\n', 1)[0].splitlines()


def test_split_runs_each_unit_and_tables_them(split_host):
    code, _out, err = split_host.run()
    assert code == 0, err
    gamma = unit_slug('gamma ü')
    units = ['alpha', 'beta', gamma, '_rest']
    assert [c['argv'] for c in split_host.calls] == [
        [str(split_host.tmp / 'run' / 'share' / ('share--' + u)), 'backup_verify_purge', '--force'] for u in units]
    assert 'offsite-backup share: start on pi: backup_verify_purge --force for each unit of %s at depth 1' \
        % (split_host.tmp / 'share') in split_host.log
    assert 'offsite-backup share: unit gamma ü (%s): duply ' % gamma in split_host.log
    (mail,) = split_host.mails
    assert mail.get_content_charset() == 'utf-8' and mail['MIME-Version'] == '1.0'
    table = table_of(mail.get_content())
    assert table[0].split() == ['UNIT', 'RESULT', 'SIZE', 'UPLOADED', 'SECONDS']
    assert [row.split('  ')[0] for row in table[1:]] == ['alpha', 'beta', 'gamma ü', '(rest)']
    assert [row[33:].split()[:3] for row in table[1:]] == [['ok', size, '2.0K'] for size in ('700', '600', '1000', '500')]
    # The table is in the log too, stamped.
    assert any(line.endswith(table[2]) for line in split_host.log.splitlines())


def test_split_post_hook_tags_the_units_own_prefix(split_host):
    assert split_host.run()[0] == 0
    calls = (split_host.tmp / 'tag.calls').read_text().splitlines()
    prefixes = [call.split('--prefix ', 1)[1].split()[0] for call in calls]
    assert prefixes == ['pi/share/%s/' % u for u in ('alpha', 'beta', unit_slug('gamma ü'), '_rest')]
    # Each unit's pass keeps its own mark (the helper names the file after bucket and prefix).
    assert all(call.endswith(' --state-dir /var/lib/offsite-backup/tagging --sweep-days 7') for call in calls), calls
    conf = (split_host.tmp / 'run' / 'share' / 'share--alpha' / 'conf').read_text()
    assert 'export %s=alpha' % UNIT_VARIABLE in conf


def test_unsplit_post_hook_tags_the_whole_prefix(host):
    render_hook(host, 'photos', None)
    host.control['hooks'] = True
    # duply itself sources the profile's conf, and the hook: the fake does so for units only.
    (host.etc / 'photos' / 'post').chmod(0o700)
    env = dict(os.environ, PATH='%s:%s' % (host.bin, os.environ['PATH']), FAKE_TAG_CALLS=str(host.tmp / 'tag.calls'))
    subprocess.run(['bash', str(host.etc / 'photos' / 'post')], env=env, check=True, capture_output=True)
    assert (host.tmp / 'tag.calls').read_text().split('--prefix ', 1)[1].split()[0] == 'pi/photos/'


@pytest.mark.parametrize('keep_going, results', [
    (True, ['ok', 'FAILED(23)', 'ok', 'ok']),
    (False, ['ok', 'FAILED(23)', 'skipped', 'skipped']),
])
def test_split_keep_going(split_host, keep_going, results):
    split_host.settings['split']['keep_going'] = keep_going
    split_host.write()
    split_host.control['rc'] = {'share--beta': 23}
    code, _out, _err = split_host.run()
    assert code == 1
    (mail,) = split_host.mails
    assert mail['Subject'].startswith('[ERR] backup pi/share @ ')
    table = table_of(mail.get_content())
    assert [row[33:].split()[0] for row in table[1:]] == results
    assert len(split_host.calls) == (4 if keep_going else 2)
    if not keep_going:
        assert table[3].split()[-2:] == ['-', '-']


def test_split_that_cannot_be_made(split_host):
    (split_host.tmp / 'share' / '_rest').mkdir()
    code, _out, _err = split_host.run()
    assert code == 1 and split_host.calls == []
    body = split_host.mails[0].get_content()
    assert body.startswith('(no units: the source could not be split, see the log)\n')
    assert "cannot split %s into units: directory '_rest' and the remainder" % (split_host.tmp / 'share') in split_host.log


@pytest.mark.skipif(not os.access('/usr/bin/python3', os.X_OK), reason='the program starts /usr/bin/python3')
def test_runs_through_the_link_as_cron_calls_it(host):
    link = host.tmp / 'offsite-backup'
    link.symlink_to(host.program)
    os.chmod(host.program, 0o755)
    env = dict(os.environ, PATH='%s:/usr/bin:/bin' % host.bin, FAKE_CONTROL=str(host.tmp / 'control.json'),
               FAKE_SPOOL=str(host.spool), PYTHONPATH='/nonexistent')
    (host.tmp / 'control.json').write_text(json.dumps(host.control))
    proc = subprocess.run([str(link), 'photos'], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(host.calls) == 1 and len(host.mails) == 1
    assert host.calls[0]['parent'].split()[:2] == ['/usr/bin/python3', '-I']


def test_the_program_is_thin():
    with open(os.path.join(ROLE, 'files', 'offsite-backup.py')) as handle:
        code = [line for line in handle if line.strip() and not line.lstrip().startswith('#')]
    assert len(code) < 25
    assert textwrap.dedent(code[-1]).startswith('sys.exit(offsite_runner.main(')


# -- monitors, metrics and status -----------------------------------------------------

def test_monitors_start_then_success_or_fail_with_the_log_tail(host, sink):
    host.settings['monitors'] = [{'kind': 'healthchecks', 'url': sink.url + '/hc/' + HEARTBEAT_TOKEN, 'name': 'hc'},
                                 {'kind': 'healthchecks', 'url': 'http://127.0.0.1:9/gone/' + HEARTBEAT_TOKEN}]
    host.write()
    code, _out, err = host.run()
    assert code == 0, err
    assert [hit['path'] for hit in sink.requests] == ['/hc/%s/start' % HEARTBEAT_TOKEN, '/hc/' + HEARTBEAT_TOKEN]
    assert 'offsite-backup photos: end, exit code 0 after' in sink.requests[1]['body'].decode()
    assert 'monitor hc: success sent' in host.log
    assert 'monitor healthchecks #2: start NOT sent after 3 attempts' in host.log
    host.control['rc'] = {'photos': 23}
    assert host.run()[0] == 23
    assert sink.requests[-1]['path'] == '/hc/%s/fail' % HEARTBEAT_TOKEN and 'end, exit code 23' in sink.requests[-1]['body'].decode()
    assert HEARTBEAT_TOKEN not in host.log + ''.join(m.get_content() for m in host.mails)


def test_a_monitor_that_hangs_costs_its_timeout_not_the_result(host):
    import socket
    quiet = socket.socket()
    quiet.bind(('127.0.0.1', 0))
    quiet.listen(8)
    try:
        host.settings['monitors'] = [{'kind': 'webhook', 'url': 'http://127.0.0.1:%d/x' % quiet.getsockname()[1],
                                      'events': ['success']}]
        host.settings['monitor_timeout'] = 1
        host.write()
        began = time.monotonic()
        assert host.run()[0] == 0
        assert time.monotonic() - began < 20
        assert 'monitor webhook #1: success NOT sent after 3 attempts: timed out' in host.log
    finally:
        quiet.close()


def test_state_metrics_and_status(host):
    host.settings['archive_dir'] = str(host.tmp / 'cache')
    host.control['archive'] = str(host.tmp / 'cache')
    host.settings['schedule'] = {'minute': 5, 'hour': '3', 'day': '*', 'month': '*', 'weekday': '*'}
    host.write()
    code, out, _err = host.run('status', '--json')
    assert code == 0 and json.loads(out)['profiles'][0]['result'] == 'never run'
    assert host.run()[0] == 0
    prom = host.tmp / 'metrics' / 'offsite-backup-photos.prom'
    assert os.stat(str(prom)).st_mode & 0o777 == 0o644
    assert os.stat(str(host.tmp / 'state' / 'photos.json')).st_mode & 0o077 == 0
    text = prom.read_text()
    assert 'offsite_backup_last_run_uploaded_bytes{profile="photos"} 2048' in text
    assert 'offsite_backup_source_size_bytes{profile="photos"} 4096' in text
    assert 'offsite_backup_chains{profile="photos"} 1' in text and 'offsite_backup_backup_sets{profile="photos"} 1' in text
    assert 'offsite_backup_last_full_timestamp_seconds{profile="photos"} 1796094301' in text
    assert 'offsite_backup_last_report_sent{profile="photos"} 1' in text
    code, out, _err = host.run('status')
    assert code == 0 and out.splitlines()[1].split()[3] == 'ok'
    assert host.run()[0] == 0
    text = prom.read_text()
    assert 'offsite_backup_chains{profile="photos"} 1' in text and 'offsite_backup_backup_sets{profile="photos"} 2' in text
    assert 'offsite_backup_last_full_timestamp_seconds{profile="photos"} 1796094301' in text
    host.control['rc'] = {'photos': 1}
    assert host.run()[0] == 1
    assert 'offsite_backup_last_run_exit_code{profile="photos"} 1' in prom.read_text()
    assert 'offsite_backup_chains{profile="photos"} 1' in prom.read_text()
    state = json.loads((host.tmp / 'state' / 'photos.json').read_text())
    state['last_success'] -= 3 * 86400
    (host.tmp / 'state' / 'photos.json').write_text(json.dumps(state))
    code, out, _err = host.run('status')
    assert code == 1 and out.splitlines()[1].endswith('OVERDUE')
    assert host.run('status', 'nope')[0] == 2


def test_split_metrics_per_unit(split_host):
    assert split_host.run()[0] == 0
    text = (split_host.tmp / 'metrics' / 'offsite-backup-share.prom').read_text()
    units = [line for line in text.splitlines() if line.startswith('offsite_backup_unit_last_run_exit_code{')]
    assert len(units) == 4 and all(line.endswith(' 0') for line in units)
    assert 'offsite_backup_last_run_uploaded_bytes{profile="share"} %d' % (4 * 2048) in text


def test_fetch_error_names_duplicitys_reason_and_the_volume():
    lines = ['Start duply v2.5.5', 'Invalid data - SHA1 hash mismatch for file:',
             ' archive-duplicity-full.20261203T064312Z.vol1.difftar.gpg', ' Calculated hash: e550']
    assert runner.fetch_error(lines) == (': Invalid data - SHA1 hash mismatch for file: '
                                         'archive-duplicity-full.20261203T064312Z.vol1.difftar.gpg')
    assert runner.fetch_error(['all fine']) == ''


def test_drill_usage_and_a_profile_without_drills(tmp_path):
    assert runner.main(['drill'], str(tmp_path)) == runner.USAGE
    assert runner.main(['drill', 'a', 'b'], str(tmp_path)) == runner.USAGE
