//! Refusals worded in Simplified Chinese for the touch UI's Chinese screens. Each error
//! type's variants are matched here (their values already formatted, money as money);
//! sentences carried as [`Said`](super::Said) bring their own Chinese. A fault that only
//! a technician can read (storage, configuration) keeps its English detail after a
//! Chinese sentence saying what happened.

use super::CommandError;
use crate::domain::basket::BasketError;
use crate::domain::gs1::GtinError;
use crate::domain::money::MoneyError;
use crate::domain::scan::PricingError;
use crate::store::catalogue::ScanError;
use storepos_drivers::ScaleError;

impl CommandError {
    /// This refusal in Simplified Chinese.
    pub fn in_chinese(&self) -> String {
        use CommandError as E;
        match self {
            E::NotSignedIn => "请先登录".into(),
            E::NoShift => "请先开班".into(),
            E::BadCredentials => "工号或密码不正确".into(),
            E::Amount(e) => money(e),
            E::AboveLimit {
                what,
                amount,
                max,
                key,
            } => format!(
                "{amount} 超过本机{}的上限 {max}（设置项 `{key}`）",
                ceiling(what)
            ),
            E::Scan(e) => scan(e),
            E::Basket(e) => basket(e),
            E::ApprovalRequired(what) => format!("{}需要主管批准", action(what)),
            E::NothingToApprove => "没有等待批准的操作".into(),
            E::NotAllowed(name) => format!("{name} 无权批准，需要主管或经理"),
            E::EmptyBasket => "购物篮是空的".into(),
            E::Invalid(said) | E::BadCard(said) | E::Coupon(said) => said.in_chinese(),
            E::UnknownMember(query) => format!("没有会员与“{query}”相符"),
            E::SettleFirst => "请等前几单保存完成".into(),
            E::Commit(why) => format!("交易未能保存：{why}"),
            E::WeightRequired(name) => {
                format!("{name} 按重量销售，本机没有接秤：请输入重量（千克）")
            }
            E::Scale(e) => scale(e),
            E::AgeCheckRequired(names) => {
                format!("请先核实顾客年龄（限售商品：{names}）：确认已成年，或拒绝并移除")
            }
            E::NothingToCheck => "没有等待核实年龄的限售商品".into(),
            E::Store(e) => format!("本机数据出错：{e}"),
        }
    }
}

/// The amount ceilings' names ([`super::Ceiling`]).
fn ceiling(what: &str) -> &'static str {
    match what {
        "tender" => "单笔付款",
        "cash amount" => "现金金额",
        "price or discount" => "价格或折扣",
        _ => "金额",
    }
}

/// What waits for a supervisor's approval.
fn action(what: &str) -> String {
    match what {
        "a return" => "退货".into(),
        "a price override" => "改价".into(),
        "a discount above the cashier's limit" => "超出收银员权限的折扣".into(),
        "voiding the sale" => "整单作废".into(),
        "taking cash out of the drawer" => "从钱箱取现".into(),
        "opening the drawer without a sale" => "无交易开钱箱".into(),
        "cash in" => "放入现金".into(),
        other => format!("此操作（{other}）"),
    }
}

fn money(e: &MoneyError) -> String {
    match e {
        MoneyError::Empty => "请输入金额".into(),
        MoneyError::Malformed(text) => format!("“{text}”不是金额（例如 12.30）"),
        MoneyError::TooPrecise { input, max } => format!("“{input}”的小数位超过 {max} 位"),
        MoneyError::Overflow(text) => format!("“{text}”太大"),
        MoneyError::UnknownCurrency(code) => format!("“{code}”不是币种代码"),
        MoneyError::CurrencyMismatch(a, b) => format!("{a} 与 {b} 不能相加减"),
    }
}

fn scan(e: &ScanError) -> String {
    match e {
        ScanError::Barcode(g) => match g {
            GtinError::Empty => "条码是空的".into(),
            GtinError::Length { code, len } => {
                format!("“{code}”有 {len} 位；商品条码应为 8、12、13 或 14 位")
            }
            GtinError::NotDigit { code, ch, position } => {
                format!("“{code}”第 {position} 位是“{ch}”；商品条码只有数字")
            }
            GtinError::CheckDigit {
                code,
                expected,
                found,
            } => format!("“{code}”的校验位是 {found}，应为 {expected}：条码读错或输错，请重扫"),
        },
        ScanError::UnknownItem(code) => format!("商品 {code} 不在商品目录中"),
        ScanError::UnknownPlu { code, item_code } => {
            format!("店内条码 {code} 的商品编码 {item_code} 没有对应商品")
        }
        ScanError::Pricing(PricingError::NeedsWeight(name)) => {
            format!("{name} 按重量销售：请放到秤上或扫描其称重标签")
        }
        ScanError::Pricing(PricingError::Overflow) => "标签上的金额太大".into(),
        ScanError::Store(e) => format!("本机数据出错：{e}"),
    }
}

fn basket(e: &BasketError) -> String {
    use BasketError as B;
    match e {
        B::UnknownLine(line) => format!("没有第 {line} 行"),
        B::VoidedLine(line) => format!("第 {line} 行已作废"),
        B::WeighedItem { line, name } => {
            format!("第 {line} 行：{name} 按重量销售，数量来自秤或标签")
        }
        B::NonPositiveQuantity(q) => format!("数量必须大于零（输入了 {q}）"),
        B::FractionalUnits { name, quantity } => {
            format!("{name} 按件销售：数量必须是整数（输入了 {quantity}）")
        }
        B::NegativeAmount { what, amount } => {
            let what = match *what {
                "line amount" => "行金额",
                "discount" => "折扣",
                "price" => "价格",
                other => other,
            };
            format!("{what}不能为负数（输入了 {amount}）")
        }
        B::DiscountAboveLine {
            line,
            discount,
            amount,
        } => format!("第 {line} 行：折扣 {discount} 超过该行金额 {amount}"),
        B::DiscountAboveSubtotal { discount, subtotal } => {
            format!("整单折扣 {discount} 超过小计 {subtotal}")
        }
        B::PercentOutOfRange(bp) => format!("百分比须在 0 至 100% 之间（输入了 {bp} 个基点）"),
        B::MissingReason => "请填写原因".into(),
        B::MissingOperator => "需要操作员工号".into(),
        B::CurrencyMismatch { expected, found } => {
            format!("金额币种为 {found}，但本单币种为 {expected}")
        }
        B::TooLarge => "金额对一行来说太大".into(),
        B::TooManyLines => format!(
            "一单最多 {} 行：请先完成本单再开新单",
            crate::domain::basket::MAX_LINES
        ),
    }
}

fn scale(e: &ScaleError) -> String {
    match e {
        ScaleError::Zero => "秤上读数为零：请把商品放到秤上".into(),
        ScaleError::Negative => "秤上读数为负：请清空秤盘并归零".into(),
        ScaleError::Overload => "秤已超载：商品超过秤的最大称量".into(),
        ScaleError::Unstable(within) => format!(
            "重量在 {:.1} 秒内未稳定：请放稳商品后重新称重",
            within.as_secs_f64()
        ),
        ScaleError::Device(e) => format!("无法读取秤：{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;

    #[test]
    fn refusals_read_in_chinese_with_their_values() {
        let money = |minor| Money::from_minor(minor, crate::domain::money::Currency::CNY);
        let e = CommandError::Basket(BasketError::DiscountAboveSubtotal {
            discount: money(12_000),
            subtotal: money(10_050),
        });
        assert_eq!(e.in_chinese(), "整单折扣 120.00 超过小计 100.50");
        let e = CommandError::Invalid(crate::said!(
            "points worth {} exceed the {} due",
            money(1000),
            money(550)
        ));
        assert_eq!(e.in_chinese(), "积分抵扣 10.00 超过应付的 5.50");
        assert_eq!(e.to_string(), "points worth 10.00 exceed the 5.50 due");
        let e = CommandError::AboveLimit {
            what: "cash amount",
            amount: money(10_000_000),
            max: money(5_000_000),
            key: "limits.max_cash",
        };
        assert!(e.in_chinese().contains("现金金额"), "{}", e.in_chinese());
        assert!(!CommandError::BadCredentials.in_chinese().is_ascii());
    }
}
