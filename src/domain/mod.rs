//! The pure domain core: money, tax, GS1 identifiers, products, members, stores and
//! operators. Nothing here does I/O or reads the clock; time comes in as an argument.

pub mod basket;
pub mod coupon;
pub mod gs1;
pub mod lists;
pub mod loyalty;
pub mod member;
pub mod money;
pub mod org;
pub mod product;
pub mod promotion;
mod promotion_engine;
pub mod rounding;
pub mod sale;
pub mod scan;
pub mod tax;
pub mod text;

pub use gs1::{Gtin, GtinError, ScannedItem, VariableMeasureLayout};
pub use member::Member;
pub use money::{Currency, Money, Quantity};
pub use org::{Operator, Role, Store, Terminal};
pub use product::{BonusPoints, BrandType, Product};
pub use tax::{TaxMode, TaxRate};
