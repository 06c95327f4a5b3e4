//! Calendar dates (`YYYY-MM-DD`) for waiver expiry: parsing with range checks, today's date
//! from the system clock (UTC), and adding days. Proleptic Gregorian arithmetic after Howard
//! Hinnant's `days_from_civil`; no time zones, no times of day: a waiver that expires on a day
//! still applies during that whole day.

use std::fmt;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year (1–9999).
    pub year: i32,
    /// Month (1–12).
    pub month: u32,
    /// Day of month (1–31).
    pub day: u32,
}

impl Date {
    /// Parse `YYYY-MM-DD`, refusing impossible dates (2027-02-30).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let d = Date {
            year: i32::try_from(year).ok()?,
            month,
            day,
        };
        (year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(d.year, month))
            .then_some(d)
    }

    /// Today in UTC from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// This date plus `n` days.
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            Date::parse("2027-03-31"),
            Some(Date {
                year: 2027,
                month: 3,
                day: 31
            })
        );
        assert_eq!(
            Date::parse("2028-02-29").map(|d| d.to_string()).as_deref(),
            Some("2028-02-29")
        );
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-3-31",
            "27-03-31",
            "2027-03-3x",
            "",
            "2027-00-10",
            "+027-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn day_arithmetic_round_trips() {
        assert_eq!(Date::parse("1970-01-01").unwrap().days(), 0);
        assert_eq!(Date::parse("2026-11-22").unwrap().days(), 20_779);
        assert_eq!(
            Date::parse("2026-11-22").unwrap().add_days(90).to_string(),
            "2027-02-20"
        );
        assert_eq!(
            Date::parse("2024-02-28").unwrap().add_days(1).to_string(),
            "2024-02-29"
        );
        for n in [-1000, 0, 59, 60, 10_000, 20_779, 2_932_896] {
            assert_eq!(Date::from_days(n).days(), n);
        }
    }
}
