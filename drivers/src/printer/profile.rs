//! Printer profiles: paper width (58 mm or 80 mm) and the code page used for text.

use serde::{Deserialize, Serialize};

/// Paper roll width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub enum PaperWidth {
    /// 58 mm roll: 384 dots, 32 characters of font A.
    #[serde(rename = "58mm")]
    Mm58,
    /// 80 mm roll: 576 dots, 48 characters of font A.
    #[default]
    #[serde(rename = "80mm")]
    Mm80,
}

/// How text is encoded for the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePage {
    /// Chinese printers: Kanji mode on (`FS &`), text in GB18030, `¥` printed as `￥`.
    #[default]
    Gb18030,
    /// Plain ASCII; other characters print as `?`.
    Ascii,
}

/// What the encoder needs to know about a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct PrinterProfile {
    /// Paper width.
    pub paper: PaperWidth,
    /// Code page.
    pub code_page: CodePage,
}

impl PrinterProfile {
    /// 58 mm with GB18030.
    pub fn mm58() -> Self {
        Self {
            paper: PaperWidth::Mm58,
            code_page: CodePage::Gb18030,
        }
    }

    /// 80 mm with GB18030.
    pub fn mm80() -> Self {
        Self {
            paper: PaperWidth::Mm80,
            code_page: CodePage::Gb18030,
        }
    }

    /// Printable width in dots.
    pub fn dots(&self) -> u32 {
        match self.paper {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }

    /// Characters per line in font A (12 dots wide) at normal width.
    pub fn columns(&self) -> usize {
        (self.dots() / 12) as usize
    }
}

/// Display width of a character in columns: 2 for East Asian wide characters, else 1.
pub fn char_width(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// Display width of a string in columns.
pub fn text_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Cuts `s` to at most `columns` display columns.
pub fn truncate_to(s: &str, columns: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = char_width(c);
        if used + w > columns {
            return &s[..i];
        }
        used += w;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(PrinterProfile::mm58().columns(), 32);
        assert_eq!(PrinterProfile::mm80().columns(), 48);
        assert_eq!(text_width("Milk 牛奶 ￥3"), 5 + 4 + 1 + 2 + 1);
        assert_eq!(truncate_to("牛奶abc", 3), "牛");
        assert_eq!(truncate_to("ab", 5), "ab");
    }

    #[test]
    fn profile_names_in_toml() {
        #[derive(Deserialize)]
        struct W {
            paper: PaperWidth,
            code_page: CodePage,
        }
        let w: W = toml::from_str("paper = \"58mm\"\ncode_page = \"ascii\"").unwrap();
        assert_eq!(w.paper, PaperWidth::Mm58);
        assert_eq!(w.code_page, CodePage::Ascii);
    }
}
