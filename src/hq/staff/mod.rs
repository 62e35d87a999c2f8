//! HQ staff: the people who use the console and the API with their own accounts.
//!
//! - [`Role`]: what a member of staff may do ([`Role::may`] over [`Permission`]); a
//!   store manager's rights hold for their own stores only ([`Principal::check_store`]).
//! - [`Principal`]: who is asking, as every staff route sees them: a staff account (from a
//!   session cookie) or the admin token (full rights, for scripts).
//! - [`StaffAccount`] and the account operations on [`HqStore`] (`staff_add`,
//!   `staff_passwd`, `staff_disable`, `staff_list`), used by `storepos hq staff …`.
//! - [`sessions`]: logging in (Argon2id passwords, rate limited), sessions with their CSRF
//!   token and idle timeout, logging out.
//! - [`audit`]: the audit log of every change staff make (who, when, what, before, after).
//! - [`search`]: finding members by card, phone, name or the pinyin of their name.

pub mod audit;
pub mod search;
pub mod sessions;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::db::query;
use super::error::HqError;
use super::retry::retrying;
use super::store::HqStore;

/// What a member of staff does, and so what they may see and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, staff and the audit log included.
    Admin,
    /// Reports, members (read), campaigns, segments and coupons.
    Marketing,
    /// Members, points adjustments, members' cards and complaints.
    CustomerService,
    /// Reports and the reconciliation.
    Finance,
    /// Their own stores' reports, complaints, tills and prices.
    StoreManager,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Marketing,
        Role::CustomerService,
        Role::Finance,
        Role::StoreManager,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Marketing => "marketing",
            Role::CustomerService => "customer_service",
            Role::Finance => "finance",
            Role::StoreManager => "store_manager",
        }
    }

    pub fn parse(text: &str) -> Result<Role, String> {
        let text = text.trim().replace('-', "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "'{text}' is not a role: admin, marketing, customer_service, finance or store_manager"
                )
            })
    }

    /// Whether this role may do `what` (a store manager: for their own stores).
    pub const fn may(self, what: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Marketing => matches!(what, Reports | MembersRead | Campaigns),
            Role::CustomerService => {
                matches!(what, MembersRead | PointsAdjust | Cards | Complaints)
            }
            Role::Finance => matches!(what, Reports | Reconciliation),
            Role::StoreManager => matches!(what, Reports | Complaints | Tills | Prices),
        }
    }
}

/// Something a route does, which a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The sales reports and the dashboard.
    Reports,
    /// Member search and the chain-wide member view.
    MembersRead,
    /// Manual points adjustments.
    PointsAdjust,
    /// Blocking a member's lost card and replacing it (members' own service, so customer
    /// service's, not marketing's).
    Cards,
    /// Complaint cases: list, read, record, step; the complaint report.
    Complaints,
    /// Member value, segments, coupon issues and campaign results.
    Campaigns,
    /// The reconciliation report.
    Reconciliation,
    /// Registered terminals: their list, and rotating or revoking their tokens.
    Tills,
    /// Store prices.
    Prices,
    /// The chain's catalogue, promotions, operators and store settings.
    Catalogue,
    /// The audit log and staff accounts.
    Audit,
}

/// Who asks: a staff account or the admin token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The staff login; `admin-token` for the admin token.
    pub login: String,
    pub name: String,
    pub role: Role,
    /// A store manager's stores (empty for the other roles).
    pub stores: Vec<String>,
    /// Whether this is the admin token rather than a person's account.
    pub token: bool,
}

/// Why a principal may not do what they ask.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

/// Which stores a principal's question may cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every store of the chain.
    Chain,
    /// Only these stores.
    Stores(Vec<String>),
}

impl Principal {
    /// The admin token's principal.
    pub fn admin_token() -> Principal {
        Principal {
            login: "admin-token".into(),
            name: "admin token".into(),
            role: Role::Admin,
            stores: Vec::new(),
            token: true,
        }
    }

    /// Whether this principal's role may do `what`, or why not.
    pub fn require(&self, what: Permission) -> Result<(), Forbidden> {
        if self.role.may(what) {
            Ok(())
        } else {
            Err(Forbidden(format!(
                "{} ({}) may not do this",
                self.login,
                self.role.as_str()
            )))
        }
    }

    /// The stores this principal sees.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::StoreManager => Scope::Stores(self.stores.clone()),
            _ => Scope::Chain,
        }
    }

    /// Whether this principal sees `store`'s data, or why not.
    pub fn check_store(&self, store: &str) -> Result<(), Forbidden> {
        match self.scope() {
            Scope::Chain => Ok(()),
            Scope::Stores(s) if s.iter().any(|x| x == store) => Ok(()),
            Scope::Stores(_) => Err(Forbidden(format!(
                "{} manages {}, not store {}",
                self.login,
                self.stores.join(", "),
                store.chars().take(64).collect::<String>()
            ))),
        }
    }

    /// The store a question about one store is about: the one asked for (checked), or a
    /// store manager's only store; `None` is the whole chain, which a store manager of
    /// several stores must narrow.
    pub fn one_store(&self, asked: Option<&str>) -> Result<Option<String>, Forbidden> {
        match (asked, self.scope()) {
            (Some(s), _) => self.check_store(s).map(|_| Some(s.to_string())),
            (None, Scope::Chain) => Ok(None),
            (None, Scope::Stores(s)) if s.len() == 1 => Ok(Some(s[0].clone())),
            (None, Scope::Stores(_)) => Err(Forbidden(format!(
                "{} manages several stores: name one (store=…)",
                self.login
            ))),
        }
    }
}

/// A staff account as `hq staff list` shows it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffAccount {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub stores: Vec<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// Longest login, display name, and password taken.
pub const MAX_LOGIN_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Shortest password taken.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A login: 1–64 letters, digits, `.`, `_`, `-` or `@`.
pub fn check_login(login: &str) -> Result<(), String> {
    let ok = !login.is_empty()
        && login.chars().count() <= MAX_LOGIN_CHARS
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a login: 1–{MAX_LOGIN_CHARS} letters, digits, '.', '_', '-' or '@'",
            login.chars().take(80).collect::<String>()
        ))
    }
}

/// A new password: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("a password has at most {MAX_PASSWORD_BYTES} bytes"));
    }
    Ok(())
}

/// The Argon2id PHC string of a password, with a fresh salt.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any password of bounded length")
        .to_string()
}

/// Whether `password` matches the PHC string `hash`; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
}

/// A store id as staff_stores keeps it: 1–64 characters, no spaces.
fn check_store_id(store: &str) -> Result<(), String> {
    if store.is_empty() || store.chars().count() > 64 || store.chars().any(char::is_whitespace) {
        Err(format!("'{store}' is not a store id"))
    } else {
        Ok(())
    }
}

impl HqStore {
    /// Adds a staff account. A store manager names at least one store; the other roles
    /// none. Refused (changing nothing) if the login is taken.
    pub async fn staff_add(
        &self,
        login: &str,
        name: Option<&str>,
        role: Role,
        stores: &[String],
        password: &str,
    ) -> Result<StaffAccount, HqError> {
        check_login(login).map_err(HqError::Invalid)?;
        check_password(password).map_err(HqError::Invalid)?;
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(login);
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(HqError::Invalid(format!(
                "a display name has at most {MAX_NAME_CHARS} characters"
            )));
        }
        match (role, stores.is_empty()) {
            (Role::StoreManager, true) => {
                return Err(HqError::Invalid(
                    "a store manager manages at least one store: give --store".into(),
                ));
            }
            (Role::StoreManager, false) => {}
            (_, false) => {
                return Err(HqError::Invalid(format!(
                    "--store is for store managers; a {} sees every store",
                    role.as_str()
                )));
            }
            (_, true) => {}
        }
        for s in stores {
            check_store_id(s).map_err(HqError::Invalid)?;
        }
        let hash = &hash_password(password);
        let now = Utc::now();
        retrying("adding a staff account", || async move {
            let mut tx = self.pool().begin().await?;
            let taken = query("SELECT 1 FROM staff WHERE login = $1")
                .bind(login)
                .fetch_optional(&mut tx)
                .await?
                .is_some();
            if taken {
                return Err(HqError::Invalid(format!(
                    "staff login '{login}' is taken (change its password with `storepos hq staff passwd {login}`)"
                )));
            }
            query(
                "INSERT INTO staff (login, display_name, role, password_hash, disabled, created_at)
                 VALUES ($1, $2, $3, $4, FALSE, $5)",
            )
            .bind(login)
            .bind(name)
            .bind(role.as_str())
            .bind(hash)
            .bind(now)
            .execute(&mut tx)
            .await?;
            for s in stores {
                query(
                    "INSERT INTO staff_stores (login, store_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                )
                .bind(login)
                .bind(s)
                .execute(&mut tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.staff_account(login)
            .await?
            .ok_or_else(|| HqError::Invalid(format!("staff login '{login}' vanished")))
    }

    /// Sets a staff member's password and ends their sessions.
    pub async fn staff_passwd(&self, login: &str, password: &str) -> Result<(), HqError> {
        check_password(password).map_err(HqError::Invalid)?;
        let hash = &hash_password(password);
        retrying("changing a password", || async move {
            let mut tx = self.pool().begin().await?;
            let n = query("UPDATE staff SET password_hash = $2 WHERE login = $1")
                .bind(login)
                .bind(hash)
                .execute(&mut tx)
                .await?;
            if n == 0 {
                return Err(no_such_staff(login));
            }
            query("DELETE FROM staff_sessions WHERE login = $1")
                .bind(login)
                .execute(&mut tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Disables a staff account and ends its sessions (the account and its audit trail
    /// stay).
    pub async fn staff_disable(&self, login: &str) -> Result<(), HqError> {
        retrying("disabling a staff account", || async move {
            let mut tx = self.pool().begin().await?;
            let n = query("UPDATE staff SET disabled = TRUE WHERE login = $1")
                .bind(login)
                .execute(&mut tx)
                .await?;
            if n == 0 {
                return Err(no_such_staff(login));
            }
            query("DELETE FROM staff_sessions WHERE login = $1")
                .bind(login)
                .execute(&mut tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Every staff account, by login.
    pub async fn staff_list(&self) -> Result<Vec<StaffAccount>, HqError> {
        let rows = query(
            "SELECT s.login, s.display_name, s.role, s.disabled, s.created_at, ss.store_id
             FROM staff s LEFT JOIN staff_stores ss ON ss.login = s.login
             ORDER BY s.login, ss.store_id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<StaffAccount> = Vec::new();
        for r in rows {
            let login: String = r.get(0);
            let store: Option<String> = r.get(5);
            if out.last().is_none_or(|a| a.login != login) {
                let role: String = r.get(2);
                out.push(StaffAccount {
                    login,
                    name: r.get(1),
                    role: Role::parse(&role).map_err(HqError::Invalid)?,
                    stores: Vec::new(),
                    disabled: r.get(3),
                    created_at: r.get(4),
                });
            }
            if let (Some(s), Some(a)) = (store, out.last_mut()) {
                a.stores.push(s);
            }
        }
        Ok(out)
    }

    /// One staff account.
    pub async fn staff_account(&self, login: &str) -> Result<Option<StaffAccount>, HqError> {
        Ok(self
            .staff_list_where(login)
            .await?
            .into_iter()
            .find(|a| a.login == login))
    }

    async fn staff_list_where(&self, login: &str) -> Result<Vec<StaffAccount>, HqError> {
        let rows = query(
            "SELECT s.login, s.display_name, s.role, s.disabled, s.created_at, ss.store_id
             FROM staff s LEFT JOIN staff_stores ss ON ss.login = s.login
             WHERE s.login = $1 ORDER BY ss.store_id",
        )
        .bind(login)
        .fetch_all(self.pool())
        .await?;
        let mut account: Option<StaffAccount> = None;
        for r in rows {
            let store: Option<String> = r.get(5);
            let a = match &mut account {
                Some(a) => a,
                None => {
                    let role: String = r.get(2);
                    account.insert(StaffAccount {
                        login: r.get(0),
                        name: r.get(1),
                        role: Role::parse(&role).map_err(HqError::Invalid)?,
                        stores: Vec::new(),
                        disabled: r.get(3),
                        created_at: r.get(4),
                    })
                }
            };
            if let Some(s) = store {
                a.stores.push(s);
            }
        }
        Ok(account.into_iter().collect())
    }
}

fn no_such_staff(login: &str) -> HqError {
    HqError::Invalid(format!("no staff login '{login}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_name_themselves() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(Role::parse("store-manager"), Ok(Role::StoreManager));
        assert!(Role::parse("root").unwrap_err().contains("not a role"));
    }

    #[test]
    fn each_role_may_do_its_work_only() {
        use Permission::*;
        assert!(Role::Admin.may(Audit));
        assert!(Role::Marketing.may(Campaigns) && !Role::Marketing.may(PointsAdjust));
        assert!(Role::CustomerService.may(PointsAdjust) && !Role::CustomerService.may(Reports));
        assert!(Role::CustomerService.may(Cards) && !Role::Marketing.may(Cards));
        assert!(!Role::StoreManager.may(Cards) && !Role::Finance.may(Cards));
        assert!(Role::Finance.may(Reconciliation) && !Role::Finance.may(Complaints));
        assert!(Role::StoreManager.may(Tills) && !Role::StoreManager.may(MembersRead));
        for r in Role::ALL {
            assert_eq!(r.may(Audit), r == Role::Admin);
        }
    }

    #[test]
    fn a_store_manager_sees_their_stores_only() {
        let m = Principal {
            login: "li".into(),
            name: "Li".into(),
            role: Role::StoreManager,
            stores: vec!["S001".into()],
            token: false,
        };
        assert!(m.check_store("S001").is_ok());
        assert!(m.check_store("S002").is_err());
        assert_eq!(m.one_store(None), Ok(Some("S001".into())));
        assert!(m.one_store(Some("S002")).is_err());
        let two = Principal {
            stores: vec!["S001".into(), "S003".into()],
            ..m
        };
        assert!(two.one_store(None).is_err());
        assert_eq!(Principal::admin_token().one_store(None), Ok(None));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(check_password("short").is_err());
        assert!(check_login("a b").is_err() && check_login("li.na@s001").is_ok());
    }
}
