//! `storepos doctor` over a mix of simulated, pseudo-terminal and missing devices.

use crate::common::Pty;
use storepos_drivers::card::CardReaderConfig;
use storepos_drivers::doctor::{self, Attachment};
use storepos_drivers::scanner::ScannerConfig;
use storepos_drivers::{DeviceCategory, DeviceConfigs, HealthLevel};

#[test]
fn doctor_checks_configured_devices_and_lists_hardware() {
    let pty = Pty::new();
    let configs = DeviceConfigs {
        scanner: ScannerConfig::Serial {
            path: pty.path.clone(),
            baud: 9600,
            prefix: String::new(),
            suffix: "\r".into(),
        },
        card_reader: CardReaderConfig::Pn532 {
            path: "/dev/ttyUSB-storepos-missing".into(),
            baud: 115_200,
        },
        ..Default::default()
    };
    let report = doctor::report(&configs);
    assert_eq!(report.configured.len(), 5);
    let scanner = &report.configured[0];
    assert_eq!(scanner.category, DeviceCategory::Scanner);
    assert_eq!(scanner.attachment, Attachment::Serial(pty.path.clone()));
    assert_eq!(
        scanner.health.level,
        HealthLevel::Ok,
        "{:?}",
        scanner.health
    );
    let card = &report.configured[1];
    assert_eq!(card.health.level, HealthLevel::Failed);
    assert!(
        card.health.detail.contains("does not exist"),
        "{}",
        card.health.detail
    );
    assert!(card.hint.as_deref().unwrap().contains("not plugged in"));
    for simulated in &report.configured[2..] {
        assert_eq!(simulated.health.level, HealthLevel::Ok, "{simulated:?}");
    }
    assert!(!report.all_ok());
    let text = report.to_string();
    assert!(text.contains("Configured devices:"));
    assert!(text.contains("[FAILED ] card reader"));
    assert!(text.contains("Serial ports found:"));
    assert!(text.contains("USB printers found:"));
    assert!(text.contains("Input devices found:"));
    assert!(text.ends_with("Some configured devices need attention (see above)."));
    // Whatever this machine has, the doctor reports without failing.
    println!("{text}");
}

#[test]
fn all_simulated_is_healthy() {
    let report = doctor::report(&DeviceConfigs::default());
    assert!(report.all_ok(), "{report}");
    assert!(
        report
            .configured
            .iter()
            .all(|c| c.attachment == Attachment::Simulated)
    );
}
