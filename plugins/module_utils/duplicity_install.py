# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the ``duplicity`` role installs duplicity on a host: the choice behind method auto."""

from __future__ import annotations

import re

METHODS = ('package', 'pip', 'source', 'auto')

_CANDIDATE = re.compile(r'^\s*Candidate:\s*(\S+)', re.MULTILINE)
# An epoch ("1:"), then the upstream version up to a Debian revision or suffix.
_UPSTREAM = re.compile(r'^(?:\d+:)?([^-+~]+)')


def upstream_version(debian_version):
    """The upstream part of a Debian package version: ``1:3.0.4-1+b1`` gives ``3.0.4``.

    '' when there is none (an empty or missing version).
    """
    upstream = _UPSTREAM.match(str(debian_version or ''))
    return upstream.group(1) if upstream else ''


def apt_candidate(policy_output):
    """The upstream version apt would install, from ``apt-cache policy PKG`` output.

    '0' when apt offers none (no candidate, ``(none)``, or no output).
    """
    match = _CANDIDATE.search(policy_output or '')
    if not match or match.group(1) == '(none)':
        return '0'
    return upstream_version(match.group(1)) or '0'


def _version_tuple(version):
    return tuple(int(part) for part in re.findall(r'\d+', str(version))[:4])


def version_at_least(version, minimum):
    """Compare dotted release numbers numerically (``3.0.4`` >= ``2.0``; ``0.8.22`` < ``2.0``)."""
    return _version_tuple(version) >= _version_tuple(minimum)


def choose_method(requested, candidate, machine, patches=(), minimum='2.0',
                  wheel_architectures=('x86_64', 'aarch64')):
    """Return ``(method, reason)`` for ``duplicity_install_method``.

    ``auto`` takes the distribution's package when it is at least ``minimum``, else the
    PyPI wheel where PyPI has one for ``machine``, else a source build. Patches can only
    be applied to a source build, so ``auto`` with patches always builds from source:
    a patch the user asked for is never dropped. An explicit ``package`` or ``pip`` with
    patches is a contradiction the role's validation refuses (see ``method_problems``).
    """
    if requested not in METHODS:
        raise ValueError('duplicity_install_method must be one of %s, not %r' % (', '.join(METHODS), requested))
    if requested != 'auto':
        return requested, 'duplicity_install_method is %s' % requested
    if patches:
        return 'source', 'duplicity_source_patches is set (%s), and only a source build can apply patches' % (
            ', '.join(str(p) for p in patches))
    if version_at_least(candidate, minimum):
        return 'package', 'the distribution offers duplicity %s, at least the minimum %s' % (candidate, minimum)
    if machine in wheel_architectures:
        return 'pip', 'the distribution offers duplicity %s, below the minimum %s, and PyPI has wheels for %s' % (
            candidate, minimum, machine)
    return 'source', 'the distribution offers duplicity %s, below the minimum %s, and PyPI has no wheel for %s' % (
        candidate, minimum, machine or 'this machine')


def method_problems(requested, patches=()):
    """Messages for settings that cannot be honoured, one per problem (empty when fine)."""
    if patches and requested in ('package', 'pip'):
        return ['duplicity_source_patches (%s) can only be applied by a source build, but duplicity_install_method '
                'is %s: set it to source or auto, or empty duplicity_source_patches'
                % (', '.join(str(p) for p in patches), requested)]
    return []


def install_plan(requested, apt_policy='', machine='', patches=(), minimum='2.0',
                 wheel_architectures=('x86_64', 'aarch64')):
    """Everything the role needs in one dict: method, reason, candidate, problems."""
    candidate = apt_candidate(apt_policy)
    method, reason = choose_method(requested, candidate, machine, patches, minimum, wheel_architectures)
    return {'method': method, 'reason': reason, 'candidate': candidate,
            'problems': method_problems(requested, patches)}
