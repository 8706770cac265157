//! Durations as written in the configuration, and the allowed range of every duration and count.

/// A duration written like `2d`, `6h`, `90s`, `1h 30m`.
pub fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    humantime::parse_duration(text.trim())
        .ok()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .ok_or_else(|| format!("`{text}` is not a duration: write e.g. 2d, 6h, 30m or 1h 30m"))
}

/// The allowed range of every duration setting, both ends included, as written in messages and
/// in `bot-config.example.toml`. Ten years at most anywhere: a configured duration is added to
/// and subtracted from today's date, which stays far from the calendar's end.
pub const DURATION_RANGES: &[(&str, &str, &str)] = &[
    ("checkins.remind_after", "1m", "90days"),
    ("checkins.close_after", "1m", "90days"),
    ("scheduler.grace", "0s", "30days"),
    ("announcements.remind_after", "1m", "365days"),
    ("lifecycle.nudge_after", "1day", "3653days"),
    ("lifecycle.ask_office_after", "1day", "3653days"),
    ("lifecycle.suggest_alumni_after", "1day", "3653days"),
    ("lifecycle.renewal_grace", "0s", "365days"),
    ("outbox.base_backoff", "1s", "1day"),
    ("outbox.max_backoff", "1s", "7days"),
    ("outbox.lease", "1s", "1day"),
    ("requests.acknowledge_within", "1h", "365days"),
];

/// The allowed range of every count and size setting, both ends included.
pub const COUNT_RANGES: &[(&str, u64, u64)] = &[
    ("database.max_connections", 1, 100),
    ("program.kudos_daily_limit", 0, 1000),
    ("program.kudos_min_reason_words", 0, 100),
    ("program.kudos_max_people", 1, 100),
    ("program.thin_headcount_per_ambassador", 1, 1_000_000),
    ("program.many_ambassadors_per_region", 1, 10_000),
    ("program.max_text_chars", 20, 40_000),
    ("checkins.every_weeks", 1, 52),
    ("checkins.silent_rounds", 1, 100),
    ("outbox.max_attempts", 1, 100),
    ("outbox.batch", 1, 1000),
    ("requests.need_question", 0, 50),
];

/// The duration setting `key` written as `text`, refused outside its range (`DURATION_RANGES`).
pub fn bounded_duration(key: &str, text: &str) -> Result<chrono::Duration, String> {
    match DURATION_RANGES.iter().find(|(k, _, _)| *k == key) {
        Some((_, least, most)) => duration_within(text, least, most),
        None => parse_duration(text),
    }
}

/// The duration written as `text`, refused outside `least` to `most` (both ends included, written
/// as durations the way messages and `bot-config.example.toml` show them).
pub fn duration_within(text: &str, least: &str, most: &str) -> Result<chrono::Duration, String> {
    let d = parse_duration(text)?;
    let (lo, hi) = (parse_duration(least)?, parse_duration(most)?);
    if d < lo || d > hi {
        return Err(format!(
            "`{}` is out of range: allowed {least} to {most}",
            text.trim()
        ));
    }
    Ok(d)
}

/// The count setting `key` with value `value`, refused outside its range (`COUNT_RANGES`).
pub fn bounded_count(key: &str, value: u64) -> Result<u64, String> {
    match COUNT_RANGES.iter().find(|(k, _, _)| *k == key) {
        Some((_, lo, hi)) => count_within(value, *lo, *hi),
        None => Ok(value),
    }
}

/// `value`, refused outside `lo` to `hi` (both included).
pub fn count_within(value: u64, lo: u64, hi: u64) -> Result<u64, String> {
    if value < lo || value > hi {
        return Err(format!("{value} is out of range: allowed {lo} to {hi}"));
    }
    Ok(value)
}
