//! The year-specific time zone rules Windows keeps in the SOFTWARE hive
//! (`Microsoft\Windows NT\CurrentVersion\Time Zones\<zone>\Dynamic DST`): one `TZI` value per
//! year from `FirstEntry` to `LastEntry`, 44 bytes each — `Bias`, `StandardBias`,
//! `DaylightBias` (signed minutes) and two SYSTEMTIMEs in their usual order (year, month,
//! weekday, week, hour, minute, second, milliseconds): when standard and daylight time start.

use konseki_bytes::{u16_at, u32_at};
use konseki_model::{YearRules, ZoneRule};
use konseki_registry::{Data, Hive};

/// Years read at most: a crafted range must not make the list endless.
const MAX_YEARS: u32 = 200;

/// The zone's year-specific rules, in year order; empty when the hive has none for it.
pub fn dynamic_rules(software: &mut Hive, zone: &str) -> Vec<YearRules> {
    if zone.is_empty() || zone.contains('\\') {
        return Vec::new();
    }
    let path = format!("Microsoft\\Windows NT\\CurrentVersion\\Time Zones\\{zone}\\Dynamic DST");
    let Some(key) = software.key(&path) else {
        return Vec::new();
    };
    let year = |name: &str| key.value(name).and_then(Data::as_u64).map(|v| v as u32);
    let (Some(first), Some(last)) = (year("FirstEntry"), year("LastEntry")) else {
        return Vec::new();
    };
    (first..=last.min(first.saturating_add(MAX_YEARS)))
        .filter_map(|y| match key.value(&y.to_string()) {
            Some(Data::Binary(tzi)) => year_rules(i16::try_from(y).ok()?, tzi),
            _ => None,
        })
        .collect()
}

fn year_rules(year: i16, tzi: &[u8]) -> Option<YearRules> {
    let signed = |at| u32_at(tzi, at).map(|v| v as i32);
    // SYSTEMTIME order: year, month, weekday, week (day), hour, minute.
    let rule = |at: usize| {
        let field = |i: usize| u16_at(tzi, at + 2 * i).map(|v| v as i8);
        let rule = ZoneRule {
            month: field(1)?,
            weekday: field(2)?,
            week: field(3)?,
            hour: field(4)?,
            minute: field(5)?,
        };
        (1..=12).contains(&rule.month).then_some(rule)
    };
    Some(YearRules {
        year,
        bias_minutes: signed(0)?,
        standard_bias_minutes: signed(4)?,
        daylight_bias_minutes: signed(8)?,
        standard_start: rule(12),
        daylight_start: rule(28),
    })
}
