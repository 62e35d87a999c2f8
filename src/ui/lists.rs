//! Printing personalised shopping lists from the till: the UI binds to [`ListPrinter`] so
//! the list engine can be plugged in where it is available. Without one the manager screen
//! says plainly that list printing is unavailable.

/// Prints members' personalised shopping lists on the till's printer.
pub trait ListPrinter {
    /// Prints the list of one member (card, phone or member id); says what was printed.
    fn print_for(&mut self, member: &str) -> Result<String, String>;
    /// The members a batch run prints lists for, in order.
    fn batch(&mut self) -> Result<Vec<String>, String>;
}

/// What a till without a list engine has: every request is refused with the reason.
pub struct Unavailable;

impl ListPrinter for Unavailable {
    fn print_for(&mut self, _member: &str) -> Result<String, String> {
        Err("shopping-list printing is not available on this till".into())
    }
    fn batch(&mut self) -> Result<Vec<String>, String> {
        Err("shopping-list printing is not available on this till".into())
    }
}

/// A batch run in progress: the members still to print and how many were done.
#[derive(Debug, Default)]
pub struct BatchRun {
    pub members: Vec<String>,
    pub next: usize,
    pub printed: usize,
    pub failed: Vec<(String, String)>,
}

impl BatchRun {
    pub fn new(members: Vec<String>) -> BatchRun {
        BatchRun {
            members,
            ..BatchRun::default()
        }
    }

    /// Share done, from 0 to 1 (an empty batch is done).
    pub fn progress(&self) -> f32 {
        if self.members.is_empty() {
            1.0
        } else {
            self.next as f32 / self.members.len() as f32
        }
    }

    pub fn finished(&self) -> bool {
        self.next >= self.members.len()
    }

    /// Prints the next member's list; false when nothing was left.
    pub fn step(&mut self, printer: &mut dyn ListPrinter) -> bool {
        let Some(member) = self.members.get(self.next) else {
            return false;
        };
        match printer.print_for(member) {
            Ok(_) => self.printed += 1,
            Err(e) => self.failed.push((member.clone(), e)),
        }
        self.next += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fails(&'static str);
    impl ListPrinter for Fails {
        fn print_for(&mut self, member: &str) -> Result<String, String> {
            if member == self.0 {
                Err("paper out".into())
            } else {
                Ok(format!("list for {member}"))
            }
        }
        fn batch(&mut self) -> Result<Vec<String>, String> {
            Ok(vec![])
        }
    }

    #[test]
    fn a_batch_counts_printed_and_failed_lists_and_reaches_one() {
        let mut run = BatchRun::new(vec!["a".into(), "b".into(), "c".into(), "d".into()]);
        let mut printer = Fails("c");
        assert_eq!(run.progress(), 0.0);
        assert!(run.step(&mut printer));
        assert_eq!(run.progress(), 0.25);
        while run.step(&mut printer) {}
        assert!(run.finished());
        assert_eq!(run.progress(), 1.0);
        assert_eq!(run.printed, 3);
        assert_eq!(run.failed, vec![("c".to_string(), "paper out".to_string())]);
        assert!(!run.step(&mut printer));
    }

    #[test]
    fn without_an_engine_every_request_is_refused() {
        assert!(Unavailable.print_for("6200123412341234").is_err());
        assert!(Unavailable.batch().is_err());
    }
}
