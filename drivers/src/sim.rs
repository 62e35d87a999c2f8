//! Device scripts: lines such as `scan ]E04006381333931`, `swipe ;6012…?`, `tap 04A1B2C3`
//! and `wait 200`, run against the simulators of the demo store.
//!
//! The simulators themselves live with their devices ([`ScannerSim`] in
//! [`crate::scanner`], [`CardReaderSim`] in [`crate::card`]); this module only drives them,
//! so nothing below depends on it.

use std::time::Duration;

use crate::card::CardReaderSim;
use crate::scanner::ScannerSim;

/// One step of a device script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptStep {
    /// `scan <payload>`
    Scan(String),
    /// `swipe <tracks>`
    Swipe(String),
    /// `tap <uid>`
    Tap(String),
    /// `wait <milliseconds>`
    Wait(u64),
}

/// A script line that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device script line {line}: {message}")]
pub struct ScriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a device script. Each non-empty line that is not a `#` comment is one of
/// `scan <payload>`, `swipe <tracks>`, `tap <uid>`, `wait <ms>`. The whole script is
/// checked before anything runs, so a bad script changes nothing.
pub fn parse_script(text: &str) -> Result<Vec<ScriptStep>, ScriptError> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| ScriptError {
            line: i + 1,
            message,
        };
        let (verb, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let arg = arg.trim();
        if arg.is_empty() {
            return Err(err(format!("`{verb}` needs an argument")));
        }
        steps.push(match verb {
            "scan" => ScriptStep::Scan(arg.to_string()),
            "swipe" => ScriptStep::Swipe(arg.to_string()),
            "tap" => ScriptStep::Tap(arg.to_string()),
            "wait" => ScriptStep::Wait(
                arg.parse()
                    .map_err(|_| err(format!("`wait` needs milliseconds, got {arg:?}")))?,
            ),
            other => return Err(err(format!("unknown command `{other}`"))),
        });
    }
    Ok(steps)
}

/// Runs a parsed script against the simulators. Steps for a missing simulator fail.
pub fn run_script(
    steps: &[ScriptStep],
    scanner: Option<&ScannerSim>,
    cards: Option<&CardReaderSim>,
) -> Result<(), ScriptError> {
    for (i, step) in steps.iter().enumerate() {
        let missing = |what: &str| ScriptError {
            line: i + 1,
            message: format!("no simulated {what} is configured"),
        };
        match step {
            ScriptStep::Scan(p) => {
                scanner.ok_or_else(|| missing("scanner"))?.scan(p);
            }
            ScriptStep::Swipe(t) => {
                cards.ok_or_else(|| missing("card reader"))?.swipe(t);
            }
            ScriptStep::Tap(u) => {
                cards.ok_or_else(|| missing("card reader"))?.tap(u);
            }
            ScriptStep::Wait(ms) => std::thread::sleep(Duration::from_millis(*ms)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Device, DeviceEvent, InputDevice};
    use crate::scanner::Symbology;

    #[test]
    fn a_script_scans_through_real_decoding() {
        let (mut dev, sim) = ScannerSim::new();
        dev.start().unwrap();
        let steps =
            parse_script("# demo\nscan ]E04006381333931\n\nscan ]E04006381333932\n").unwrap();
        run_script(&steps, Some(&sim), None).unwrap();
        match dev.poll_event(Duration::from_secs(1)) {
            Some(DeviceEvent::Data(d)) => {
                assert_eq!(d.symbology, Symbology::Ean13);
                assert_eq!(d.label, "4006381333931");
            }
            other => panic!("expected a scan, got {other:?}"),
        }
        assert!(matches!(
            dev.poll_event(Duration::from_secs(1)),
            Some(DeviceEvent::Error(_))
        ));
    }

    #[test]
    fn a_script_swipes_and_taps() {
        let (mut dev, sim) = CardReaderSim::new();
        dev.start().unwrap();
        let steps = parse_script("tap 04:a1:b2:c3\nswipe ;6012345678901234=2712?").unwrap();
        run_script(&steps, None, Some(&sim)).unwrap();
        let mut numbers = Vec::new();
        while let Some(DeviceEvent::Data(c)) = dev.poll_event(Duration::from_secs(1)) {
            numbers.push(c.card_number);
            if numbers.len() == 2 {
                break;
            }
        }
        assert_eq!(numbers, ["04A1B2C3", "6012345678901234"]);
    }

    #[test]
    fn bad_scripts_are_rejected_before_running() {
        let e = parse_script("scan 123\nbeep 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse_script("wait soon").is_err());
        assert!(parse_script("tap").is_err());
        let steps = parse_script("swipe ;1234?").unwrap();
        assert!(run_script(&steps, None, None).is_err());
    }
}
