//! Real-time printer status (`DLE EOT n`) parsed into paper, cover, drawer and online states.
//!
//! Three requests are made — printer status (1), offline cause (2) and roll-paper sensor
//! (4) — and each answers one byte of the form `0xx1xx10`. The `escpos` crate checks that
//! pattern and names the bits; a byte that does not match is a bad reply and the status is
//! unknown rather than guessed.

use escpos::utils::{RealTimeStatusRequest, RealTimeStatusResponse};

use crate::device::DeviceStatus;
use crate::error::ErrorKind;

/// Paper supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperState {
    /// Enough paper.
    Ok,
    /// The near-end sensor sees the roll running low.
    NearEnd,
    /// No paper.
    Out,
}

/// The printer's state from one round of status requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrinterStatus {
    /// The printer is online (ready to print).
    pub online: bool,
    /// The cover is open.
    pub cover_open: bool,
    /// Paper supply.
    pub paper: PaperState,
    /// Level of the drawer-kick connector pin 3 (drawer-open switch) is high.
    pub drawer_pin_high: bool,
    /// The printer reports an error (cutter jam, overheating …).
    pub error: bool,
}

/// The bytes that ask for a full status: `DLE EOT 1`, `DLE EOT 2`, `DLE EOT 4`.
pub const STATUS_QUERY: [u8; 9] = [0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4];

fn flags(
    req: RealTimeStatusRequest,
    byte: u8,
) -> Result<std::collections::HashMap<RealTimeStatusResponse, bool>, ErrorKind> {
    RealTimeStatusResponse::parse(req, byte)
        .map_err(|e| ErrorKind::BadFrame(format!("status reply {byte:#04x}: {e}")))
}

impl PrinterStatus {
    /// Parses the three reply bytes to [`STATUS_QUERY`].
    pub fn parse(replies: [u8; 3]) -> Result<Self, ErrorKind> {
        use RealTimeStatusResponse as R;
        let printer = flags(RealTimeStatusRequest::Printer, replies[0])?;
        let offline = flags(RealTimeStatusRequest::OfflineCause, replies[1])?;
        let paper = flags(RealTimeStatusRequest::RollPaperSensor, replies[2])?;
        let get =
            |m: &std::collections::HashMap<R, bool>, k: R| m.get(&k).copied().unwrap_or(false);
        let paper_state = if !get(&paper, R::RollPaperEndSensorPaperPresent)
            || get(&offline, R::PrintingStopsDueToPaperEnd)
        {
            PaperState::Out
        } else if !get(&paper, R::RollPaperNearEndSensorPaperAdequate) {
            PaperState::NearEnd
        } else {
            PaperState::Ok
        };
        Ok(Self {
            online: get(&printer, R::Online),
            cover_open: !get(&offline, R::CoverClosed),
            paper: paper_state,
            drawer_pin_high: !get(&printer, R::DrawerKickOutConnectorPin3Low),
            error: get(&offline, R::ErrorOccurred),
        })
    }

    /// Encodes a status as the three reply bytes (for the virtual printer).
    pub fn to_replies(&self) -> [u8; 3] {
        let mut printer = 0b0001_0010u8;
        if self.drawer_pin_high {
            printer |= 0x04;
        }
        if !self.online {
            printer |= 0x08;
        }
        let mut offline = 0b0001_0010u8;
        if self.cover_open {
            offline |= 0x04;
        }
        if self.paper == PaperState::Out {
            offline |= 0x20;
        }
        if self.error {
            offline |= 0x40;
        }
        let mut paper = 0b0001_0010u8;
        match self.paper {
            PaperState::Ok => {}
            PaperState::NearEnd => paper |= 0x0C,
            PaperState::Out => paper |= 0x6C,
        }
        [printer, offline, paper]
    }

    /// A healthy, idle printer.
    pub fn ready() -> Self {
        Self {
            online: true,
            cover_open: false,
            paper: PaperState::Ok,
            drawer_pin_high: false,
            error: false,
        }
    }

    /// Status events for what changed from `before` (all current conditions if `None`).
    /// Drawer changes are reported by the cash drawer, which knows the pin polarity.
    pub fn changes_from(&self, before: Option<&PrinterStatus>) -> Vec<DeviceStatus> {
        let mut out = Vec::new();
        let paper_before = before.map(|b| b.paper);
        if paper_before != Some(self.paper) {
            out.push(match self.paper {
                PaperState::Ok if paper_before.is_some() => DeviceStatus::PaperOk,
                PaperState::Ok => return self.cover_changes(before, out),
                PaperState::NearEnd => DeviceStatus::PaperNearEnd,
                PaperState::Out => DeviceStatus::PaperOut,
            });
        }
        self.cover_changes(before, out)
    }

    fn cover_changes(
        &self,
        before: Option<&PrinterStatus>,
        mut out: Vec<DeviceStatus>,
    ) -> Vec<DeviceStatus> {
        match (before.map(|b| b.cover_open), self.cover_open) {
            (Some(false) | None, true) => out.push(DeviceStatus::CoverOpen),
            (Some(true), false) => out.push(DeviceStatus::CoverClosed),
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ready_printer() {
        let s = PrinterStatus::parse([0x12, 0x12, 0x12]).unwrap();
        assert_eq!(s, PrinterStatus::ready());
    }

    #[test]
    fn parses_paper_cover_drawer() {
        // Drawer pin high + offline; cover open + paper end stop; paper end sensors.
        let s = PrinterStatus::parse([0x1E, 0x36, 0x72]).unwrap();
        assert!(s.drawer_pin_high && !s.online && s.cover_open);
        assert_eq!(s.paper, PaperState::Out);
        let s = PrinterStatus::parse([0x12, 0x12, 0x1E]).unwrap();
        assert_eq!(s.paper, PaperState::NearEnd);
    }

    #[test]
    fn rejects_bytes_outside_the_pattern() {
        assert!(PrinterStatus::parse([0xFF, 0x12, 0x12]).is_err());
        assert!(PrinterStatus::parse([0x12, 0x00, 0x12]).is_err());
    }

    #[test]
    fn replies_round_trip() {
        for paper in [PaperState::Ok, PaperState::NearEnd, PaperState::Out] {
            for cover_open in [false, true] {
                for drawer_pin_high in [false, true] {
                    let s = PrinterStatus {
                        online: !cover_open,
                        cover_open,
                        paper,
                        drawer_pin_high,
                        error: false,
                    };
                    assert_eq!(PrinterStatus::parse(s.to_replies()).unwrap(), s);
                }
            }
        }
    }

    #[test]
    fn changes() {
        let ok = PrinterStatus::ready();
        assert!(ok.changes_from(None).is_empty());
        let out = PrinterStatus {
            paper: PaperState::Out,
            cover_open: true,
            ..ok
        };
        assert_eq!(
            out.changes_from(Some(&ok)),
            vec![DeviceStatus::PaperOut, DeviceStatus::CoverOpen]
        );
        assert_eq!(
            ok.changes_from(Some(&out)),
            vec![DeviceStatus::PaperOk, DeviceStatus::CoverClosed]
        );
    }
}
