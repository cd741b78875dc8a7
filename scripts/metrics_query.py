# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse a Prometheus textfile from stdin with prometheus_client's parser, as
node_exporter's textfile collector would take it, and print its samples as JSON:
{"metric name": [{"labels": {...}, "value": N}, ...]}, with each family's type under
"_types" and, under "_profile", each profile-level sample's value by its name without the
offsite_backup_ prefix. A file the parser refuses fails with its message."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    samples, types, profile = {}, {}, {}
    for family in text_string_to_metric_families(sys.stdin.read()):
        types[family.name] = family.type
        for sample in family.samples:
            samples.setdefault(sample.name, []).append({'labels': sample.labels, 'value': sample.value})
            if 'unit' not in sample.labels:
                profile[sample.name[len('offsite_backup_'):]] = sample.value
    samples['_types'] = types
    samples['_profile'] = profile
    print(json.dumps(samples))


if __name__ == '__main__':
    main()
