//! HQ's database (PostgreSQL or the embedded SQLite file, through [`super::db`]): terminal
//! credentials, members and cards, the points ledger, and the idempotent ingest of
//! terminal events. The rules here are written once for both backends.
//!
//! Invariants kept here:
//! - **trust**: an event is applied only after HQ's rules ([`super::rules`]) passed it:
//!   what a till's token may say, what HQ derives itself and what it checks against its
//!   records; a refused event is parked (stored, never applied, its sequence held) or,
//!   with its sequence out of range, not stored; a batch that contradicts what HQ holds
//!   under a sequence is a conflict and applies nothing;
//! - **exactly once**: an event is stored once per (store, terminal, seq), and a resend is
//!   recognised by its id, kind and payload hash; only a newly stored event is applied, and
//!   everything it derives (ledger transfers, sales, coupon redemptions) is keyed by ids
//!   from the event, so retries, duplicates and reordering change nothing;
//! - **acknowledgement**: a terminal's `acked_seq` is the highest sequence below which HQ
//!   holds every event; gaps are reported as missing and never acknowledged;
//! - **points are a ledger**: balances move only by immutable transfers, each applied with
//!   its account row locked (on SQLite, inside the transaction that holds the write lock). A redemption that finds the balance already spent elsewhere
//!   (offline double use) is applied, because the till sold in good faith, and recorded as
//!   an overdraft for the report: the stated policy for double use across stores;
//! - a transaction that meets a serialization failure (SQLSTATE 40001, usual on
//!   distributed engines), a deadlock (40P01) or, on SQLite, a writer still busy after the
//!   timeout is retried from the start, after a jittered backoff ([`super::retry`]).

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use storepos_sync::Envelope;
use storepos_sync::wire::{IngestReply, Refusal};

use super::db::{DatabaseUrl, Pool, Query, Tx, query};
pub use super::error::HqError;
use super::retry::{WRITES, retryable, retrying, retrying_if};
use super::rules::{self, Draft, Known, Refused};
use super::sequence::advance;

use crate::domain::member::{CardStatus, Consent, CustomerType, Member, MemberCard};
use crate::domain::sale::SaleRecord;

pub use super::sender::{TerminalId, TillReport};

#[derive(Clone)]
pub struct HqStore {
    pool: Pool,
    /// The complaints' deadlines by severity (`[hq.complaints]`).
    complaint_sla: super::complaints::Sla,
}

pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The store a bearer token names: tokens are `STORE.TERMINAL.SECRET` ([`new_token`]; a
/// store id holds no `.`), so a token is looked up within its store, on the one shard of a
/// distributed database that holds the store's terminals. `None` for a token of another
/// form, which no terminal holds.
pub(super) fn token_store(token: &str) -> Option<&str> {
    token
        .split_once('.')
        .map(|(store, _)| store)
        .filter(|s| crate::config::valid_id(s))
}

/// A new bearer token for a terminal: its names and 32 random bytes.
pub(super) fn new_token(store_id: &str, terminal_id: &str) -> Result<String, HqError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| {
        HqError::Db(sqlx::Error::Protocol(format!(
            "no randomness for a token: {e}"
        )))
    })?;
    Ok(format!("{store_id}.{terminal_id}.{}", hex::encode(secret)))
}

/// Whether an ingest is worth running again: a retryable failure, or a unique key another
/// batch took between this batch's reads and its writes (two tills enrolling one card at
/// once); run again, the batch reads that key as taken and its rules refuse it.
fn ingest_retryable(e: &HqError) -> bool {
    retryable(e)
        || matches!(e, HqError::Db(sqlx::Error::Database(d))
            if d.code().as_deref() == Some("23505"))
}

impl HqStore {
    /// Connects to the database `url` names (`postgres://…`, or `sqlite://PATH` or a plain
    /// path for the embedded file, created if missing) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<HqStore, HqError> {
        let url = DatabaseUrl::parse(url).map_err(HqError::Url)?;
        let pool = Pool::open(&url).await?;
        let filled = super::sale_lines::backfill(&pool).await?;
        if filled > 0 {
            tracing::info!("stored the lines of {filled} sales HQ held before it kept lines");
        }
        Ok(HqStore {
            pool,
            complaint_sla: super::complaints::Sla::default(),
        })
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The store with the complaints' deadlines `sla` (checked: see
    /// [`super::complaints::Sla::check`]).
    pub fn with_complaint_sla(mut self, sla: super::complaints::Sla) -> Result<Self, HqError> {
        sla.check().map_err(HqError::Invalid)?;
        self.complaint_sla = sla;
        Ok(self)
    }

    /// The complaints' deadlines by severity.
    pub fn complaint_sla(&self) -> &super::complaints::Sla {
        &self.complaint_sla
    }

    /// Whether the database answers (for `/health`).
    pub async fn ping(&self) -> Result<(), HqError> {
        query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Registers (or re-keys) a terminal and returns its new bearer token; only the token's
    /// hash is stored. A revoked terminal registered again may speak again.
    pub async fn register_terminal(
        &self,
        store_id: &str,
        terminal_id: &str,
    ) -> Result<String, HqError> {
        let token = new_token(store_id, terminal_id)?;
        let hash = &token_hash(&token);
        retrying("registering a terminal", || async move {
            query(
                "INSERT INTO terminals (store_id, terminal_id, token_hash) VALUES ($1, $2, $3)
                 ON CONFLICT (store_id, terminal_id)
                 DO UPDATE SET token_hash = EXCLUDED.token_hash, revoked_at = NULL",
            )
            .bind(store_id)
            .bind(terminal_id)
            .bind(hash)
            .execute(&self.pool)
            .await
            .map_err(HqError::from)
        })
        .await?;
        retrying("registering a store", || async move {
            super::zones::ensure_store(&self.pool, store_id).await
        })
        .await?;
        Ok(token)
    }

    /// The terminal a bearer token belongs to.
    pub async fn authenticate(&self, token: &str) -> Result<Option<TerminalId>, HqError> {
        let Some(store) = token_store(token) else {
            return Ok(None);
        };
        let row = query(AUTHENTICATE)
            .bind(store)
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| TerminalId {
            store_id: r.get(0),
            terminal_id: r.get(1),
        }))
    }

    /// Inserts or updates a member and their cards.
    pub async fn upsert_member(&self, m: &Member) -> Result<(), HqError> {
        retrying("storing a member", || async move {
            let mut tx = self.pool.begin().await?;
            upsert_member_tx(&mut tx, m).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// A member by any of their cards, with their points balance and whether that card is
    /// blocked.
    pub async fn member_by_card(&self, card: &str) -> Result<Option<(Member, i64)>, HqError> {
        let Some(row) = query(MEMBER_BY_CARD)
            .bind(card)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let id: String = row.get(0);
        self.member(&id).await
    }

    /// A member by id, with their points balance.
    pub async fn member(&self, id: &str) -> Result<Option<(Member, i64)>, HqError> {
        let mut tx = self.pool.begin_read().await?;
        let member = member_tx(&mut tx, id).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Records a member's opening balance (from a loyalty system HQ replaces) as an
    /// `adjust` transfer; idempotent, so importing the same file twice changes nothing.
    pub async fn opening_balance(&self, member_id: &str, points: i64) -> Result<(), HqError> {
        let transfer = crate::domain::loyalty::Transfer {
            id: crate::domain::loyalty::transfer_id(
                &format!("opening/{member_id}"),
                crate::domain::loyalty::TransferKind::Adjust,
                0,
            ),
            member_id: member_id.to_string(),
            kind: crate::domain::loyalty::TransferKind::Adjust,
            points,
            at: chrono::Utc::now(),
            source: format!("opening/{member_id}"),
            expires_at: None,
        };
        let transfer = &transfer;
        retrying("recording an opening balance", || async move {
            let mut tx = self.pool.begin().await?;
            super::ledger::post_transfer(&mut tx, transfer, None).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// The members of a store (home store), with their cards and balances, and the sending
    /// terminal's acknowledged sequence at the moment they were read (the balances include
    /// every event of that terminal up to it, and none after).
    pub async fn store_members(&self, from: &TerminalId) -> Result<(u64, Vec<Member>), HqError> {
        // Read under the terminal's row lock so no ingest of its events slips in between (on
        // SQLite a read transaction is one snapshot, which no ingest changes).
        let mut tx = self.pool.begin_read().await?;
        let acked: i64 = Query::dialects(
            "SELECT acked_seq FROM terminals WHERE store_id = $1 AND terminal_id = $2 FOR UPDATE",
            "SELECT acked_seq FROM terminals WHERE store_id = $1 AND terminal_id = $2",
        )
        .bind(&from.store_id)
        .bind(&from.terminal_id)
        .fetch_one(&mut tx)
        .await?
        .get(0);
        let ids: Vec<String> = query(STORE_MEMBER_IDS)
            .bind(&from.store_id)
            .fetch_all(&mut tx)
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut members = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some((m, _)) = member_tx(&mut tx, &id).await? {
                members.push(m);
            }
        }
        tx.commit().await?;
        Ok((acked as u64, members))
    }

    /// Stores and applies a batch of events from one terminal, exactly once each, and says
    /// how far the terminal's events are complete.
    pub async fn ingest(
        &self,
        from: &TerminalId,
        events: &[Envelope],
    ) -> Result<IngestReply, HqError> {
        match self
            .ingest_retrying(Sender::Terminal(from), events, &TillReport::default())
            .await?
        {
            Some((_, reply)) => Ok(reply),
            None => Err(HqError::Invalid(format!(
                "terminal {}/{} is not registered",
                from.store_id, from.terminal_id
            ))),
        }
    }

    /// [`HqStore::ingest`] for the terminal a bearer token belongs to, checked by the
    /// statement that locks the terminal's row (one round trip for both); `None` if the
    /// token is not registered.
    pub async fn ingest_as(
        &self,
        token: &str,
        events: &[Envelope],
        report: &TillReport,
    ) -> Result<Option<(TerminalId, IngestReply)>, HqError> {
        let Some(store) = token_store(token) else {
            return Ok(None);
        };
        self.ingest_retrying(Sender::Token(store, token_hash(token)), events, report)
            .await
    }

    async fn ingest_retrying(
        &self,
        sender: Sender<'_>,
        events: &[Envelope],
        report: &TillReport,
    ) -> Result<Option<(TerminalId, IngestReply)>, HqError> {
        retrying_if(&WRITES, "ingesting events", ingest_retryable, || {
            self.ingest_once(&sender, events, report)
        })
        .await
    }

    async fn ingest_once(
        &self,
        sender: &Sender<'_>,
        events: &[Envelope],
        report: &TillReport,
    ) -> Result<Option<(TerminalId, IngestReply)>, HqError> {
        let mut tx = self.pool.begin().await?;
        // The terminal's row is locked first: its batches apply one at a time, and every
        // statement below reads (with a fresh snapshot) what an earlier one committed.
        let Some((from, acked)) = lock_terminal(&mut tx, sender).await? else {
            return Ok(None);
        };
        if let Some(e) = events
            .iter()
            .find(|e| e.store_id != from.store_id || e.terminal_id != from.terminal_id)
        {
            return Err(HqError::ForeignEvent {
                seq: e.seq,
                store: e.store_id.clone(),
                terminal: e.terminal_id.clone(),
            });
        }
        let mut refused = Vec::new();
        let mut in_range = Vec::with_capacity(events.len());
        for e in events {
            match rules::sequence::in_bounds(e.seq, acked as u64) {
                Ok(()) => in_range.push(e),
                Err(r) => refused.push(refusal(e, &r, false)),
            }
        }
        let fresh = match rules::sequence::screen(&mut tx, &from, &in_range).await? {
            Ok(screened) => {
                refused.extend(screened.parked_again);
                screened.fresh
            }
            Err(conflict) => {
                // Nothing of the batch is applied; the conflict is kept on its own.
                drop(tx);
                rules::sequence::record_conflict(&self.pool, &from, &conflict).await?;
                return Err(HqError::Conflict(conflict));
            }
        };
        let drafts: Vec<Result<Draft, Refused>> = fresh
            .iter()
            .map(|f| rules::parse_sized(f.event, f.bytes))
            .collect();
        let readable: Vec<&Draft> = drafts.iter().filter_map(|d| d.as_ref().ok()).collect();
        let zone = super::zones::for_ingest(&mut tx, &from.store_id).await?;
        let mut known = Known::fetch(&mut tx, &from, &readable).await?;
        let mut run = Vec::new();
        for (f, draft) in fresh.iter().zip(drafts) {
            let e = f.event;
            let verdict = draft.and_then(|d| rules::check(&mut known, e, &d).map(|()| d));
            match verdict {
                Ok(Draft::Sale { receipt_no, sale }) if !tx.is_sqlite() => {
                    // PostgreSQL: each run of sales and returns is stored set-based; other
                    // events in between keep their place in the order.
                    run.push(super::ingest_pg::SaleEvent {
                        event: e,
                        hash: f.hash.as_str(),
                        receipt_no,
                        sale,
                    });
                }
                Ok(Draft::Sale { receipt_no, sale }) => {
                    store_sale_event(&mut tx, e, &f.hash, receipt_no, &sale, zone).await?;
                    apply_sale_loyalty(&mut tx, e, receipt_no, &sale).await?;
                }
                Ok(other) => {
                    super::ingest_pg::ingest_sales(&mut tx, &run, zone).await?;
                    run.clear();
                    insert_event(&mut tx, e, &f.hash, None).await?;
                    apply(&mut tx, e, &other, &self.complaint_sla).await?;
                }
                Err(r) => {
                    super::ingest_pg::ingest_sales(&mut tx, &run, zone).await?;
                    run.clear();
                    insert_event(&mut tx, e, &f.hash, Some(&r)).await?;
                    refused.push(refusal(e, &r, true));
                }
            }
        }
        super::ingest_pg::ingest_sales(&mut tx, &run, zone).await?;
        let mut reply = advance(&mut tx, &from, acked, report).await?;
        refused.sort_by_key(|r| r.seq);
        reply.refused = refused;
        tx.commit().await?;
        Ok(Some((from, reply)))
    }
}

/// Who sends a batch: a terminal already identified, or the store a bearer token names
/// and the token's hash.
enum Sender<'a> {
    Terminal(&'a TerminalId),
    Token(&'a str, String),
}

/// The terminal a token belongs to, looked up within the store the token names.
pub(crate) const AUTHENTICATE: &str =
    "SELECT store_id, terminal_id FROM terminals WHERE store_id = $1 AND token_hash = $2";

/// The sending terminal's row, locked (one row of one store: on a distributed database, of
/// one shard), found by its names or by its store and token.
pub(crate) const LOCK_TERMINAL: &str = "SELECT store_id, terminal_id, acked_seq FROM terminals
     WHERE store_id = $1 AND terminal_id = $2 FOR UPDATE";
pub(crate) const LOCK_TERMINAL_BY_TOKEN: &str =
    "SELECT store_id, terminal_id, acked_seq FROM terminals
     WHERE store_id = $1 AND token_hash = $2 FOR UPDATE";

/// Locks the sending terminal's row and reads its acknowledgement; `None` if no terminal
/// is registered under that name or token.
async fn lock_terminal(
    tx: &mut Tx,
    sender: &Sender<'_>,
) -> Result<Option<(TerminalId, i64)>, HqError> {
    let q = match sender {
        Sender::Terminal(t) => Query::dialects(
            LOCK_TERMINAL,
            // SQLite: the write transaction already holds the file's write lock.
            "SELECT store_id, terminal_id, acked_seq FROM terminals
             WHERE store_id = $1 AND terminal_id = $2",
        )
        .bind(&t.store_id)
        .bind(&t.terminal_id),
        Sender::Token(store, hash) => Query::dialects(
            LOCK_TERMINAL_BY_TOKEN,
            "SELECT store_id, terminal_id, acked_seq FROM terminals
             WHERE store_id = $1 AND token_hash = $2",
        )
        .bind(*store)
        .bind(hash),
    };
    Ok(q.fetch_optional(&mut *tx).await?.map(|r| {
        (
            TerminalId {
                store_id: r.get(0),
                terminal_id: r.get(1),
            },
            r.get(2),
        )
    }))
}

/// What a refused event's answer says.
fn refusal(e: &Envelope, r: &Refused, parked: bool) -> Refusal {
    Refusal {
        seq: e.seq,
        id: e.id,
        rule: r.rule.to_string(),
        message: r.message.clone(),
        parked,
    }
}

/// Stores an event under its id and (store, terminal, seq) with its payload hash; a
/// refused one is parked with its rule, its kind and payload with every NUL replaced.
async fn insert_event(
    tx: &mut Tx,
    e: &Envelope,
    hash: &str,
    refused: Option<&Refused>,
) -> Result<(), HqError> {
    let (kind, payload) = match refused {
        Some(_) => rules::parked_copy(&e.kind, &e.payload),
        None => (e.kind.clone(), e.payload.clone()),
    };
    query(
        "INSERT INTO events (id, store_id, terminal_id, seq, kind, payload, at, payload_hash,
                             refused_rule, refused_message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(e.id)
    .bind(&e.store_id)
    .bind(&e.terminal_id)
    .bind(e.seq as i64)
    .bind(kind)
    .bind(payload)
    .bind(e.at)
    .bind(hash)
    .bind(refused.map(|r| r.rule))
    .bind(refused.map(|r| rules::sanitized_kind(&r.message)))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Stores a new sale or return event with its sale row, one after the other (the row
/// path; PostgreSQL takes [`super::ingest_pg`]).
async fn store_sale_event(
    tx: &mut Tx,
    e: &Envelope,
    hash: &str,
    receipt_no: u64,
    sale: &SaleRecord,
    zone: chrono_tz::Tz,
) -> Result<(), HqError> {
    insert_event(tx, e, hash, None).await?;
    let facts = super::sale_lines::bill_facts(sale, e.at, zone);
    query(
        "INSERT INTO sales (store_id, terminal_id, at, event_id, receipt_no, kind, member_id, total,
                            tax, original_receipt, local_day, local_hour, net, discount, items)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&e.store_id)
    .bind(&e.terminal_id)
    .bind(e.at)
    .bind(e.id)
    .bind(receipt_no as i64)
    .bind(sale.kind.as_str())
    .bind(&sale.member_id)
    .bind(sale.total + sale.rounding)
    .bind(sale.tax)
    .bind(sale.original_receipt.map(|n| n as i64))
    .bind(facts.local_day)
    .bind(i64::from(facts.local_hour))
    .bind(facts.net)
    .bind(facts.discount)
    .bind(facts.items)
    .execute(&mut *tx)
    .await?;
    let new = super::sale_lines::NewSale {
        store_id: &e.store_id,
        terminal_id: &e.terminal_id,
        event_id: e.id,
        at: e.at,
        receipt_no,
        sale,
    };
    super::sale_lines::record(tx, zone, &[new]).await
}

/// A new member, their cards and their (empty) account; fails on a member id or card
/// that exists.
async fn insert_member_tx(tx: &mut Tx, m: &Member) -> Result<(), HqError> {
    member_row(
        query(
            "INSERT INTO members (id, name, phone, email, tier, home_store, card_opened,
                                  consent_marketing, consent_profiling, updated_at, address,
                                  customer_type)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        ),
        m,
    )
    .execute(&mut *tx)
    .await?;
    for c in &m.cards {
        query("INSERT INTO member_cards (card, member_id, status) VALUES ($1, $2, 'active')")
            .bind(&c.number)
            .bind(&m.id)
            .execute(&mut *tx)
            .await?;
    }
    query("INSERT INTO point_accounts (member_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(&m.id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A member's columns bound to `$1`…`$12` in the order both member statements take.
fn member_row(q: Query, m: &Member) -> Query {
    q.bind(&m.id)
        .bind(&m.name)
        .bind(&m.phone)
        .bind(&m.email)
        .bind(&m.tier)
        .bind(&m.home_store)
        .bind(m.card_opened)
        .bind(m.consent.marketing)
        .bind(m.consent.profiling)
        .bind(chrono::Utc::now())
        .bind(&m.address)
        .bind(m.customer_type.map(|t| t.as_str()))
}

async fn upsert_member_tx(tx: &mut Tx, m: &Member) -> Result<(), HqError> {
    let upsert = query(
        "INSERT INTO members (id, name, phone, email, tier, home_store, card_opened,
                              consent_marketing, consent_profiling, updated_at, address,
                              customer_type)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone,
             address = COALESCE(EXCLUDED.address, members.address),
             customer_type = COALESCE(EXCLUDED.customer_type, members.customer_type),
             email = EXCLUDED.email, tier = EXCLUDED.tier, home_store = EXCLUDED.home_store,
             card_opened = EXCLUDED.card_opened, consent_marketing = EXCLUDED.consent_marketing,
             consent_profiling = EXCLUDED.consent_profiling, updated_at = EXCLUDED.updated_at",
    );
    member_row(upsert, m).execute(&mut *tx).await?;
    for c in &m.cards {
        let status = match c.status {
            CardStatus::Active => "active",
            CardStatus::Blocked => "blocked",
        };
        query(
            "INSERT INTO member_cards (card, member_id, status) VALUES ($1, $2, $3)
             ON CONFLICT (card) DO UPDATE SET member_id = EXCLUDED.member_id, status = EXCLUDED.status",
        )
        .bind(&c.number)
        .bind(&m.id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    }
    query("INSERT INTO point_accounts (member_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(&m.id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Applies one newly stored event other than a sale or return, its rules passed (those
/// are stored with their sale row by the ingest, then [`apply_sale_loyalty`]). Members
/// and cards are inserted, never upserted: the rules found them new, and a key another
/// batch took meanwhile fails this one, which then runs again and is refused.
async fn apply(
    tx: &mut Tx,
    e: &Envelope,
    draft: &Draft,
    sla: &super::complaints::Sla,
) -> Result<(), HqError> {
    match draft {
        Draft::Enrolment(m) => insert_member_tx(tx, m).await,
        Draft::CardReplaced(r) => {
            query("UPDATE member_cards SET status = 'blocked' WHERE card = $1 AND member_id = $2")
                .bind(&r.blocked)
                .bind(&r.member_id)
                .execute(&mut *tx)
                .await?;
            query("INSERT INTO member_cards (card, member_id, status) VALUES ($1, $2, 'active')")
                .bind(&r.new_card)
                .bind(&r.member_id)
                .execute(&mut *tx)
                .await?;
            Ok(())
        }
        Draft::Complaint(c) => {
            query(
                "INSERT INTO complaints (store_id, terminal_id, local_id, member_id, body, at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&e.store_id)
            .bind(&e.terminal_id)
            .bind(c.id)
            .bind(&c.member_id)
            .bind(&e.payload["complaint"])
            .bind(e.at)
            .execute(&mut *tx)
            .await?;
            super::complaints::till::open_from_till(tx, e, c, sla).await
        }
        Draft::ComplaintNote(n) => super::complaints::till::note_from_till(tx, e, n, sla).await,
        Draft::Sale { .. } => Err(HqError::Invalid(
            "a sale is stored with its sale row, not as another event".into(),
        )),
    }
}

/// A new sale's ledger transfers and coupon redemptions.
async fn apply_sale_loyalty(
    tx: &mut Tx,
    e: &Envelope,
    receipt_no: u64,
    sale: &SaleRecord,
) -> Result<(), HqError> {
    let Some(loyalty) = &sale.loyalty else {
        return Ok(());
    };
    for t in &loyalty.transfers {
        super::ledger::post_transfer(tx, t, Some(e.id)).await?;
    }
    super::ledger::redeem_coupons(tx, e, receipt_no, loyalty).await
}

/// The member a card names (cards are a reference table: read where HQ runs).
pub(crate) const MEMBER_BY_CARD: &str = "SELECT member_id FROM member_cards WHERE card = $1";

/// The members of a store: members are distributed by member, so this reads every shard
/// (no lock; the terminal's row, locked first, is one shard's).
pub(crate) const STORE_MEMBER_IDS: &str =
    "SELECT id FROM members WHERE home_store = $1 ORDER BY id";

/// A member and their balance (colocated by member: one shard).
pub(crate) const MEMBER: &str =
    "SELECT m.id, m.name, m.phone, m.email, m.tier, m.home_store, m.card_opened,
            m.consent_marketing, m.consent_profiling, COALESCE(a.balance, 0), m.address,
            m.customer_type
     FROM members m LEFT JOIN point_accounts a ON a.member_id = m.id WHERE m.id = $1";

/// A member by id with cards and balance, on any connection or transaction.
async fn member_tx(tx: &mut Tx, id: &str) -> Result<Option<(Member, i64)>, HqError> {
    let Some(r) = query(MEMBER).bind(id).fetch_optional(&mut *tx).await? else {
        return Ok(None);
    };
    let cards = query("SELECT card, status FROM member_cards WHERE member_id = $1 ORDER BY card")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|c| MemberCard {
            number: c.get(0),
            status: if c.get::<String>(1) == "blocked" {
                CardStatus::Blocked
            } else {
                CardStatus::Active
            },
        })
        .collect();
    let balance: i64 = r.get(9);
    let member = Member {
        id: r.get(0),
        name: r.get(1),
        phone: r.get(2),
        email: r.get(3),
        address: r.get(10),
        customer_type: r
            .get::<Option<String>>(11)
            .as_deref()
            .and_then(CustomerType::parse),
        cards,
        card_opened: r.get::<Option<NaiveDate>>(6),
        tier: r.get(4),
        home_store: r.get(5),
        consent: Consent {
            marketing: r.get(7),
            profiling: r.get(8),
        },
        points_balance: balance,
    };
    Ok(Some((member, balance)))
}
