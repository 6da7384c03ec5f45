#!/usr/bin/env python3
"""Drives a Dovecot under test with Python's imaplib and poplib (independent
clients): "populate" puts mail in through Dovecot itself; "dump" prints, as
JSON, what Dovecot serves: per mailbox UIDVALIDITY, UIDNEXT, and per message
UID, FLAGS, INTERNALDATE, RFC822.SIZE and the SHA-256 of BODY[]; for INBOX,
the POP3 UIDL and LIST."""
import datetime, hashlib, imaplib, json, poplib, re, sys

host = "127.0.0.1"
imap_port, pop3_port, action = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def login():
    m = imaplib.IMAP4(host, imap_port)
    m.login("alice", "pw")
    return m


def ok(res):
    typ, data = res
    if typ != "OK":
        raise SystemExit(f"IMAP said {typ} {data}")
    return data


def separator(m):
    data = [d for d in ok(m.list('""', '""')) if d] or [d for d in ok(m.list()) if d]
    return re.match(r'\(.*?\) "(.)"', data[0].decode()).group(1)


def msg(subject, body, extra=b""):
    return (b"From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: " + subject +
            b"\r\nMessage-ID: <" + subject.replace(b" ", b"-") + b"@example.org>\r\n" + extra +
            b"\r\n" + body)


def date(day):
    return imaplib.Time2Internaldate(datetime.datetime(2024, 1, day, 10, 30, 0, tzinfo=datetime.timezone.utc))


def populate():
    m = login()
    sep = separator(m)
    inbox = [
        (r"(\Seen)", msg(b"one", b"first\r\n")),
        (r"(\Seen $Forwarded)", msg(b"two", b"second, to be expunged\r\n")),
        (r"($Junk Work)", msg(b"three", b"From here on a body line looks like a From_ line\r\nFrom bob Mon Jan  1 00:00:00 2024\r\n>From quoted\r\n")),
        (r"(\Flagged \Draft)", msg(b"four", b"no final newline")),
        (r"()", msg(b"five", b"to be expunged too\r\n")),
        (r"(\Seen \Answered)", msg(b"six", (b"x" * 76 + b"\r\n") * 20000)),  # 1.5 MB: streamed
        (r"(\Deleted)", msg(b"seven", b"deleted but not expunged\r\n", b"Status: RO\r\nX-UID: 99\r\n")),
        (r"(\Seen)", msg(b"eight", b"last\r\n")),
    ]
    for i, (flags, body) in enumerate(inbox):
        ok(m.append("INBOX", flags, date(i + 1), body))
    ok(m.select("INBOX"))
    ok(m.uid("STORE", "2,5", "+FLAGS.SILENT", r"(\Deleted)"))
    ok(m.expunge())  # also expunges UID 7
    ok(m.uid("STORE", "3", "+FLAGS.SILENT", r"(\Answered)"))
    for name, n in ((f"Work{sep}2024", 2), ("Entw&APw-rfe", 3)):
        ok(m.create(name))
        for i in range(n):
            ok(m.append(name, r"(\Seen)" if i % 2 else "()", date(10 + i), msg(b"folder %d" % i, b"in a folder\r\n")))
    ok(m.subscribe(f"Work{sep}2024"))
    ok(m.subscribe("INBOX"))
    m.logout()


def delta():
    """A cut-over's delta: a flag changed at the source and a new message."""
    m = login()
    ok(m.select("INBOX"))
    ok(m.uid("STORE", "1", "+FLAGS.SILENT", r"(\Flagged)"))
    ok(m.uid("STORE", "8", "-FLAGS.SILENT", r"(\Seen)"))
    ok(m.append("INBOX", r"($Forwarded)", date(20), msg(b"nine", b"new since the first run\r\n")))
    m.logout()


def dump():
    m = login()
    sep = separator(m)
    out = {"separator": sep, "mailboxes": {}}
    for line in ok(m.list()):
        mt = re.match(r'\((.*?)\) "(.)" (.*)', line.decode())
        attrs, name = mt.group(1), mt.group(3).strip('"')
        if "\\Noselect" in attrs:
            continue
        ok(m.select(f'"{name}"', readonly=True))
        uv = int(m.untagged_responses.get("UIDVALIDITY", [b"0"])[-1])
        un = int(m.untagged_responses.get("UIDNEXT", [b"0"])[-1])
        msgs = []
        typ, data = m.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            head, body = item[0].decode(), item[1]
            flags = [f for f in re.search(r"FLAGS \(([^)]*)\)", head).group(1).split() if f != "\\Recent"]
            idate = re.search(r'INTERNALDATE "([^"]+)"', head).group(1)
            t = datetime.datetime.strptime(idate, "%d-%b-%Y %H:%M:%S %z")
            msgs.append({"uid": int(re.search(r"UID (\d+)", head).group(1)), "flags": flags,
                         "internaldate": int(t.timestamp()),
                         "size": int(re.search(r"RFC822.SIZE (\d+)", head).group(1)),
                         "sha256": hashlib.sha256(body).hexdigest(), "bodylen": len(body)})
        out["mailboxes"][name] = {"uidvalidity": uv, "uidnext": un, "messages": msgs}
    subs = []
    for line in ok(m.lsub()):
        if line:
            subs.append(re.match(r'\((.*?)\) "(.)" (.*)', line.decode()).group(3).strip('"'))
    out["subscribed"] = subs
    m.logout()
    p = poplib.POP3(host, pop3_port)
    p.user("alice")
    p.pass_("pw")
    out["uidl"] = [l.decode().split()[1] for l in p.uidl()[1]]
    out["list"] = [int(l.decode().split()[1]) for l in p.list()[1]]
    p.quit()
    print(json.dumps(out))


{"populate": populate, "delta": delta, "dump": dump}[action]()
