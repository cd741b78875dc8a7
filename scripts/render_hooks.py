# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render roles/duply/templates/hook.j2 as the duply role does, for shellcheck (make lint)
and the runner's tests: each kind of hook into OUTDIR, one file per variant.

    python3 scripts/render_hooks.py OUTDIR      (needs jinja2: the harness venv has it)
"""

import os
import shlex
import sys

import jinja2

ROLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'roles', 'duply')
TAG_VARS = {'duply_tag_key': 'offsite-backup', 'duply_tag_archive_value': 'archive', 'duply_tag_keep_value': 'keep',
            'duply_tag_sweep_days': 7}


def render(hook, profile, prefix, split, helper_dir, user_text='echo "hook ran"', endpoint='', region='',
           state_dir='/var/lib/offsite-backup'):
    """The text of the hook (pre or post) of a profile whose volumes tier by tags."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, 'templates')),
                             keep_trailing_newline=True, trim_blocks=True)
    env.filters['quote'] = shlex.quote  # ansible's quote filter
    return env.get_template('hook.j2').render(
        _hook=hook, _hook_profile=profile, duply_helper_dir=helper_dir, duply_state_dir=state_dir,
        _duply_effective={profile: {'prefix': prefix, 'tiering': {'strategy': 'tags'}, 'split': split}},
        _duply_by_name={profile: {hook: user_text, 'bucket': 'bucket', 's3_endpoint_url': endpoint,
                                  's3_region': region}},
        **TAG_VARS)


VARIANTS = {
    'pre': dict(hook='pre', split=None),
    'post-tags': dict(hook='post', split=None),
    'post-tags-split': dict(hook='post', split={'depth': 1, 'order': 'name', 'keep_going': True}),
    'post-tags-endpoint': dict(hook='post', split=None, endpoint='http://127.0.0.1:9000', region='us-east-1'),
}


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, variant in VARIANTS.items():
        with open(os.path.join(outdir, name), 'w', encoding='utf-8') as handle:
            handle.write(render(profile='photos', prefix='pi/photos', helper_dir='/usr/local/lib/offsite-backup', **variant))
        print(os.path.join(outdir, name))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
