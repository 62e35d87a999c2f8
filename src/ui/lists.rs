//! A batch of shopping lists being printed from the manager screen: the members still to
//! print, how many printed and which failed, and the share done for the progress bar. Each
//! list is printed by the caller through the terminal's `print_list` command; this only
//! keeps count.

/// A batch run in progress.
#[derive(Debug, Default)]
pub struct BatchRun {
    pub members: Vec<String>,
    pub next: usize,
    pub printed: usize,
    /// Members whose list did not print, with the reason.
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

    /// Prints the next member's list with `print`; false when nothing was left.
    pub fn step(&mut self, print: impl FnOnce(&str) -> Result<(), String>) -> bool {
        let Some(member) = self.members.get(self.next) else {
            return false;
        };
        match print(member) {
            Ok(()) => self.printed += 1,
            Err(e) => self.failed.push((member.clone(), e)),
        }
        self.next += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails_for(bad: &str) -> impl Fn(&str) -> Result<(), String> + '_ {
        move |member| {
            if member == bad {
                Err("paper out".into())
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn a_batch_counts_printed_and_failed_lists_and_reaches_one() {
        let mut run = BatchRun::new(vec!["a".into(), "b".into(), "c".into(), "d".into()]);
        let print = fails_for("c");
        assert_eq!(run.progress(), 0.0);
        assert!(run.step(&print));
        assert_eq!(run.progress(), 0.25);
        while run.step(&print) {}
        assert!(run.finished());
        assert_eq!(run.progress(), 1.0);
        assert_eq!(run.printed, 3);
        assert_eq!(run.failed, vec![("c".to_string(), "paper out".to_string())]);
        assert!(!run.step(&print));
    }

    #[test]
    fn an_empty_batch_is_done_at_once() {
        let run = BatchRun::new(Vec::new());
        assert!(run.finished());
        assert_eq!(run.progress(), 1.0);
    }
}
