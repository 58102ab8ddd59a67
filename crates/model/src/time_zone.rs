//! The machine's time zone as the SYSTEM hive records it (`Control\TimeZoneInformation`), to
//! turn the local wall-clock times some artifacts hold (task `<Date>`, a `.job`'s last run)
//! into UTC. The rules are "the Nth weekday of a month" (`StandardStart`/`DaylightStart`); when
//! the SOFTWARE hive is in the evidence, the zone's year-specific rules (`Time Zones\<zone>\
//! Dynamic DST`: the United States before 2007, for one) are applied to the years they cover,
//! as Windows does.

use jiff::civil::{Date, DateTime};
use serde::Serialize;

use crate::evidence::Provenance;
use crate::time::Timestamp;

/// When standard or daylight time starts: the `week`-th `weekday` of `month` (5 = the last),
/// at `hour:minute` local time (a SYSTEMTIME whose year is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ZoneRule {
    /// 1–12.
    pub month: i8,
    /// 1–5; 5 is the last such weekday of the month.
    pub week: i8,
    /// 0 = Sunday … 6 = Saturday.
    pub weekday: i8,
    /// Hour of the change, local time.
    pub hour: i8,
    /// Minute of the change.
    pub minute: i8,
}

/// Biases and change dates: what a zone (or one year of it) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ZoneRules {
    /// `Bias`: minutes to add to local time to get UTC.
    pub bias_minutes: i32,
    /// `StandardBias`, added during standard time.
    pub standard_bias_minutes: i32,
    /// `DaylightBias`, added during daylight time.
    pub daylight_bias_minutes: i32,
    /// `StandardStart`, when daylight time ends; `None` for a zone without daylight time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_start: Option<ZoneRule>,
    /// `DaylightStart`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daylight_start: Option<ZoneRule>,
}

/// `TimeZoneInformation` of a control set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TimeZone {
    /// `TimeZoneKeyName` (`Eastern Standard Time`), else `StandardName`.
    pub name: String,
    /// The zone's own rules.
    #[serde(flatten)]
    pub rules: ZoneRules,
    /// `DynamicDaylightTimeDisabled` (the user turned daylight changes off).
    pub daylight_disabled: bool,
    /// Year-specific rules from SOFTWARE's `Time Zones\<zone>\Dynamic DST`, by year; years
    /// before the first use the first, years after the last use the last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub yearly: Vec<YearRules>,
    /// The key.
    pub source: Provenance,
}

/// One year's rules (a `Dynamic DST` TZI value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct YearRules {
    /// The year.
    pub year: i16,
    /// Its rules.
    #[serde(flatten)]
    pub rules: ZoneRules,
}

impl TimeZone {
    /// `local` (`2022-03-10T15:59:03`, fractions allowed) as UTC; a time that already carries
    /// its zone (`Z`, `+01:00`) is taken as such. `None` when it is not a date and time.
    pub fn to_utc(&self, local: &str) -> Option<Timestamp> {
        if let Ok(t) = local.parse::<Timestamp>() {
            return Some(t);
        }
        let civil: DateTime = local.trim().parse().ok()?;
        let rules = self.rules_of(civil.year());
        let extra = if self.in_daylight_time(&rules, civil) {
            rules.daylight_bias_minutes
        } else {
            rules.standard_bias_minutes
        };
        // The biases come from the hive as written: a crafted one must not overflow.
        let bias = rules.bias_minutes.checked_add(extra)?;
        let utc = civil
            .checked_add(jiff::Span::new().minutes(i64::from(bias)))
            .ok()?;
        utc.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    }

    /// The rules in force in `year`: its `Dynamic DST` entry (the first or last for years
    /// outside them), else the zone's own.
    fn rules_of(&self, year: i16) -> ZoneRules {
        let (Some(first), Some(last)) = (self.yearly.first(), self.yearly.last()) else {
            return self.rules;
        };
        if year <= first.year {
            return first.rules;
        }
        if year >= last.year {
            return last.rules;
        }
        self.yearly
            .iter()
            .rev()
            .find(|r| r.year <= year)
            .map_or(self.rules, |r| r.rules)
    }

    fn in_daylight_time(&self, rules: &ZoneRules, local: DateTime) -> bool {
        let (Some(daylight), Some(standard)) = (rules.daylight_start, rules.standard_start) else {
            return false;
        };
        if self.daylight_disabled || daylight.month == 0 {
            return false;
        }
        let year = local.year();
        let (Some(begins), Some(ends)) = (daylight.at(year), standard.at(year)) else {
            return false;
        };
        if begins < ends {
            begins <= local && local < ends // northern hemisphere
        } else {
            local >= begins || local < ends // southern: daylight time spans the new year
        }
    }
}

impl ZoneRule {
    /// This rule's moment in `year`.
    fn at(self, year: i16) -> Option<DateTime> {
        // Fields come from the hive as written: out of range, the rule names no moment.
        let time = jiff::civil::Time::new(self.hour, self.minute, 0, 0).ok()?;
        if !(0..=6).contains(&self.weekday) {
            return None;
        }
        let first = Date::new(year, self.month, 1).ok()?;
        let first_weekday = first.weekday().to_sunday_zero_offset();
        let mut day =
            1 + (self.weekday - first_weekday).rem_euclid(7) + 7 * (self.week.clamp(1, 5) - 1);
        while day > first.days_in_month() {
            day -= 7;
        }
        Some(Date::new(year, self.month, day).ok()?.to_datetime(time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    /// US Eastern as Windows stores it: Bias 300, DaylightBias -60, daylight from the second
    /// Sunday of March 02:00, standard from the first Sunday of November 02:00.
    fn eastern() -> TimeZone {
        TimeZone {
            name: "Eastern Standard Time".into(),
            rules: ZoneRules {
                bias_minutes: 300,
                standard_bias_minutes: 0,
                daylight_bias_minutes: -60,
                standard_start: Some(ZoneRule {
                    month: 11,
                    week: 1,
                    weekday: 0,
                    hour: 2,
                    minute: 0,
                }),
                daylight_start: Some(ZoneRule {
                    month: 3,
                    week: 2,
                    weekday: 0,
                    hour: 2,
                    minute: 0,
                }),
            },
            daylight_disabled: false,
            yearly: Vec::new(),
            source: Provenance::File {
                file: Arc::from(Path::new("SYSTEM")),
            },
        }
    }

    #[test]
    fn local_times_convert_with_the_rules_of_their_year() {
        let tz = eastern();
        let utc = |s: &str| tz.to_utc(s).unwrap().to_string();
        assert_eq!(utc("2022-03-10T15:59:03"), "2022-03-10T20:59:03Z");
        // 2022: daylight time from 13 March 02:00 to 6 November 02:00.
        assert_eq!(utc("2022-03-13T01:59:00"), "2022-03-13T06:59:00Z");
        assert_eq!(utc("2022-03-13T03:00:00"), "2022-03-13T07:00:00Z");
        assert_eq!(utc("2022-07-01T12:00:00.5"), "2022-07-01T16:00:00.5Z");
        assert_eq!(utc("2022-11-06T02:00:00"), "2022-11-06T07:00:00Z");
        assert_eq!(utc("2013-08-24T12:42:00.112"), "2013-08-24T16:42:00.112Z");
        assert_eq!(utc("2022-01-01T00:00:00Z"), "2022-01-01T00:00:00Z");
        assert_eq!(tz.to_utc("yesterday"), None);
        let no_dst = TimeZone {
            daylight_disabled: true,
            ..eastern()
        };
        assert_eq!(
            no_dst.to_utc("2022-07-01T12:00:00").unwrap().to_string(),
            "2022-07-01T17:00:00Z"
        );
    }

    /// The United States before 2007: daylight time from the first Sunday of April to the last
    /// Sunday of October. 2006-04-01 is standard time by those rules, daylight time by today's.
    #[test]
    fn year_specific_rules_apply_to_their_years() {
        let rules = |year, daylight: ZoneRule, standard: ZoneRule| YearRules {
            year,
            rules: ZoneRules {
                standard_start: Some(standard),
                daylight_start: Some(daylight),
                ..eastern().rules
            },
        };
        let rule = |month, week| ZoneRule {
            month,
            week,
            weekday: 0,
            hour: 2,
            minute: 0,
        };
        let tz = TimeZone {
            yearly: vec![
                rules(2006, rule(4, 1), rule(10, 5)),
                rules(2007, rule(3, 2), rule(11, 1)),
            ],
            ..eastern()
        };
        let utc = |s: &str| tz.to_utc(s).unwrap().to_string();
        assert_eq!(utc("2006-04-01T12:00:00"), "2006-04-01T17:00:00Z");
        assert_eq!(utc("2006-04-02T12:00:00"), "2006-04-02T16:00:00Z");
        assert_eq!(
            utc("2005-04-01T12:00:00"),
            "2005-04-01T17:00:00Z",
            "before: the first"
        );
        assert_eq!(
            utc("2022-03-10T15:59:03"),
            "2022-03-10T20:59:03Z",
            "after: the last"
        );
        assert_eq!(
            eastern().to_utc("2006-04-01T12:00:00").unwrap().to_string(),
            "2006-04-01T16:00:00Z"
        );
    }

    #[test]
    fn last_weekday_rules_and_the_southern_hemisphere() {
        // Last Sunday of March 2026 is the 29th; of October, the 25th.
        let last = ZoneRule {
            month: 3,
            week: 5,
            weekday: 0,
            hour: 2,
            minute: 0,
        };
        assert_eq!(last.at(2026).unwrap().to_string(), "2026-03-29T02:00:00");
        // Sydney-like: daylight from the first Sunday of October to the first Sunday of April.
        let south = TimeZone {
            rules: ZoneRules {
                bias_minutes: -600,
                daylight_start: Some(ZoneRule {
                    month: 10,
                    week: 1,
                    weekday: 0,
                    hour: 2,
                    minute: 0,
                }),
                standard_start: Some(ZoneRule {
                    month: 4,
                    week: 1,
                    weekday: 0,
                    hour: 3,
                    minute: 0,
                }),
                ..eastern().rules
            },
            ..eastern()
        };
        assert_eq!(
            south.to_utc("2026-01-15T12:00:00").unwrap().to_string(),
            "2026-01-15T01:00:00Z"
        );
        assert_eq!(
            south.to_utc("2026-06-15T12:00:00").unwrap().to_string(),
            "2026-06-15T02:00:00Z"
        );
    }

    /// Fuzzing (issue 21, target `tzi`, crash-017f98cd…): biases near `i32::MIN` (a crafted
    /// TZI) no longer overflow their sum: the time is not converted, and nothing panics.
    #[test]
    fn biases_that_overflow_convert_nothing() {
        let mut zone = eastern();
        zone.rules.bias_minutes = i32::MIN + 5;
        zone.rules.standard_bias_minutes = -1_987_475_063;
        zone.rules.daylight_bias_minutes = -1_987_475_063;
        assert_eq!(zone.to_utc("2022-03-10T15:59:03"), None);
        assert_eq!(zone.to_utc("2022-07-10T15:59:03"), None);
    }

    /// Fuzzing (issue 21, target `tzi`, crash-a47de224…): a change date whose hour, minute or
    /// weekday is out of range (a crafted TZI) names no moment; nothing panics.
    #[test]
    fn a_change_date_out_of_range_names_no_moment() {
        let mut zone = eastern();
        for (hour, minute, weekday) in [(-1, 0, 0), (24, 0, 0), (2, 60, 0), (2, 0, 7), (2, 0, -128)]
        {
            let rule = zone.rules.daylight_start.as_mut().unwrap();
            (rule.hour, rule.minute, rule.weekday) = (hour, minute, weekday);
            assert_eq!(rule.at(2022), None);
            // Without a daylight start, local times read as standard time.
            assert!(zone.to_utc("2022-07-10T15:59:03").is_some());
        }
    }
}
