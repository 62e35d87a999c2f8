//! The member repository: the terminal's cache of the chain's members and their cards, and
//! the till's member lookup by any field ([`find`]: card, id, phone or its last digits,
//! e-mail, name).
//!
//! Lookup rests on `member_search`, a table of search terms that [`upsert`] keeps in step
//! with `members`. Every term is a key of one B-tree, so each kind of lookup is an index
//! seek or a range scan that stops after `limit` rows, whatever the number of members:
//! - names, normalised by [`name_key`] (lower case, one space between words): the key from
//!   its start, from the start of every later word, and, for CJK scripts, from every
//!   character, so a prefix of the whole name, of any word, or any part of a Chinese name
//!   (2–4 characters, not split into words) is a prefix of some term;
//! - phones: the digits reversed, so the last digits of a phone are a prefix of a term;
//! - e-mail addresses: in lower case;
//! - the pinyin of a name's Han characters ([`pinyin_spellings`]), whole (`zhangwei`) and as
//!   initials (`zw`), so a Chinese name is found from the till's Latin-only keyboard by
//!   typing the start of either.

use chrono::NaiveDate;
use pinyin::ToPinyinMulti;
use rusqlite::{Connection, OptionalExtension, Row, params};
use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::domain::member::{
    CardStatus, Consent, Member, MemberCard, normalize_phone, validate_card_number,
};

use super::StoreError;

const COLUMNS: &str = "id, name, phone, email, address, card_opened, tier, home_store, \
     consent_marketing, consent_profiling, points_balance";

/// Inserts or replaces a member and adds its cards. `attributes` is free-form JSON.
/// Writes every member of `members` (cards and balance), in one transaction.
pub fn upsert_all(conn: &mut Connection, members: &[Member]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for m in members {
        upsert(&tx, m, None)?;
    }
    tx.commit()?;
    Ok(())
}

pub fn upsert(conn: &Connection, m: &Member, attributes: Option<&str>) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO members (id, name, phone, email, address, card_opened, tier, home_store,
                              consent_marketing, consent_profiling, points_balance, attributes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET
            name = excluded.name, phone = excluded.phone, email = excluded.email,
            address = excluded.address, card_opened = excluded.card_opened,
            tier = excluded.tier, home_store = excluded.home_store,
            consent_marketing = excluded.consent_marketing,
            consent_profiling = excluded.consent_profiling,
            points_balance = excluded.points_balance, attributes = excluded.attributes",
    )?;
    stmt.execute(params![
        m.id,
        m.name,
        m.phone,
        m.email,
        m.address,
        m.card_opened.map(|d| d.to_string()),
        m.tier,
        m.home_store,
        m.consent.marketing,
        m.consent.profiling,
        m.points_balance,
        attributes,
    ])?;
    let mut card_stmt = conn.prepare_cached(
        "INSERT INTO member_cards (card, member_id, status) VALUES (?1, ?2, ?3)
         ON CONFLICT (card) DO UPDATE SET member_id = excluded.member_id, status = excluded.status",
    )?;
    for card in &m.cards {
        let status = match card.status {
            CardStatus::Active => "active",
            CardStatus::Blocked => "blocked",
        };
        card_stmt.execute(params![card.number, m.id, status])?;
    }
    conn.prepare_cached("DELETE FROM member_search WHERE member_id = ?1")?
        .execute([&m.id])?;
    insert_terms(conn, &m.id, &m.name, m.phone.as_deref(), m.email.as_deref())
}

pub fn by_id(conn: &Connection, id: &str) -> Result<Option<Member>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM members WHERE id = ?1"))?;
    let member = stmt.query_row([id], read_member).optional()?;
    member.map(|m| with_cards(conn, m)).transpose()
}

/// A member by id, else by one of their cards (a manager keys either).
pub fn by_id_or_card(conn: &Connection, text: &str) -> Result<Option<Member>, StoreError> {
    match by_id(conn, text)? {
        Some(m) => Ok(Some(m)),
        None => by_card(conn, text),
    }
}

/// The member a card belongs to, whatever the card's status (the caller refuses blocked cards).
pub fn by_card(conn: &Connection, card: &str) -> Result<Option<Member>, StoreError> {
    let id: Option<String> = conn
        .prepare_cached("SELECT member_id FROM member_cards WHERE card = ?1")?
        .query_row([card], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => by_id(conn, &id),
        None => Ok(None),
    }
}

pub fn by_phone(conn: &Connection, phone: &str) -> Result<Vec<Member>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM members WHERE phone = ?1 LIMIT 20"
    ))?;
    let rows = stmt.query_map([phone], read_member)?;
    rows.map(|m| with_cards(conn, m?)).collect()
}

pub fn count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM members", [], |r| r.get(0))?;
    Ok(n as u64)
}

fn with_cards(conn: &Connection, mut m: Member) -> Result<Member, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT card, status FROM member_cards WHERE member_id = ?1 ORDER BY card",
    )?;
    let cards = stmt.query_map([&m.id], |r| {
        let status: String = r.get(1)?;
        Ok(MemberCard {
            number: r.get(0)?,
            status: if status == "blocked" {
                CardStatus::Blocked
            } else {
                CardStatus::Active
            },
        })
    })?;
    m.cards = cards.collect::<Result<_, _>>()?;
    Ok(m)
}

fn read_member(r: &Row<'_>) -> rusqlite::Result<Member> {
    let opened: Option<String> = r.get(5)?;
    Ok(Member {
        id: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        email: r.get(3)?,
        address: r.get(4)?,
        customer_type: None,
        card_opened: opened.and_then(|d| d.parse::<NaiveDate>().ok()),
        tier: r.get(6)?,
        home_store: r.get(7)?,
        consent: Consent {
            marketing: r.get(8)?,
            profiling: r.get(9)?,
        },
        points_balance: r.get(10)?,
        cards: Vec::new(),
    })
}

/// The `member_search` table (see the module documentation); rows go with their member.
pub(super) const SEARCH_SCHEMA: &str = "
CREATE TABLE member_search (
    kind      INTEGER NOT NULL,   -- NAME_START, NAME_WORD, NAME_INNER, PHONE_REVERSED, EMAIL,
                                  -- PINYIN, PINYIN_INITIALS
    term      TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, term, member_id)
) WITHOUT ROWID;
CREATE INDEX member_search_member ON member_search (member_id);
";

/// The normalised name from its first character.
const NAME_START: i64 = 0;
/// The normalised name from the first character of its second, third, … word.
const NAME_WORD: i64 = 1;
/// The normalised name from a CJK character inside a word.
const NAME_INNER: i64 = 2;
/// The phone's digits, last digit first.
const PHONE_REVERSED: i64 = 3;
/// The e-mail address in lower case.
const EMAIL: i64 = 4;
/// The pinyin of the name's Han characters, without tones or spaces (`zhangwei`).
const PINYIN: i64 = 5;
/// The first letter of the pinyin of each of the name's Han characters (`zw`).
const PINYIN_INITIALS: i64 = 6;

/// Spellings of one name indexed at most, for its full pinyin and for its initials each.
const MAX_PINYIN_SPELLINGS: usize = 16;

/// Characters of a name that take part in search; longer names are cut here, which keeps
/// the number and size of a member's terms bounded.
const MAX_NAME_CHARS: usize = 64;
/// Phone suffixes are searched for queries of this many digits.
const PHONE_SUFFIX_DIGITS: std::ops::RangeInclusive<usize> = 4..=6;

/// How a member was found, strongest first in [`find`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The query is one of the member's cards. A blocked card still finds its member, so
    /// the till can say so instead of treating the card as unknown; it must not be used.
    Card { number: String, blocked: bool },
    /// The query is the member's id.
    Id,
    /// The query is the member's phone, or (4–6 digits) its last digits.
    Phone,
    /// The query is the member's e-mail address (case-insensitive).
    Email,
    /// The query is the name, a prefix of it or of one of its words, or part of a CJK name.
    Name,
    /// The query (Latin letters) is the start of the pinyin of the member's Chinese name
    /// (`zhangw` for 张伟) or of its initials (`zw`).
    Pinyin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberMatch {
    pub member: Member,
    pub matched: MatchedBy,
}

/// Finds members by whatever the cashier typed or the reader sent, at most `limit` of them,
/// each once, ordered by the strength of the match: card, id, exact phone, e-mail, exact
/// name, then name prefixes (before phone suffixes for digits), pinyin prefixes (a query of
/// Latin letters only, spaces ignored: `zhangwei`, `Zhang Wei`), pinyin initials (`zw`),
/// word prefixes and parts of CJK names. Within one kind, matches come in the binary order
/// of the matching part of the name (or phone, or pinyin), so an exact name comes before the
/// longer names it begins.
pub fn find(conn: &Connection, query: &str, limit: usize) -> Result<Vec<MemberMatch>, StoreError> {
    let query = query.trim();
    let mut found = Found {
        matches: Vec::new(),
        seen: FxHashSet::default(),
        limit,
    };
    if query.is_empty() || limit == 0 {
        return Ok(found.matches);
    }
    if validate_card_number(query).is_ok() {
        let card: Option<(String, String)> = conn
            .prepare_cached("SELECT member_id, status FROM member_cards WHERE card = ?1")?
            .query_row([query], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((member_id, status)) = card {
            let matched = MatchedBy::Card {
                number: query.to_string(),
                blocked: status == "blocked",
            };
            found.add(conn, member_id, &matched)?;
        }
    }
    if !found.is_full() {
        found.add(conn, query.to_string(), &MatchedBy::Id)?;
    }
    if let Ok(phone) = normalize_phone(query) {
        let ids = collect_ids(
            conn,
            "SELECT id FROM members WHERE phone = ?1 ORDER BY id LIMIT ?2",
            params![phone, found.wanted()],
        )?;
        found.add_all(conn, ids, &MatchedBy::Phone)?;
    }
    if query.contains('@') {
        let ids = collect_ids(
            conn,
            "SELECT member_id FROM member_search WHERE kind = ?1 AND term = ?2
             ORDER BY member_id LIMIT ?3",
            params![EMAIL, query.to_lowercase(), found.wanted()],
        )?;
        found.add_all(conn, ids, &MatchedBy::Email)?;
    }
    let key = name_key(query);
    let by_name = key.chars().any(char::is_alphabetic);
    if by_name {
        found.add_prefixed(conn, NAME_START, &key, &MatchedBy::Name)?;
    }
    let digits: String = query.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if PHONE_SUFFIX_DIGITS.contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        let reversed: String = digits.chars().rev().collect();
        found.add_prefixed(conn, PHONE_REVERSED, &reversed, &MatchedBy::Phone)?;
    }
    if let Some(spelled) = pinyin_query(&key) {
        found.add_prefixed(conn, PINYIN, &spelled, &MatchedBy::Pinyin)?;
        found.add_prefixed(conn, PINYIN_INITIALS, &spelled, &MatchedBy::Pinyin)?;
    }
    if by_name {
        found.add_prefixed(conn, NAME_WORD, &key, &MatchedBy::Name)?;
        if key.starts_with(is_cjk) {
            found.add_prefixed(conn, NAME_INNER, &key, &MatchedBy::Name)?;
        }
    }
    Ok(found.matches)
}

/// Rebuilds every member's search terms from `members` (after a migration, or after rows
/// were written other than through [`upsert`]). Returns the number of members indexed.
pub fn rebuild_search_index(conn: &Connection) -> Result<u64, StoreError> {
    conn.execute("DELETE FROM member_search", [])?;
    let mut stmt = conn.prepare("SELECT id, name, phone, email FROM members")?;
    let mut rows = stmt.query([])?;
    let mut members = 0;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let name: String = r.get(1)?;
        let phone: Option<String> = r.get(2)?;
        let email: Option<String> = r.get(3)?;
        insert_terms(conn, &id, &name, phone.as_deref(), email.as_deref())?;
        members += 1;
    }
    Ok(members)
}

/// The migration hook that adds the pinyin terms of the members stored before search by
/// pinyin existed (their other terms are already there).
pub(super) fn pinyin_index_hook(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    use rusqlite_migration::HookError;
    let index = || -> Result<(), StoreError> {
        let mut stmt = tx.prepare("SELECT id, name FROM members")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let name: String = r.get(1)?;
            insert_pinyin_terms(tx, &id, &name_key(&name))?;
        }
        Ok(())
    };
    index().map_err(|e| match e {
        StoreError::Sql(e) => HookError::RusqliteError(e),
        other => HookError::Hook(other.to_string()),
    })
}

/// The migration hook that fills `member_search` for members stored before it existed.
pub(super) fn search_index_hook(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    use rusqlite_migration::HookError;
    rebuild_search_index(tx).map(drop).map_err(|e| match e {
        StoreError::Sql(e) => HookError::RusqliteError(e),
        other => HookError::Hook(other.to_string()),
    })
}

/// A name or a name query as search compares it: lower case, apostrophes and name dots
/// (`O'Brien`, `约翰·史密斯`) dropped, words separated by exactly one space.
pub fn name_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    let mut space = false;
    for ch in text.chars().take(MAX_NAME_CHARS) {
        match ch {
            '\'' | '\u{2019}' | '\u{00B7}' | '\u{30FB}' | '\u{2027}' => {}
            '-' | '.' | ',' | '_' | '/' | '(' | ')' | '&' | '\u{3001}' | '\u{FF0C}' => {
                space = !key.is_empty();
            }
            c if c.is_whitespace() => space = !key.is_empty(),
            c => {
                if space {
                    key.push(' ');
                    space = false;
                }
                key.extend(c.to_lowercase());
            }
        }
    }
    key
}

/// Han ideographs, kana and Hangul: scripts whose names are written without spaces.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
}

/// The spellings of the pinyin of a name key's Han characters, without tones or spaces, in
/// lower case: the whole pinyin (`张伟` → `zhangwei`) and the initials (`zw`), each
/// list deduplicated and most likely first. Other characters (Latin words, kana, digits)
/// are left out; a name without Han characters has none.
///
/// Polyphonic characters: EVERY reading is indexed, not only the most common one. Names are
/// where the rarer readings are the norm (the family names 曾 Zēng, 单 Shàn, 解 Xiè, 区 Ōu,
/// 仇 Qiú, 朴 Piáo are listed after céng, dān, jiě, qū, chóu, pǔ), and at a till a member not
/// found is worse than one more candidate on the list. Readings that differ only in tone
/// count once. To keep a member's terms bounded, a character whose readings would take the
/// spellings past [`MAX_PINYIN_SPELLINGS`] adds only its most common (first) reading.
/// `ü` (`lǚ` 吕, `nǚ` 女) is spelled both `v`, as input methods type it, and `u`.
pub fn pinyin_spellings(key: &str) -> (Vec<String>, Vec<String>) {
    let mut full = vec![String::new()];
    let mut initials = vec![String::new()];
    let mut any = false;
    for c in key.chars() {
        let Some(multi) = c.to_pinyin_multi() else {
            continue;
        };
        let mut readings: Vec<String> = Vec::new();
        for reading in multi {
            for spelling in latin_spellings(reading.plain()) {
                if !readings.contains(&spelling) {
                    readings.push(spelling);
                }
            }
        }
        let mut firsts: Vec<String> = Vec::new();
        for reading in &readings {
            let first = reading[..1].to_string();
            if !firsts.contains(&first) {
                firsts.push(first);
            }
        }
        if readings.is_empty() {
            continue;
        }
        any = true;
        full = extend_spellings(full, &readings);
        initials = extend_spellings(initials, &firsts);
    }
    if any {
        (full, initials)
    } else {
        (Vec::new(), Vec::new())
    }
}

/// Every spelling followed by every reading, or, past [`MAX_PINYIN_SPELLINGS`], by the first.
fn extend_spellings(spellings: Vec<String>, readings: &[String]) -> Vec<String> {
    if spellings.len() * readings.len() > MAX_PINYIN_SPELLINGS {
        return spellings.into_iter().map(|s| s + &readings[0]).collect();
    }
    spellings
        .iter()
        .flat_map(|s| readings.iter().map(move |r| format!("{s}{r}")))
        .collect()
}

/// A toneless reading as the Latin keyboard types it: ASCII letters, `ü` as `v` and as `u`,
/// `ê` as `e`. Empty for anything else.
fn latin_spellings(plain: &str) -> Vec<String> {
    let plain = plain.replace('ê', "e");
    let spellings = if plain.contains('ü') {
        vec![plain.replace('ü', "v"), plain.replace('ü', "u")]
    } else {
        vec![plain]
    };
    spellings
        .into_iter()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase()))
        .collect()
}

/// A name query as pinyin search compares it: a name key of Latin letters only, spaces
/// removed (`Zhang Wei` → `zhangwei`); `ü` is `v`. `None` for any other query.
fn pinyin_query(key: &str) -> Option<String> {
    let spelled: String = key
        .chars()
        .filter(|&c| c != ' ')
        .map(|c| if c == 'ü' { 'v' } else { c })
        .collect();
    (!spelled.is_empty() && spelled.bytes().all(|b| b.is_ascii_lowercase())).then_some(spelled)
}

/// The search terms of a name key, each with its kind.
fn name_terms(key: &str) -> impl Iterator<Item = (i64, &str)> {
    let mut previous = None;
    key.char_indices().filter_map(move |(i, c)| {
        let kind = match previous {
            None => Some(NAME_START),
            Some(' ') => Some(NAME_WORD),
            Some(_) if is_cjk(c) => Some(NAME_INNER),
            Some(_) => None,
        };
        previous = Some(c);
        kind.filter(|_| c != ' ').map(|kind| (kind, &key[i..]))
    })
}

fn insert_terms(
    conn: &Connection,
    id: &str,
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO member_search (kind, term, member_id) VALUES (?1, ?2, ?3)",
    )?;
    let key = name_key(name);
    for (kind, term) in name_terms(&key) {
        insert.execute(params![kind, term, id])?;
    }
    insert_pinyin_terms(conn, id, &key)?;
    if let Some(phone) = phone {
        let reversed: String = phone.chars().rev().filter(char::is_ascii_digit).collect();
        if !reversed.is_empty() {
            insert.execute(params![PHONE_REVERSED, reversed, id])?;
        }
    }
    if let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) {
        insert.execute(params![EMAIL, email.to_lowercase(), id])?;
    }
    Ok(())
}

fn insert_pinyin_terms(conn: &Connection, id: &str, key: &str) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO member_search (kind, term, member_id) VALUES (?1, ?2, ?3)",
    )?;
    let (full, initials) = pinyin_spellings(key);
    for (kind, spellings) in [(PINYIN, full), (PINYIN_INITIALS, initials)] {
        for term in spellings {
            insert.execute(params![kind, term, id])?;
        }
    }
    Ok(())
}

/// The members with a term of kind ?1 from ?2 (included) to ?3 (excluded), in term order:
/// a range of the primary key, read in its order.
const PREFIX_QUERY: &str = "SELECT member_id FROM member_search
     WHERE kind = ?1 AND term >= ?2 AND term < ?3
     ORDER BY term, member_id";

fn collect_ids(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt.query_map(params, |r| r.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// The answer of [`find`] as it grows: each member once, in the order found.
struct Found {
    matches: Vec<MemberMatch>,
    seen: FxHashSet<String>,
    limit: usize,
}

impl Found {
    fn is_full(&self) -> bool {
        self.matches.len() >= self.limit
    }

    /// Rows a query must return to fill the answer even if every member already found
    /// comes back again.
    fn wanted(&self) -> i64 {
        i64::try_from(self.limit).unwrap_or(i64::MAX)
    }

    fn add(
        &mut self,
        conn: &Connection,
        member_id: String,
        matched: &MatchedBy,
    ) -> Result<(), StoreError> {
        if self.is_full() || self.seen.contains(&member_id) {
            return Ok(());
        }
        if let Some(member) = by_id(conn, &member_id)? {
            self.matches.push(MemberMatch {
                member,
                matched: matched.clone(),
            });
            self.seen.insert(member_id);
        }
        Ok(())
    }

    fn add_all(
        &mut self,
        conn: &Connection,
        ids: Vec<String>,
        matched: &MatchedBy,
    ) -> Result<(), StoreError> {
        for id in ids {
            self.add(conn, id, matched)?;
        }
        Ok(())
    }

    /// Adds the members with a term of `kind` starting with `prefix`, in term order.
    fn add_prefixed(
        &mut self,
        conn: &Connection,
        kind: i64,
        prefix: &str,
        matched: &MatchedBy,
    ) -> Result<(), StoreError> {
        if self.is_full() {
            return Ok(());
        }
        // Every string starting with `prefix` sorts below `prefix` + the last code point.
        let end = format!("{prefix}{}", char::MAX);
        let mut stmt = conn.prepare_cached(PREFIX_QUERY)?;
        // Read lazily: a member may have several terms in the range, so no row count
        // known in advance is enough, and the scan stops as soon as the answer is full.
        let mut rows = stmt.query(params![kind, prefix, end])?;
        while !self.is_full()
            && let Some(r) = rows.next()?
        {
            self.add(conn, r.get(0)?, matched)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "members_tests.rs"]
mod tests;
