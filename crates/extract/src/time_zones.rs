//! The machine's time zone: `Control\TimeZoneInformation` of a SYSTEM control set, and the
//! year-specific rules Windows keeps in the SOFTWARE hive (`Microsoft\Windows NT\
//! CurrentVersion\Time Zones\<zone>\Dynamic DST`: one `TZI` value per year from `FirstEntry` to
//! `LastEntry`, 44 bytes each — `Bias`, `StandardBias`, `DaylightBias`, then when standard and
//! daylight time start).
//!
//! Biases are DWORDs holding signed minutes (`DaylightBias` -60 is 0xFFFFFFC4). A change date
//! is 16 bytes, in one of two orders: SYSTEMTIME's (year, month, weekday, week, hour, minute,
//! …) in `TZI` values and older hives; year, month, week, hour, minute, second, milliseconds,
//! weekday in `TimeZoneInformation` since Vista (the hives with `TimeZoneKeyName`: the corpus
//! hives' `00 00 03 00 02 00 02 00 … 00 00` is the second Sunday of March, 02:00; Digital
//! Detective's "SYSTEMTIME Structure" note describes the same).

use std::path::Path;
use std::sync::Arc;

use konseki_bytes::{u16_at, u32_at};
use konseki_model::{Provenance, TimeZone, YearRules, ZoneRule, ZoneRules};
use konseki_registry::{Data, Hive, Key};

/// Years read at most: a crafted range must not make the list endless.
const MAX_YEARS: u32 = 200;

/// How a change date's 16 bytes are ordered.
#[derive(Clone, Copy)]
enum Order {
    /// SYSTEMTIME: year, month, weekday, week, hour, minute, second, milliseconds.
    SystemTime,
    /// `TimeZoneInformation` since Vista: year, month, week, hour, minute, second,
    /// milliseconds, weekday.
    Vista,
}

/// A change date (`None` for a zone without daylight time: month 0).
fn change_date(b: &[u8], order: Order) -> Option<ZoneRule> {
    let field = |i: usize| u16_at(b, 2 * i).map(|v| v as i8);
    let rule = match order {
        Order::SystemTime => ZoneRule {
            month: field(1)?,
            weekday: field(2)?,
            week: field(3)?,
            hour: field(4)?,
            minute: field(5)?,
        },
        Order::Vista => ZoneRule {
            month: field(1)?,
            week: field(2)?,
            hour: field(3)?,
            minute: field(4)?,
            weekday: field(7)?,
        },
    };
    (1..=12).contains(&rule.month).then_some(rule)
}

/// `Control\TimeZoneInformation`: the zone local times of this machine are in.
pub(crate) fn time_zone_information(key: &Key, path: &Path) -> Option<TimeZone> {
    let bias = |name: &str| {
        key.value(name)
            .and_then(Data::as_u64)
            .map(|v| v as u32 as i32)
            .filter(|m| m.unsigned_abs() <= MAX_BIAS_MINUTES)
    };
    let order = if key.value("TimeZoneKeyName").is_some() {
        Order::Vista
    } else {
        Order::SystemTime
    };
    let date = |name: &str| match key.value(name) {
        Some(Data::Binary(b)) => change_date(b, order),
        _ => None,
    };
    Some(TimeZone {
        name: key
            .value("TimeZoneKeyName")
            .or_else(|| key.value("StandardName"))
            .and_then(Data::as_text)
            .map(|n| n.trim_end_matches('\0').to_string())
            .unwrap_or_default(),
        rules: ZoneRules {
            bias_minutes: bias("Bias")?,
            standard_bias_minutes: bias("StandardBias").unwrap_or(0),
            daylight_bias_minutes: bias("DaylightBias").unwrap_or(0),
            standard_start: date("StandardStart"),
            daylight_start: date("DaylightStart"),
        },
        daylight_disabled: key
            .value("DynamicDaylightTimeDisabled")
            .and_then(Data::as_u64)
            .is_some_and(|v| v != 0),
        yearly: Vec::new(), // from the SOFTWARE hive, when present: `dynamic_rules`
        source: Provenance::registry_key(Arc::from(path), key.path.clone(), None),
    })
}

/// The zone's year-specific rules, in year order; empty when the hive has none for it.
pub(crate) fn dynamic_rules(software: &mut Hive, zone: &str) -> Vec<YearRules> {
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
            Some(Data::Binary(tzi)) => Some(YearRules {
                year: i16::try_from(y).ok()?,
                rules: tzi_rules(tzi)?,
            }),
            _ => None,
        })
        .collect()
}

/// The largest bias (in minutes) a real zone can have, and more: a day.
const MAX_BIAS_MINUTES: u32 = 24 * 60;

/// A 44-byte `TZI` value (`TIME_ZONE_INFORMATION`'s biases and change dates, as the registry
/// stores them); `None` when it is too short to hold the biases or a bias exceeds a day.
pub fn tzi_rules(tzi: &[u8]) -> Option<ZoneRules> {
    // A bias is minutes between UTC and local time: beyond a day it is damage, not a zone.
    let signed = |at| {
        u32_at(tzi, at)
            .map(|v| v as i32)
            .filter(|m| m.unsigned_abs() <= MAX_BIAS_MINUTES)
    };
    Some(ZoneRules {
        bias_minutes: signed(0)?,
        standard_bias_minutes: signed(4)?,
        daylight_bias_minutes: signed(8)?,
        standard_start: tzi
            .get(12..28)
            .and_then(|b| change_date(b, Order::SystemTime)),
        daylight_start: tzi
            .get(28..44)
            .and_then(|b| change_date(b, Order::SystemTime)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzzing (issue 21, target `tzi`, crash-017f98cd…): biases of billions of minutes are
    /// damage, not a time zone.
    #[test]
    fn a_bias_beyond_a_day_is_no_zone() {
        let crafted = [
            0x89, 0x89, 0x89, 0x89, 0x89, 0x89, 0x89, 0x89, 0x89, 0x89, 0x0a, 0x0a,
        ];
        assert_eq!(tzi_rules(&crafted), None);
        let mut eastern = [0u8; 44];
        eastern[..4].copy_from_slice(&300u32.to_le_bytes());
        eastern[8..12].copy_from_slice(&(-60i32 as u32).to_le_bytes());
        assert_eq!(
            tzi_rules(&eastern).map(|r| r.daylight_bias_minutes),
            Some(-60)
        );
    }
}
