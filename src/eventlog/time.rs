//! RFC 3339 instants, with a fast path for the common shape.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Utc};

/// Parses an RFC 3339 instant. The common shape,
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, is read directly; anything
/// else (lower-case separators, a leap second, …) goes to chrono's parser,
/// which decides. Both give the same instant for the same text.
pub(crate) fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    fast(text.as_bytes()).or_else(|| DateTime::<FixedOffset>::parse_from_rfc3339(text).ok().map(|t| t.to_utc()))
}

fn digits<const N: usize>(bytes: &[u8], at: usize) -> Option<u32> {
    let mut value = 0;
    for &b in bytes.get(at..at + N)? {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

fn fast(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(digits::<4>(b, 0)? as i32, digits::<2>(b, 5)?, digits::<2>(b, 8)?)?;
    let (hour, minute, second) = (digits::<2>(b, 11)?, digits::<2>(b, 14)?, digits::<2>(b, 17)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0;
    if b[at] == b'.' {
        at += 1;
        let start = at;
        while at < b.len() && b[at].is_ascii_digit() {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        let count = at - start;
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
    }
    let offset_seconds = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits::<2>(b, at + 1)?, digits::<2>(b, at + 4)?);
            if h > 23 || m > 59 {
                return None;
            }
            let magnitude = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = date.and_time(time).and_utc();
    local.checked_sub_signed(TimeDelta::seconds(offset_seconds))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn chrono(text: &str) -> Option<DateTime<Utc>> {
        DateTime::<FixedOffset>::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
    }

    #[test]
    fn reads_the_common_shapes() {
        let t = parse_rfc3339("2024-03-01T10:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-01T10:00:00+00:00");
        assert_eq!(parse_rfc3339("2024-03-01T12:00:00+02:00"), Some(t));
        assert_eq!(parse_rfc3339("2024-03-01T09:30:00-00:30"), Some(t));
        assert_eq!(parse_rfc3339("2024-03-01T10:00:00.5Z").unwrap().timestamp_subsec_millis(), 500);
        assert_eq!(parse_rfc3339("2024-03-01t10:00:00z"), Some(t));
        for bad in ["2024-03-01", "2024-03-01T10:00:00", "2024-02-30T10:00:00Z", "2024-03-01T24:00:00Z", "", "x"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn the_fast_path_agrees_with_chrono(
            y in 0u32..10_000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..61, s in 0u32..62,
            frac in prop::option::of("[0-9]{0,12}"),
            offset in prop_oneof![Just("Z".to_owned()), "[+-][0-2][0-9]:[0-6][0-9]"],
        ) {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{offset}");
            if let Some(fast) = fast(text.as_bytes()) {
                prop_assert_eq!(Some(fast), chrono(&text), "{}", text);
            }
            prop_assert_eq!(parse_rfc3339(&text), chrono(&text), "{}", text);
        }
    }
}
