//! One allocation per distinct text of a log: SCM events repeat the same service names, display
//! names and states hundreds of thousands of times in a large case.

use foldhash::HashSet;
use std::sync::Arc;

/// Distinct texts kept before the set starts over: bounds memory on crafted input (every value
/// unique); real logs repeat far fewer.
const MAX_DISTINCT: usize = 16_384;

/// The texts seen so far in one log (foldhash: looked up for every event; the cap bounds what
/// crafted input can do to the set).
#[derive(Default)]
pub struct SharedText {
    seen: HashSet<Arc<str>>,
}

impl SharedText {
    /// The shared copy of `text`.
    pub fn share(&mut self, text: &str) -> Arc<str> {
        if let Some(known) = self.seen.get(text) {
            return known.clone();
        }
        if self.seen.len() >= MAX_DISTINCT {
            self.seen.clear();
        }
        let text: Arc<str> = text.into();
        self.seen.insert(text.clone());
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_allocation() {
        let mut shared = SharedText::default();
        let a = shared.share("running");
        let b = shared.share(&String::from("running"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &shared.share("stopped")));
    }
}
