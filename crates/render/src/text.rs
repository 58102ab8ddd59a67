//! Text helpers shared by the renderers.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

/// Characters that change how a terminal shows the text around them without showing
/// themselves: Unicode's format characters (category Cf: bidirectional embeddings, overrides and
/// isolates, zero-width joiners and spaces, the byte-order mark, interlinear annotation, tags),
/// the line and paragraph separators, and fillers that render as nothing. An attacker who names a
/// file `evil\u{202E}txt.exe` makes it read `evilexe.txt`; each of these is shown as `<U+XXXX>`.
/// Sources: Unicode Standard Annex #9 (bidi controls), Unicode's `DerivedCoreProperties.txt`
/// (`Default_Ignorable_Code_Point`), CVE-2021-42574 ("Trojan Source").
const INVISIBLE: [(u32, u32); 17] = [
    (0x00AD, 0x00AD),   // soft hyphen
    (0x034F, 0x034F),   // combining grapheme joiner
    (0x061C, 0x061C),   // Arabic letter mark
    (0x115F, 0x1160),   // Hangul fillers
    (0x17B4, 0x17B5),   // Khmer inherent vowels
    (0x180B, 0x180F),   // Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),   // zero-width space/joiners, LRM, RLM
    (0x2028, 0x202E),   // line/paragraph separators, bidi embeddings and overrides
    (0x2060, 0x206F),   // word joiner, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),   // Hangul filler
    (0xFE00, 0xFE0F),   // variation selectors
    (0xFEFF, 0xFEFF),   // byte-order mark / zero-width no-break space
    (0xFFA0, 0xFFA0),   // half-width Hangul filler
    (0xFFF0, 0xFFFB),   // interlinear annotation and specials
    (0x1BCA0, 0x1BCA3), // shorthand format controls
    (0x1D173, 0x1D17A), // musical symbol format controls
    (0xE0000, 0xE0FFF), // tags, variation selectors supplement
];

fn invisible(c: char) -> bool {
    let c = c as u32;
    INVISIBLE.iter().any(|&(from, to)| (from..=to).contains(&c))
}

/// Attacker-controlled text made safe to print on a terminal, visibly: C0 and C1 control
/// characters (ESC sequences, carriage returns that overwrite a line, backspaces) are shown as
/// `\x1b`, `\n`, `\r`, `\t` or `<U+0085>`, and invisible format characters (bidi overrides,
/// zero-width characters, …) as `<U+202E>`: the examiner sees that they are there, and they act
/// on nothing. Machine formats (JSON, JSONL, CSV) keep the exact string.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let needs = |c: char| c.is_control() || invisible(c);
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs(c) => {
                let _ = write!(out, "<U+{:04X}>", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path from the evidence as printed for a human: its name comes from the examined system.
pub fn terminal_path(path: &Path) -> String {
    terminal_safe(&path.to_string_lossy()).into_owned()
}

/// Makes text terminal-safe ([`terminal_safe`]) and shortens it to `max` characters with an
/// ellipsis.
pub(crate) fn clean(text: &str, max: usize) -> String {
    let safe = terminal_safe(text);
    if safe.chars().count() <= max {
        safe.into_owned()
    } else {
        let mut short: String = safe.chars().take(max.saturating_sub(1)).collect();
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
    let installed = || s.installs().next().map(|(_, i)| i.image_path.clone());
    s.configs
        .first()
        .and_then(|c| c.image_path.as_ref().map(|i| i.raw.clone()))
        .or_else(installed)
        .unwrap_or_default()
}

/// An enum's name as the JSON writes it (`executed`, `not_resident`, `event_logged`): the one
/// spelling every export uses.
pub(crate) fn label<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_visibly_and_shortens() {
        assert_eq!(clean("a\x1b[31mb", 20), "a\\x1b[31mb");
        assert_eq!(clean("abcdef", 4), "abc…");
        assert_eq!(terminal_safe("plain C:\\x"), "plain C:\\x");
        assert!(matches!(terminal_safe("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_control_and_format_character_is_shown_not_acted_on() {
        assert_eq!(terminal_safe("a\r\nb\tc\x08"), "a\\r\\nb\\tc\\x08");
        assert_eq!(terminal_safe("\x7f\u{85}\u{9b}"), "\\x7f<U+0085><U+009B>");
        assert_eq!(terminal_safe("evil\u{202E}txt.exe"), "evil<U+202E>txt.exe");
        for c in [
            '\u{202A}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{FEFF}',
            '\u{E0041}',
        ] {
            let shown = terminal_safe(&c.to_string()).into_owned();
            assert_eq!(shown, format!("<U+{:04X}>", c as u32));
        }
        // Nothing that reaches the terminal is a control or format character any more.
        let hostile: String = (0u32..0x3000)
            .chain(0xE0000..0xE0080)
            .filter_map(char::from_u32)
            .collect();
        let shown = terminal_safe(&hostile);
        assert!(!shown.chars().any(|c| c.is_control() || invisible(c)));
        // Letters of other scripts are not escaped.
        assert_eq!(terminal_safe("痕跡 Ünïcode"), "痕跡 Ünïcode");
    }
}
