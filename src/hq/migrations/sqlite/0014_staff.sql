-- The HQ console's staff: accounts with one role each (a store manager scoped to their
-- stores), their sessions, failed logins (for rate limiting), the audit log of every
-- change staff make through the console or the API, and the member search index the
-- console's search reads (names' pinyin, kept by HQ as it meets new or renamed members).
--
-- Passwords are Argon2id PHC strings; a session's id and CSRF token are random, and only
-- the SHA-256 of the id is stored, so the table alone opens no session.
CREATE TABLE staff (
    login         TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL
        CHECK (role IN ('admin', 'marketing', 'customer_service', 'finance', 'store_manager')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT NOT NULL
);

-- The stores a store manager manages (none for the other roles).
CREATE TABLE staff_stores (
    login    TEXT NOT NULL REFERENCES staff (login),
    store_id TEXT NOT NULL,
    PRIMARY KEY (login, store_id)
);

CREATE TABLE staff_sessions (
    id_hash    TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES staff (login),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX staff_sessions_login ON staff_sessions (login);

-- One row per failed login, by the login tried and the client's address; rows older than
-- the rate limit's window are deleted as new ones come.
CREATE TABLE login_failures (
    id     TEXT PRIMARY KEY,
    login  TEXT NOT NULL,
    client TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE INDEX login_failures_login ON login_failures (login, at);
CREATE INDEX login_failures_client ON login_failures (client, at);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    staff_login TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_staff ON audit_log (staff_login, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

-- The name each member was indexed under, and its search terms (the pinyin spellings of
-- its Han characters, whole and as initials). Binary collation: terms are found by range.
CREATE TABLE member_search_names (
    member_id TEXT PRIMARY KEY,
    name      TEXT NOT NULL
);
CREATE TABLE member_search_terms (
    term      TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (term, member_id)
);
CREATE INDEX member_search_terms_member ON member_search_terms (member_id);
