"""Builds a Zato-shaped SSO database (reference section 4: zato_sso_user, zato_sso_session, zato_sso_attr) in
SQLite, with the values Zato itself would store: passlib's pbkdf2_sha512 hashes, Fernet-sealed (as Python bytes,
so BLOBs, as Zato leaves them on SQLite) passwords, e-mails, TOTP keys and labels, and an encrypted attribute
holding the JSON of a Fernet token.

With SQL_PATH, the same tables and rows are also written there as PostgreSQL statements (booleans as booleans,
sealed values as text), for an ODB on PostgreSQL.

Usage: make_zato_odb.py PATH FERNET_KEY [SQL_PATH]"""

import json
import sqlite3
import sys

from cryptography.fernet import Fernet
from passlib.hash import pbkdf2_sha512

path, key = sys.argv[1], sys.argv[2].encode()
fernet = Fernet(key)
# Zato's own parameters but for the rounds (its 120000 would only slow the test down).
hasher = pbkdf2_sha512.using(rounds=1000, salt_size=64)

db = sqlite3.connect(path)
DDL = """
CREATE TABLE zato_sso_user (
    id INTEGER PRIMARY KEY, user_id VARCHAR(191) NOT NULL UNIQUE, is_active BOOLEAN NOT NULL,
    is_internal BOOLEAN NOT NULL, is_super_user BOOLEAN NOT NULL, is_locked BOOLEAN NOT NULL, locked_time DATETIME,
    creation_ctx TEXT NOT NULL, locked_by VARCHAR(191), approval_status VARCHAR(191) NOT NULL,
    approval_status_mod_time DATETIME NOT NULL, approval_status_mod_by VARCHAR(191) NOT NULL,
    username VARCHAR(191) NOT NULL UNIQUE, password TEXT NOT NULL, password_is_set BOOLEAN NOT NULL,
    password_must_change BOOLEAN NOT NULL, password_last_set DATETIME NOT NULL, password_expiry DATETIME NOT NULL,
    sign_up_status VARCHAR(191) NOT NULL, sign_up_time DATETIME NOT NULL, sign_up_confirm_time DATETIME,
    sign_up_confirm_token VARCHAR(191) NOT NULL UNIQUE, email TEXT, display_name VARCHAR(191),
    first_name VARCHAR(191), middle_name VARCHAR(191), last_name VARCHAR(191), display_name_upper VARCHAR(191),
    first_name_upper VARCHAR(191), middle_name_upper VARCHAR(191), last_name_upper VARCHAR(191),
    is_rate_limit_active BOOLEAN, rate_limit_type VARCHAR(40), rate_limit_def TEXT,
    rate_limit_check_parent_def BOOLEAN, is_totp_enabled BOOLEAN NOT NULL DEFAULT 0, totp_key TEXT, totp_label TEXT,
    opaque1 TEXT
);
CREATE TABLE zato_sso_session (
    id INTEGER PRIMARY KEY, ust VARCHAR(191) NOT NULL UNIQUE, creation_time DATETIME NOT NULL,
    expiration_time DATETIME NOT NULL, remote_addr TEXT NOT NULL, user_agent TEXT NOT NULL, auth_type TEXT NOT NULL,
    auth_principal TEXT NOT NULL, ext_session_id TEXT, opaque1 TEXT,
    user_id INTEGER NOT NULL REFERENCES zato_sso_user (id) ON DELETE CASCADE
);
CREATE TABLE zato_sso_attr (
    id INTEGER PRIMARY KEY, creation_time DATETIME NOT NULL, last_modified DATETIME,
    expiration_time DATETIME DEFAULT '9999-12-31 00:00:00.000000', is_session_attr BOOLEAN NOT NULL,
    is_encrypted BOOLEAN NOT NULL, serial_method VARCHAR(20) NOT NULL DEFAULT 'json', name VARCHAR(191) NOT NULL,
    value TEXT, _ust_string VARCHAR(191) NOT NULL, opaque1 TEXT,
    user_id VARCHAR(191) NOT NULL REFERENCES zato_sso_user (user_id) ON DELETE CASCADE,
    ust VARCHAR(191) REFERENCES zato_sso_session (ust) ON DELETE CASCADE,
    CONSTRAINT zato_attr_name_uq UNIQUE (name, is_session_attr, user_id, _ust_string)
);
"""
db.executescript(DDL)

NOW = "2026-11-20 09:00:00.000000"
FUTURE = "2028-11-20 09:00:00.000000"
PAST = "2026-11-01 09:00:00.000000"
TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def seal(text):
    return fernet.encrypt(text.encode())  # bytes, as Zato's encrypt_func returns


def user(n, username, secret, **over):
    row = dict(
        id=n, user_id="zusr" + ("%02d" % n) * 13, is_active=1, is_internal=0, is_super_user=0, is_locked=0,
        locked_time=None, creation_ctx="null", locked_by=None, approval_status="approved",
        approval_status_mod_time=NOW, approval_status_mod_by="auto", username=username,
        password=seal(hasher.hash(secret)), password_is_set=1, password_must_change=0,
        password_last_set=NOW, password_expiry=FUTURE, sign_up_status="final", sign_up_time=NOW,
        sign_up_confirm_time=NOW, sign_up_confirm_token="tok%d" % n, email=seal("%s@example.com" % username),
        display_name=username.title(), first_name=username.title(), middle_name=None, last_name="Zato",
        is_totp_enabled=0, totp_key=seal("KRSXG5CTMVRXEZLU"), totp_label=seal("<default-label>"), opaque1=None,
    )
    row.update(over)
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute("INSERT INTO zato_sso_user (%s) VALUES (%s)" % (columns, marks), list(row.values()))
    return row["user_id"]


alice = user(1, "alice", "alice's zato passphrase", is_totp_enabled=1, totp_key=seal(TOTP_KEY),
             totp_label=seal("Alice's phone"), is_super_user=1)
# main.encrypt_password and main.encrypt_email off: stored in clear.
bob = user(2, "bob", "bob's zato passphrase", password=hasher.hash("bob's zato passphrase"),
           email="bob@example.com", is_locked=1, locked_time=PAST, locked_by="auto")
carol = user(3, "carol", "carol's zato passphrase", approval_status="before_decision",
             sign_up_status="before_confirmation", sign_up_confirm_time=None)
dave = user(4, "dave", "dave's zato passphrase", password_must_change=1)
user(5, "eve", "eve's zato passphrase", password=seal("$md5$not-a-hash-gatehouse-verifies"))
# A hash that would hold a hashing worker for hours at every login attempt.
user(6, "gus", "gus's zato passphrase", password="$pbkdf2-sha512$4000000000$c2FsdA$Y2hlY2s")

db.execute(
    "INSERT INTO zato_sso_session VALUES (1, 'zustsession1', ?, ?, '127.0.0.1', 'curl', 'default', 'alice', NULL, NULL, 1)",
    (NOW, FUTURE),
)
attrs = [
    (alice, "theme", json.dumps("dark"), 0, 0, ""),
    (alice, "card", json.dumps(fernet.encrypt(json.dumps({"pan": "4111-secret"}).encode()).decode()), 1, 0, ""),
    (alice, "cart", json.dumps([1, 2]), 0, 1, "zustsession1"),
]
for i, (owner, name, value, encrypted, session, ust) in enumerate(attrs, start=1):
    db.execute(
        "INSERT INTO zato_sso_attr (id, creation_time, is_session_attr, is_encrypted, name, value, _ust_string,"
        " user_id, ust) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (i, NOW, session, encrypted, name, value, ust, owner, ust or None),
    )
db.commit()


def literal(value, column_type):
    if value is None:
        return "NULL"
    if column_type.upper().startswith("BOOLEAN"):
        return "true" if value else "false"
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


if len(sys.argv) > 3:
    statements = [DDL.replace("DATETIME", "TIMESTAMP").replace("DEFAULT 0", "DEFAULT false")]
    for table in ("zato_sso_user", "zato_sso_session", "zato_sso_attr"):
        types = [column[2] for column in db.execute("PRAGMA table_info(%s)" % table)]
        for row in db.execute("SELECT * FROM %s ORDER BY id" % table):
            values = ", ".join(literal(v, t) for v, t in zip(row, types))
            statements.append("INSERT INTO %s VALUES (%s);" % (table, values))
    with open(sys.argv[3], "w") as out:
        out.write("\n".join(statements))
print(json.dumps({"alice": alice, "bob": bob, "carol": carol, "dave": dave}))
