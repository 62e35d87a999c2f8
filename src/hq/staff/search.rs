//! Member search for HQ staff: by card, member number, phone (whole or its last 4–6
//! digits), name (its start, or any part of a Chinese name) and the pinyin of a Chinese
//! name, whole or by initials (`zhangwei`, `zhang wei` or `zw` find 张伟).
//!
//! The pinyin terms live in `member_search_terms`, made with the till's own spelling rules
//! ([`crate::store::members::pinyin_spellings`]: every reading of a polyphonic character).
//! HQ meets members through many paths (imports, tills' enrolments), so the index is
//! brought up to date before a search reads it: members whose name was not yet indexed,
//! or has changed since, are indexed first (`member_search_names` holds the name each
//! member was indexed under).

use serde::Serialize;

use crate::hq::db::{Row, query};
use crate::hq::error::HqError;
use crate::hq::retry::retrying;
use crate::hq::store::HqStore;
use crate::store::members::{name_key, pinyin_spellings};

/// Most members one search answers.
pub const MAX_FOUND: usize = 50;
/// Members indexed per transaction while the index catches up.
const INDEX_CHUNK: i64 = 2_000;

/// How a member was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Matched {
    Card,
    Id,
    Phone,
    Name,
    Pinyin,
}

impl Matched {
    pub const fn as_str(self) -> &'static str {
        match self {
            Matched::Card => "card",
            Matched::Id => "id",
            Matched::Phone => "phone",
            Matched::Name => "name",
            Matched::Pinyin => "pinyin",
        }
    }
}

/// A member a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundMember {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub home_store: Option<String>,
    pub tier: String,
    pub balance: i64,
    pub matched: Matched,
}

macro_rules! select_found {
    ($rest:literal) => {
        concat!(
            "SELECT m.id, m.name, m.phone, m.home_store, m.tier, COALESCE(a.balance, 0)
             FROM members m LEFT JOIN point_accounts a ON a.member_id = m.id ",
            $rest
        )
    };
}

fn found_of(r: &Row, matched: Matched) -> FoundMember {
    FoundMember {
        id: r.get(0),
        name: r.get(1),
        phone: r.get(2),
        home_store: r.get(3),
        tier: r.get(4),
        balance: r.get(5),
        matched,
    }
}

/// A pinyin query: Latin letters only once spaces are dropped (`Zhang Wei` → `zhangwei`).
fn pinyin_query(q: &str) -> Option<String> {
    let spelled: String = name_key(q)
        .chars()
        .filter(|&c| c != ' ')
        .map(|c| if c == 'ü' { 'v' } else { c })
        .collect();
    (!spelled.is_empty() && spelled.bytes().all(|b| b.is_ascii_lowercase())).then_some(spelled)
}

/// `text` with LIKE's wildcards escaped (`\` is the escape character).
fn like_escaped(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

impl HqStore {
    /// Indexes the names of members not indexed yet (or renamed since); returns how many.
    pub async fn index_member_names(&self) -> Result<u64, HqError> {
        let mut total = 0;
        loop {
            let rows = query(
                "SELECT m.id, m.name FROM members m
                 LEFT JOIN member_search_names n ON n.member_id = m.id
                 WHERE n.member_id IS NULL OR n.name <> m.name
                 ORDER BY m.id LIMIT $1",
            )
            .bind(INDEX_CHUNK)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                return Ok(total);
            }
            let members: Vec<(String, String, Vec<String>)> = rows
                .iter()
                .map(|r| {
                    let (id, name): (String, String) = (r.get(0), r.get(1));
                    let (mut terms, initials) = pinyin_spellings(&name_key(&name));
                    terms.extend(initials);
                    terms.sort();
                    terms.dedup();
                    (id, name, terms)
                })
                .collect();
            let members = &members;
            retrying("indexing member names", || async move {
                let mut tx = self.pool().begin().await?;
                for (id, name, terms) in members {
                    query("DELETE FROM member_search_terms WHERE member_id = $1")
                        .bind(id)
                        .execute(&mut tx)
                        .await?;
                    for term in terms {
                        query(
                            "INSERT INTO member_search_terms (term, member_id) VALUES ($1, $2)
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(term)
                        .bind(id)
                        .execute(&mut tx)
                        .await?;
                    }
                    query(
                        "INSERT INTO member_search_names (member_id, name) VALUES ($1, $2)
                         ON CONFLICT (member_id) DO UPDATE SET name = EXCLUDED.name",
                    )
                    .bind(id)
                    .bind(name)
                    .execute(&mut tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await?;
            total += members.len() as u64;
        }
    }

    /// The members `q` finds, strongest match first (card, number, phone, name, pinyin),
    /// each once, at most [`MAX_FOUND`].
    pub async fn find_members(&self, q: &str) -> Result<Vec<FoundMember>, HqError> {
        let q = q.trim();
        if q.is_empty() || q.chars().count() > 64 {
            return Ok(Vec::new());
        }
        self.index_member_names().await?;
        let limit = MAX_FOUND as i64;
        let mut found: Vec<FoundMember> = Vec::new();
        let mut add = |rows: Vec<Row>, matched: Matched| {
            for r in &rows {
                let m = found_of(r, matched);
                if found.len() < MAX_FOUND && !found.iter().any(|f| f.id == m.id) {
                    found.push(m);
                }
            }
        };
        let pool = self.pool();
        add(
            query(select_found!(
                "JOIN member_cards c ON c.member_id = m.id WHERE c.card = $1"
            ))
            .bind(q)
            .fetch_all(pool)
            .await?,
            Matched::Card,
        );
        add(
            query(select_found!("WHERE m.id = $1"))
                .bind(q)
                .fetch_all(pool)
                .await?,
            Matched::Id,
        );
        let digits: String = q.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if let Ok(phone) = crate::domain::member::normalize_phone(q) {
            add(
                query(select_found!("WHERE m.phone = $1 ORDER BY m.id LIMIT $2"))
                    .bind(phone)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?,
                Matched::Phone,
            );
        }
        if (4..=6).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            add(
                query(select_found!(
                    "WHERE m.phone LIKE $1 ESCAPE '\\' ORDER BY m.id LIMIT $2"
                ))
                .bind(format!("%{digits}"))
                .bind(limit)
                .fetch_all(pool)
                .await?,
                Matched::Phone,
            );
        }
        if q.chars().any(char::is_alphabetic) {
            let lower = like_escaped(&q.to_lowercase());
            let cjk = q.chars().any(|c| ('\u{3400}'..='\u{9FFF}').contains(&c));
            add(
                query(select_found!(
                    "WHERE LOWER(m.name) LIKE $1 ESCAPE '\\' ORDER BY m.name, m.id LIMIT $2"
                ))
                .bind(if cjk {
                    format!("%{lower}%")
                } else {
                    format!("{lower}%")
                })
                .bind(limit)
                .fetch_all(pool)
                .await?,
                Matched::Name,
            );
        }
        if let Some(spelled) = pinyin_query(q) {
            // Terms starting with the query: from it up to (not including) the next
            // string after every such term.
            add(
                query(select_found!(
                    "WHERE m.id IN (SELECT t.member_id FROM member_search_terms t
                                    WHERE t.term >= $1 AND t.term < $2)
                     ORDER BY m.name, m.id LIMIT $3"
                ))
                .bind(&spelled)
                .bind(format!("{spelled}{{"))
                .bind(limit)
                .fetch_all(pool)
                .await?,
                Matched::Pinyin,
            );
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_queries_are_latin_letters_without_spaces() {
        assert_eq!(pinyin_query("Zhang Wei"), Some("zhangwei".into()));
        assert_eq!(pinyin_query("zw"), Some("zw".into()));
        assert_eq!(pinyin_query("张伟"), None);
        assert_eq!(pinyin_query("138"), None);
        assert_eq!(like_escaped("50%_\\"), "50\\%\\_\\\\");
    }
}
