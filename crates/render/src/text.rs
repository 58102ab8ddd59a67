//! Text helpers shared by the renderers.

/// Removes control characters (terminal escape sequences in attacker-written strings) and
/// shortens to `max` characters with an ellipsis.
pub(crate) fn clean(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cleaned.chars().count() <= max {
        cleaned
    } else {
        let mut short: String = cleaned.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// The ids of attention flags, joined by `sep`.
pub(crate) fn flag_ids(flags: &[konseki_model::Attention], sep: &str) -> String {
    flags
        .iter()
        .map(|f| f.id.as_str())
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes_and_shortens() {
        assert_eq!(clean("a\x1b[31mb", 20), "a [31mb");
        assert_eq!(clean("abcdef", 4), "abc…");
    }
}
