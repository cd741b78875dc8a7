# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the SMTP sink's Maildir for tests: print, as JSON, the messages whose subject
matches --subject (a regular expression), oldest first, with sender, recipients,
subject and body."""

import argparse
import json
import mailbox
import os
import re


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--subject", default="")
    args = parser.parse_args()
    pattern = re.compile(args.subject)
    found = []
    if not os.path.isdir(os.path.join(args.maildir, "new")):
        print("[]")
        return
    for key, message in mailbox.Maildir(args.maildir, create=False).items():
        subject = str(message.get("Subject", ""))
        if not pattern.search(subject):
            continue
        payload = message.get_payload(decode=True) or b""
        envelope = json.loads(message.get("X-Sink-Envelope", "{}"))
        found.append({
            "id": key,
            "subject": subject,
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "envelope": envelope,
            "body": payload.decode(message.get_content_charset() or "utf-8", "replace"),
            "received": message.get_date(),
        })
    found.sort(key=lambda m: m["received"])
    print(json.dumps(found))


if __name__ == "__main__":
    main()
