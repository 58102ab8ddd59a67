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

/// The service's ImagePath as configured (raw, first control set), else as its installation
/// logged it (7045/4697), else empty.
pub(crate) fn image_path(s: &konseki_model::ServiceReport) -> String {
    let installed = || {
        s.events.iter().find_map(|e| match &e.what {
            konseki_model::ScmEventKind::Installed { install } => Some(install.image_path.clone()),
            _ => None,
        })
    };
    s.configs
        .first()
        .and_then(|c| c.image_path.as_ref().map(|i| i.raw.clone()))
        .or_else(installed)
        .unwrap_or_default()
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
