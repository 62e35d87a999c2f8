//! Bar patterns for drawing CODE128 and EAN-13 as a printer would (ISO/IEC 15417, 15420).

use crate::scanner::aim::gs1_check_digit;

/// CODE128 element widths (bar, space, …) for symbol values 0–106 (106 is the stop).
const CODE128: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

const START_A: usize = 103;
const START_B: usize = 104;
const START_C: usize = 105;
const STOP: usize = 106;

fn push_pattern(out: &mut Vec<bool>, pattern: &str) {
    for (i, w) in pattern.bytes().enumerate() {
        for _ in 0..(w - b'0') {
            out.push(i % 2 == 0);
        }
    }
}

/// Decodes ESC/POS CODE128 data (`{A`/`{B`/`{C` code-set selection, `{{` for `{`) into
/// symbol values and the human-readable text. `None` if the data is malformed.
pub fn code128_values(data: &[u8]) -> Option<(Vec<usize>, String)> {
    let mut values = Vec::with_capacity(data.len() + 3);
    let mut text = String::new();
    let mut set = match data {
        [b'{', b'A', ..] => b'A',
        [b'{', b'B', ..] => b'B',
        [b'{', b'C', ..] => b'C',
        _ => return None,
    };
    values.push(match set {
        b'A' => START_A,
        b'B' => START_B,
        _ => START_C,
    });
    let mut i = 2;
    while i < data.len() {
        let b = data[i];
        if b == b'{' {
            let next = *data.get(i + 1)?;
            i += 2;
            match (next, set) {
                (b'{', b'A' | b'B') => {
                    values.push(usize::from(b'{' - 0x20));
                    text.push('{');
                }
                (b'A', _) => {
                    values.push(101);
                    set = b'A';
                }
                (b'B', _) => {
                    values.push(100);
                    set = b'B';
                }
                (b'C', _) => {
                    values.push(99);
                    set = b'C';
                }
                (b'1', _) => values.push(102),
                _ => return None,
            }
            continue;
        }
        match set {
            b'C' => {
                if b > 99 {
                    return None;
                }
                values.push(usize::from(b));
                text.push_str(&format!("{b:02}"));
            }
            b'B' => {
                if !(0x20..=0x7F).contains(&b) {
                    return None;
                }
                values.push(usize::from(b - 0x20));
                text.push(b as char);
            }
            _ => {
                if b >= 0x60 {
                    return None;
                }
                values.push(if b < 0x20 {
                    usize::from(b) + 64
                } else {
                    usize::from(b - 0x20)
                });
                if b >= 0x20 {
                    text.push(b as char);
                }
            }
        }
        i += 1;
    }
    if values.len() < 2 {
        return None;
    }
    let check = values
        .iter()
        .enumerate()
        .map(|(pos, v)| v * pos.max(1))
        .sum::<usize>()
        % 103;
    values.push(check);
    values.push(STOP);
    Some((values, text))
}

/// Modules (true = bar) of a CODE128 symbol for ESC/POS data, and its text.
pub fn code128_modules(data: &[u8]) -> Option<(Vec<bool>, String)> {
    let (values, text) = code128_values(data)?;
    let mut out = Vec::with_capacity(values.len() * 11 + 2);
    for v in values {
        push_pattern(&mut out, CODE128[v]);
    }
    Some((out, text))
}

const EAN_L: [&str; 10] = [
    "0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011",
    "0110111", "0001011",
];
const EAN_G: [&str; 10] = [
    "0100111", "0110011", "0011011", "0100001", "0011101", "0111001", "0000101", "0010001",
    "0001001", "0010111",
];
const EAN_R: [&str; 10] = [
    "1110010", "1100110", "1101100", "1000010", "1011100", "1001110", "1010000", "1000100",
    "1001000", "1110100",
];
const EAN_PARITY: [&str; 10] = [
    "LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL",
    "LGGLGL",
];

fn push_bits(out: &mut Vec<bool>, bits: &str) {
    out.extend(bits.bytes().map(|b| b == b'1'));
}

/// Modules of an EAN-13 symbol for 12 digits (check digit computed) or 13 digits (check
/// digit verified), and the 13-digit text. `None` if the data is not valid EAN-13.
pub fn ean13_modules(data: &[u8]) -> Option<(Vec<bool>, String)> {
    if !(data.len() == 12 || data.len() == 13) || !data.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let check = gs1_check_digit(&data[..12]);
    if data.len() == 13 && data[12] != check {
        return None;
    }
    let mut digits = data[..12].to_vec();
    digits.push(check);
    let d: Vec<usize> = digits.iter().map(|b| usize::from(b - b'0')).collect();
    let mut out = Vec::with_capacity(95);
    push_bits(&mut out, "101");
    for (i, parity) in EAN_PARITY[d[0]].bytes().enumerate() {
        let table = if parity == b'L' { &EAN_L } else { &EAN_G };
        push_bits(&mut out, table[d[i + 1]]);
    }
    push_bits(&mut out, "01010");
    for &digit in &d[7..13] {
        push_bits(&mut out, EAN_R[digit]);
    }
    push_bits(&mut out, "101");
    Some((out, String::from_utf8_lossy(&digits).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code128_table_is_well_formed() {
        for (i, p) in CODE128.iter().enumerate() {
            let sum: u32 = p.bytes().map(|b| u32::from(b - b'0')).sum();
            assert_eq!(sum, if i == STOP { 13 } else { 11 }, "pattern {i}");
        }
    }

    #[test]
    fn code128_checksum_and_sets() {
        // 104 + 48·1 + 42·2 + 42·3 + 17·4 + 18·5 + 19·6 + 35·7 = 879 ≡ 55 (mod 103)
        let (values, text) = code128_values(b"{BPJJ123C").unwrap();
        assert_eq!(text, "PJJ123C");
        assert_eq!(values[values.len() - 2], 55);
        let (values, text) = code128_values(&[b'{', b'C', 20, 12, 34]).unwrap();
        assert_eq!(text, "201234");
        assert_eq!(&values[..4], &[START_C, 20, 12, 34]);
        let (m, _) = code128_modules(b"{BAB").unwrap();
        assert_eq!(m.len(), 11 * 4 + 13);
        assert!(code128_values(b"AB").is_none());
        assert!(code128_values(b"{C\xff").is_none());
        assert!(code128_values(b"{B{").is_none());
    }

    #[test]
    fn ean13() {
        let (m, text) = ean13_modules(b"400638133393").unwrap();
        assert_eq!(text, "4006381333931");
        assert_eq!(m.len(), 95);
        assert!(ean13_modules(b"4006381333932").is_none());
        assert!(ean13_modules(b"40063813339").is_none());
    }
}
