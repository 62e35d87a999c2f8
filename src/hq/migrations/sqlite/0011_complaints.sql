-- Complaint handling: every complaint (from a till, or taken by HQ staff by phone, web,
-- social, e-mail or app) is a case with a life: open → in_progress → resolved → closed,
-- reopened from resolved or closed back to in_progress. Every step is kept with its
-- handler, note and time. Deadlines (`response_due`, `resolve_due`) come from the
-- case's severity (`[hq.complaints]`) when it is opened or reopened.
--
-- A till's complaint becomes the case `{store}.{terminal}.{local_id}`, made in the
-- transaction that ingests its `complaint.recorded` event (keyed, so exactly once); the
-- complaints HQ already holds are made cases here, with the default deadlines of a
-- `normal` complaint (24 h to respond, 7 days to resolve).
CREATE TABLE complaint_cases (
    store_id          TEXT NOT NULL,
    id                TEXT NOT NULL,
    terminal_id       TEXT,
    local_id          INTEGER,
    category          TEXT NOT NULL,
    channel           TEXT NOT NULL
        CHECK (channel IN ('counter', 'phone', 'web', 'social', 'email', 'app')),
    severity          TEXT NOT NULL CHECK (severity IN ('low', 'normal', 'high', 'critical')),
    member_id         TEXT,
    content           TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('open', 'in_progress', 'resolved', 'closed')),
    handler           TEXT,
    outcome           TEXT,
    satisfaction      INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    opened_at         TEXT NOT NULL,
    first_response_at TEXT,
    resolved_at       TEXT,
    closed_at         TEXT,
    response_due      TEXT NOT NULL,
    resolve_due       TEXT NOT NULL,
    -- How many steps the case has (the last one's number): a step is added only by the
    -- statement that moves this from what its writer read, so two writers never both win.
    steps             INTEGER NOT NULL CHECK (steps >= 1),
    last_note         TEXT,
    last_step_at      TEXT NOT NULL,
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, terminal_id, local_id),
    CHECK ((state IN ('resolved', 'closed')) = (resolved_at IS NOT NULL)),
    CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
    CHECK (state <> 'resolved' OR outcome IS NOT NULL)
);
CREATE INDEX complaint_cases_id ON complaint_cases (id);
CREATE INDEX complaint_cases_member ON complaint_cases (member_id, opened_at)
    WHERE member_id IS NOT NULL;
CREATE INDEX complaint_cases_opened ON complaint_cases (opened_at);
CREATE INDEX complaint_cases_state ON complaint_cases (state, resolve_due);

CREATE TABLE complaint_steps (
    store_id     TEXT NOT NULL,
    case_id      TEXT NOT NULL,
    step_no      INTEGER NOT NULL CHECK (step_no >= 1),
    from_state   TEXT,
    to_state     TEXT NOT NULL CHECK (to_state IN ('open', 'in_progress', 'resolved', 'closed')),
    handler      TEXT NOT NULL,
    note         TEXT,
    outcome      TEXT,
    satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    -- A note a till sent: its id, so sending it again adds nothing.
    note_id      TEXT,
    at           TEXT NOT NULL,
    PRIMARY KEY (store_id, case_id, step_no),
    UNIQUE (store_id, case_id, note_id),
    FOREIGN KEY (store_id, case_id) REFERENCES complaint_cases (store_id, id)
);

-- Instants are RFC 3339 text in UTC with six decimals (`…T01:00:00.000000+00:00`): a
-- deadline keeps the instant's fraction and offset and moves its date and time.
INSERT INTO complaint_cases (store_id, id, terminal_id, local_id, category, channel, severity,
                             member_id, content, state, satisfaction, opened_at, response_due,
                             resolve_due, steps, last_note, last_step_at)
SELECT store_id, store_id || '.' || terminal_id || '.' || local_id, terminal_id, local_id,
       'general',
       CASE WHEN json_extract(body, '$.channel')
                 IN ('counter', 'phone', 'web', 'social', 'email', 'app')
            THEN json_extract(body, '$.channel') ELSE 'counter' END,
       'normal', member_id, COALESCE(json_extract(body, '$.content'), ''), 'open',
       CASE WHEN json_extract(body, '$.satisfaction') IN (1, 2, 3, 4, 5)
            THEN json_extract(body, '$.satisfaction') END,
       at,
       strftime('%Y-%m-%dT%H:%M:%S', at, '+24 hours') || substr(at, 20),
       strftime('%Y-%m-%dT%H:%M:%S', at, '+168 hours') || substr(at, 20),
       1, json_extract(body, '$.handling'), at
FROM complaints;

INSERT INTO complaint_steps (store_id, case_id, step_no, from_state, to_state, handler, note, at)
SELECT store_id, store_id || '.' || terminal_id || '.' || local_id, 1, NULL, 'open',
       COALESCE(NULLIF(json_extract(body, '$.operator_id'), ''), terminal_id),
       json_extract(body, '$.handling'), at
FROM complaints;
