//! The member repository: the terminal's cache of the chain's members and their cards.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::member::{CardStatus, Consent, Member, MemberCard};

use super::StoreError;

const COLUMNS: &str = "id, name, phone, email, address, card_opened, tier, home_store, \
     consent_marketing, consent_profiling, points_balance";

/// Inserts or replaces a member and adds its cards. `attributes` is free-form JSON.
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
    Ok(())
}

pub fn by_id(conn: &Connection, id: &str) -> Result<Option<Member>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM members WHERE id = ?1"))?;
    let member = stmt.query_row([id], read_member).optional()?;
    member.map(|m| with_cards(conn, m)).transpose()
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
